import { RELEASE } from '../warehouse/copy-stream.js';
import type { RowSink } from './fast-rows.js';

// The decoders' output buffers: reused, so memory stays flat however much is loaded.

/** Room past the target size: a row begins below it, and the fast path reserves up to 64 KB + a bit a row. */
export const WRITER_SLACK = 160 * 1024;

/**
 * A chunk handed to a COPY may carry, under this symbol, a function the driver calls once it no longer
 * needs the bytes (PGlite: copied into its Blob; PostgreSQL: written to the socket): the buffer then goes
 * back to its decoder for the next chunk, instead of to the garbage collector. Memory stays flat however
 * much is loaded. A driver that never calls it just leaves the buffer to the collector.
 */
export { RELEASE };

/** Buffers of one size, kept for reuse (a few: what a decoder has in flight). */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly max = 16,
  ) {}

  get(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  put(b: Buffer): void {
    if (b.length === this.size && this.free.length < this.max && !this.free.includes(b)) this.free.push(b);
  }
}

/** A growable buffer of whole rows; `take` hands it on (with a RELEASE that gives it back) and starts another. */
export class ChunkWriter implements RowSink {
  buf: Buffer;
  pos = 0;
  rows = 0;
  private readonly pool: BufferPool;

  constructor(target: number, pool?: BufferPool) {
    this.pool = pool ?? new BufferPool(target + WRITER_SLACK);
    this.buf = this.pool.get();
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
  }

  /** The file is done: the empty buffer goes back to the pool. */
  close(): void {
    if (this.pos === 0) this.pool.put(this.buf);
  }

  ensureFrom(p: number, n: number): Buffer {
    if (p + n > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, p + n));
      this.buf.copy(bigger, 0, 0, p);
      this.buf = bigger;
    }
    return this.buf;
  }

  writeString(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  take(): Buffer {
    const whole = this.buf;
    const out = whole.subarray(0, this.pos);
    const pool = this.pool;
    (out as Buffer & { [RELEASE]?: () => void })[RELEASE] = () => pool.put(whole);
    this.buf = pool.get();
    this.pos = 0;
    this.rows = 0;
    return out;
  }
}
