import type { RejectedRow } from '../core/copy.js';
import { isUtf8 } from 'node:buffer';
import { binaryField, binaryKind } from './binary.js';
import { ConvertError, converterFor, type ColumnType } from './convert.js';
import { FastRows, type RowSink } from './fast-rows.js';
import { RELEASE } from '../warehouse/copy-stream.js';
import { autoExtractors, jsonPathsExtractors, type Extractor } from './mapping.js';
import type { CopyOptions } from '../core/copy.js';

/**
 * Decoding of one file's bytes into COPY text: a streaming splitter finds the top-level JSON values (one a
 * line, several a line, or one spread over lines; a value may straddle the chunks the file arrives in),
 * each value becomes one row (FastRows for flat objects; JSON.parse and convert.ts for everything else) or
 * one reject, and rows collect in chunks of whole rows. Memory is bounded by the chunk size and the
 * largest value allowed (MAX_JSON_VALUE_BYTES), never by the file's size.
 *
 * The same code runs on the main thread and in the decode workers (decode-worker.ts), so both give the
 * same bytes and the same rejects.
 */

export type JsonFormat = { kind: 'auto'; ignoreCase: boolean } | { kind: 'jsonpaths'; file: string; text: string };

/**
 * The largest JSON value (object, array, or a line that is not JSON) a load accepts: 4 MB, Redshift's
 * maximum size of one JSON object or array. A larger value is a rejected row (file, line, size), read past
 * without being held in memory.
 */
export const MAX_JSON_VALUE_BYTES = 4 * 1024 * 1024;

/** Rows are handed on in chunks of about this many bytes of COPY text. */
export const CHUNK_BYTES = 1024 * 1024;

/** Everything a decoder needs: plain data, so it can be posted to a worker. */
export interface DecodePlan {
  columns: ColumnType[];
  format: JsonFormat;
  options: CopyOptions & { maxerror: number };
  maxValueBytes: number;
  chunkBytes: number;
  /** The byte-level fast path for flat objects (default on); off, every row goes through JSON.parse. */
  fastPath: boolean;
  /** Rows as binary COPY tuples (binary.ts; every column must have a binary form), else COPY text. */
  binary: boolean;
}

/** A plan made ready: extractors, converters and the fast path built once for all files. */
export interface CompiledPlan {
  plan: DecodePlan;
  names: string[];
  extractors: Extractor[];
  converters: ((v: unknown) => string)[];
  /** Each column's binary form (binary mode). */
  binKinds: number[];
  fast?: FastRows;
}

export function compilePlan(plan: DecodePlan): CompiledPlan {
  const names = plan.columns.map((c) => c.name);
  const extractors =
    plan.format.kind === 'auto' ? autoExtractors(names, plan.format.ignoreCase) : jsonPathsExtractors(plan.format.file, plan.format.text, names);
  const converters = plan.columns.map((c) => converterFor(c, plan.options));
  const keys = plan.format.kind === 'auto' ? names : singleKeyPaths(plan.format.text);
  const fast =
    plan.fastPath && keys && plan.columns.length > 0
      ? new FastRows(plan.columns, keys, plan.format.kind === 'auto' && plan.format.ignoreCase, plan.options, plan.binary)
      : undefined;
  const binKinds = plan.columns.map((c) => binaryKind(c, plan.options));
  if (plan.binary && binKinds.includes(0)) throw new Error('binary COPY asked for a column without a binary form');
  return { plan, names, extractors, converters, binKinds, ...(fast ? { fast } : {}) };
}

/**
 * The top-level key of each JSONPath when every path is one member ($['a'], $["a"], $.a), as
 * mapping.ts reads them; otherwise undefined (nested paths and indexes: the generic path does them).
 */
function singleKeyPaths(text: string): string[] | undefined {
  const paths = (JSON.parse(text) as { jsonpaths: string[] }).jsonpaths;
  const keys: string[] = [];
  for (const p of paths) {
    const m = /^\$(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\])$/.exec(p);
    if (!m) return undefined;
    keys.push(m[1] ?? (m[2] ?? m[3])!.replace(/\\(.)/g, '$1'));
  }
  return keys;
}

/** Rows (COPY text or binary tuples) decoded from one file, with the rejects met on the way. */
export interface DecodedChunk {
  bytes: Buffer;
  rows: number;
  rejects: RejectedRow[];
}

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

const BETWEEN = 0;
const VALUE = 1;
const JUNK = 2;

const EMPTY = Buffer.alloc(0);
const INVALID_SURROGATE = 'invalid UTF-8 (an unpaired surrogate)';

/**
 * Decodes one file. Feed it the file's bytes with `push` (chunks of any size, in order) and call `end`
 * once; `emit` receives the rows and rejects in file order. After more rejects than maxerror it stops
 * (`stopped`): the load fails anyway, and the rest of the file need not be read.
 */
export class FileDecoder {
  stopped = false;
  /** Rows decoded so far, and how many of them by the fast path. */
  rows = 0;
  fastRows = 0;

  private readonly fast: FastRows | undefined;
  private readonly max: number;
  private readonly w: ChunkWriter;
  private rejects: RejectedRow[] = [];
  private rejectCount = 0;
  private line = 1;
  /** Header lines still to skip (ignoreheader). */
  private skip: number;
  private mode = BETWEEN;
  private atStart = true;
  // The value being scanned: where it started, its bytes so far (when it straddles chunks).
  private vLine = 0;
  private vLen = 0;
  private oversize = false;
  /** The fast path ran out of bytes on this value (retry it when whole) rather than refusing it. */
  private fastMore = false;
  private carry: Buffer = EMPTY;
  private carryLen = 0;
  private depth = 0;
  private inStr = false;
  private esc = false;

  constructor(
    private readonly p: CompiledPlan,
    private readonly file: string,
    private readonly emit: (chunk: DecodedChunk) => void,
    pool?: BufferPool,
  ) {
    this.fast = p.fast;
    this.max = p.plan.maxValueBytes;
    this.w = new ChunkWriter(p.plan.chunkBytes, pool);
    this.skip = p.plan.options.ignoreheader ?? 0;
  }

  push(data: Uint8Array): void {
    if (this.stopped || data.length === 0) return;
    let b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.atStart) {
      if (this.carryLen) {
        b = Buffer.concat([this.carry.subarray(0, this.carryLen), b]);
        this.carryLen = 0;
      }
      // A UTF-8 byte-order mark is not data; wait for three bytes to know.
      if (b.length < 3 && b[0] === 0xef && (b.length < 2 || b[1] === 0xbb)) {
        this.keepRaw(b);
        return;
      }
      this.atStart = false;
      this.scanAfterHeader(b, b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0);
      return;
    }
    this.scanAfterHeader(b, 0);
  }

  /** Scan from i, past what is left of the header lines (ignoreheader), which are read past, never held. */
  private scanAfterHeader(b: Buffer, i: number): void {
    while (this.skip > 0) {
      const nl = b.indexOf(10, i);
      if (nl < 0) return;
      this.line++;
      this.skip--;
      i = nl + 1;
    }
    this.scan(b, i);
  }

  end(): void {
    if (!this.stopped) {
      if (this.atStart) {
        this.atStart = false;
        if (this.carryLen) {
          const b = Buffer.from(this.carry.subarray(0, this.carryLen));
          this.carryLen = 0;
          this.scanAfterHeader(b, 0);
        }
      }
      if (this.mode === VALUE) {
        this.reject({ file: this.file, line: this.vLine, column: '', raw: '', reason: 'malformed JSON: the JSON value is not closed before the end of the file (truncated?)' });
      } else if (this.mode === JUNK) {
        if (this.oversize) this.rejectOversize(this.vLen, this.carry, 0, this.carryLen);
        else this.finish(this.carry, 0, this.carryLen, true);
      }
      this.mode = BETWEEN;
      this.resetCarry();
    }
    this.flush();
    this.w.close();
  }

  private scan(b: Buffer, i: number): void {
    const n = b.length;
    const fast = this.fast;
    while (i < n) {
      if (this.stopped) return;
      let fresh = false; // the value starts in b (else it goes on from an earlier chunk)
      if (this.mode === BETWEEN) {
        let c = b[i]!;
        while (c === 32 || c === 10 || c === 13 || c === 9) {
          if (c === 10) this.line++;
          if (++i >= n) return;
          c = b[i]!;
        }
        this.fastMore = false;
        if (c === 123 && fast) {
          const p0 = this.w.pos;
          const r = fast.row(b, i, n, this.w);
          if (r >= 0) {
            if (r - i > this.max) {
              this.w.pos = p0;
              this.vLine = this.line;
              this.rejectOversize(r - i, b, i, r);
            } else {
              this.fastRows++;
              this.rowDone();
            }
            this.line += fast.newlines;
            i = r;
            continue;
          }
          this.fastMore = r === FastRows.MORE;
        }
        this.vLine = this.line;
        this.vLen = 0;
        this.oversize = false;
        if (c === 123 || c === 91) {
          this.mode = VALUE;
          this.depth = 0;
          this.inStr = false;
          this.esc = false;
        } else this.mode = JUNK;
        fresh = true;
      }
      // The rest of a value (or of a line that is not JSON): find its end.
      const end = this.mode === VALUE ? this.scanValue(b, i, n) : b.indexOf(10, i);
      const junk = this.mode === JUNK;
      if (end < 0) {
        this.keep(b, i, n);
        return;
      }
      if (fresh) {
        // Whole in this chunk: decode in place.
        if (end - i > this.max) this.rejectOversize(end - i, b, i, end);
        else this.finish(b, i, end, junk);
      } else {
        this.keep(b, i, end);
        if (this.oversize) this.rejectOversize(this.vLen, this.carry, 0, this.carryLen);
        else this.finish(this.carry, 0, this.carryLen, junk);
        this.resetCarry();
      }
      this.mode = BETWEEN;
      i = end;
    }
  }

  /** Scan on from b[i] for the end of the value; -1 when b ends first (the state carries over). */
  private scanValue(b: Buffer, i: number, n: number): number {
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    let line = this.line;
    let end = -1;
    for (; i < n; i++) {
      const c = b[i]!;
      if (inStr) {
        if (esc) esc = false; // the escaped character, whatever it is (an escaped newline is not counted)
        else if (c === 92) esc = true;
        else if (c === 34) inStr = false;
        else if (c === 10) line++;
      } else if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth === 0) {
          end = i + 1;
          break;
        }
      } else if (c === 10) line++;
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    this.line = line;
    return end;
  }

  /** Hold b[s..e) of a value that straddles chunks; past the maximum size keep only its head (for the message). */
  private keep(b: Buffer, s: number, e: number): void {
    this.vLen += e - s;
    if (this.oversize) return;
    if (this.vLen > this.max) {
      this.oversize = true;
      e = Math.min(e, s + Math.max(0, 1024 - this.carryLen));
    }
    this.keepRaw(b.subarray(s, e));
  }

  private keepRaw(b: Uint8Array): void {
    if (this.carryLen + b.length > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLen + b.length, 65536));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    this.carry.set(b, this.carryLen);
    this.carryLen += b.length;
  }

  private resetCarry(): void {
    this.carryLen = 0;
    this.vLen = 0;
    this.oversize = false;
    if (this.carry.length > 8 * 1024 * 1024) this.carry = EMPTY; // a large value passed: give its memory back
  }

  private rowDone(): void {
    this.rows++;
    this.w.rows++;
    if (this.w.pos >= this.p.plan.chunkBytes) this.flush();
  }

  private flush(): void {
    if (this.w.pos === 0 && this.rejects.length === 0) return;
    const rows = this.w.rows;
    const bytes = this.w.take();
    const rejects = this.rejects;
    this.rejects = [];
    this.emit({ bytes, rows, rejects });
  }

  private reject(e: RejectedRow): void {
    this.rejects.push(e);
    if (++this.rejectCount > this.p.plan.options.maxerror) this.stopped = true;
  }

  private rejectOversize(len: number, head: Buffer, s: number, e: number): void {
    const shown = decodeForDisplay(head, s, Math.min(e, s + 1024)).slice(0, 200);
    const max = this.max;
    this.reject({
      file: this.file,
      line: this.vLine,
      column: '',
      raw: `${shown}…`,
      reason: `the JSON value is ${len} bytes long, over the maximum of ${max} bytes for one JSON object${max === MAX_JSON_VALUE_BYTES ? " (4 MB, Redshift's limit)" : ''}`,
    });
  }

  /** One whole value: a row by the fast path if it can, else by JSON.parse and the converters, or a reject. */
  private finish(b: Buffer, s: number, e: number, junk: boolean): void {
    if (!junk && this.fastMore && this.fast) {
      const p0 = this.w.pos;
      const r = this.fast.row(b, s, e, this.w);
      if (r === e) {
        this.fastRows++;
        this.rowDone();
        return;
      }
      this.w.pos = p0;
    }
    this.generic(b, s, e, junk);
  }

  private generic(b: Buffer, s: number, e: number, junk: boolean): void {
    const line = this.vLine;
    const file = this.file;
    // Invalid UTF-8 bytes become lone surrogates (U+DC80-U+DCFF), one a byte: string columns reject them,
    // naming the column, or acceptinvchars replaces each (as Redshift does, one replacement a byte).
    const invalid = !isUtf8(b.subarray(s, e));
    let text = invalid ? decodeEscapingInvalid(b, s, e) : b.toString('utf8', s, e);
    if (junk) text = text.trimEnd();
    const shown = (t: string): string => (invalid ? t.replace(/[\uDC80-\uDCFF]/g, '\uFFFD') : t);
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      this.reject({ file, line, column: '', raw: shown(text.slice(0, 200)), reason: `malformed JSON: ${shown((err as Error).message)}` });
      return;
    }
    // Redshift loads a JSON array as a row only through a JSONPaths file ($[0], $[1], ...).
    if (obj === null || typeof obj !== 'object' || (Array.isArray(obj) && this.p.plan.format.kind === 'auto')) {
      this.reject({ file, line, column: '', raw: shown(text.slice(0, 200)), reason: 'not a JSON object' });
      return;
    }
    const { extractors, converters, names } = this.p;
    const fields: string[] = new Array<string>(converters.length);
    for (let i = 0; i < converters.length; i++) {
      const raw = extractors[i]!(obj);
      try {
        fields[i] = converters[i]!(raw);
      } catch (err) {
        if (!(err instanceof ConvertError)) throw err;
        let reason = err.message;
        const rawShown = rawText(raw);
        if (invalid) {
          const bad = /[\uDC80-\uDCFF]/.exec(rawShown);
          if (bad && reason.startsWith(INVALID_SURROGATE)) {
            reason = `invalid UTF-8 (byte 0x${(bad[0].charCodeAt(0) - 0xdc00).toString(16)}); set acceptinvchars to replace it`;
          }
        }
        this.reject({ file, line, column: names[i]!, raw: shown(rawShown), reason: shown(reason) });
        return;
      }
    }
    const w = this.w;
    if (this.p.plan.binary) {
      w.ensure(2);
      w.buf[w.pos++] = fields.length >> 8;
      w.buf[w.pos++] = fields.length & 255;
      for (let i = 0; i < fields.length; i++) {
        const field = binaryField(this.p.binKinds[i]!, fields[i]!);
        w.ensure(field.length);
        w.pos += field.copy(w.buf, w.pos);
      }
    } else {
      for (let i = 0; i < fields.length; i++) {
        if (i > 0) {
          w.ensure(1);
          w.buf[w.pos++] = 9;
        }
        w.writeString(fields[i]!);
      }
      w.ensure(1);
      w.buf[w.pos++] = 10;
    }
    this.rowDone();
  }
}

export function rawText(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Text for a message: invalid bytes as U+FFFD. */
function decodeForDisplay(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s, e);
}

/** UTF-8 with each invalid byte as a lone surrogate U+DC80-U+DCFF (Python's 'surrogateescape'). */
export function decodeEscapingInvalid(b: Buffer, s: number, e: number): string {
  let out = '';
  let run = s;
  let k = s;
  while (k < e) {
    const c = b[k]!;
    if (c < 0x80) {
      k++;
      continue;
    }
    const len = utf8SequenceLength(b, k, e);
    if (len > 0) {
      k += len;
      continue;
    }
    out += b.toString('utf8', run, k) + String.fromCharCode(0xdc00 + c);
    k++;
    run = k;
  }
  return out + b.toString('utf8', run, e);
}

/** Length of the well-formed UTF-8 sequence at b[k] (a byte >= 0x80), or 0. */
function utf8SequenceLength(b: Buffer, k: number, e: number): number {
  const c = b[k]!;
  const cont = (j: number): boolean => j < e && (b[j]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(k + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(k + 1) || !cont(k + 2)) return 0;
    const c1 = b[k + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(k + 1) || !cont(k + 2) || !cont(k + 3)) return 0;
    const c1 = b[k + 1]!;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return 4;
  }
  return 0;
}
