import fs from 'node:fs/promises';
import { Readable, Transform, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { SparkifyError } from '../../core/errors.js';
import { BufferPool } from '../buffers.js';
import { localFiles } from './local.js';
import type { FileRef, FileSource } from './types.js';

/** Is this file gzip: by the load's GZIP option, or by its .gz suffix. */
export function isGzip(file: FileRef, gzipOption: boolean): boolean {
  return gzipOption || /\.gz$/i.test(file.url);
}

/**
 * A file's bytes as they stream in, decompressed when gzip (zlib, as a stream: never the whole file in
 * memory). `onRaw` counts the bytes read from the source (compressed, for a gzip file). A truncated or
 * corrupt gzip file, or a read that fails, is an error naming the file: it fails the load. A chunk is
 * valid until the one after next is asked for (local files reuse their read buffers).
 */
export async function* fileChunks(source: FileSource, file: FileRef, gzip: boolean, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  const gz = isGzip(file, gzip);
  if (source === localFiles && !gz) {
    yield* localChunks(file, onRaw);
    return;
  }
  const raw: Readable = source.open ? source.open(file) : Readable.from(lazyRead(source, file), { objectMode: false });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onRaw(chunk.length);
      done(null, chunk);
    },
  });
  const streams: NodeJS.ReadWriteStream[] = gz ? [counter, zlib.createGunzip({ chunkSize: 256 * 1024 })] : [counter];
  // pipeline destroys every stream on an error and hands it to the last one, which we read.
  const out = pipeline([raw, ...streams] as unknown as [Readable, NodeJS.ReadWriteStream], () => undefined) as unknown as Readable;
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (err) {
    throw readError(err, file, gz);
  } finally {
    out.destroy();
    raw.destroy();
  }
}

const READ_BYTES = 1024 * 1024;
/** Read buffers, reused from file to file (a few files are read at once at most: one a worker). */
const readBuffers = new BufferPool(READ_BYTES, 8);

/**
 * A local file read into two buffers in turn, reused: a chunk is valid until the one after next is asked
 * for (every consumer copies what it keeps before that). No garbage a megabyte.
 */
async function* localChunks(file: FileRef, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file.url, 'r');
  } catch (err) {
    throw readError(err, file, false);
  }
  const buffers = [readBuffers.get(), readBuffers.get()];
  let k = 0;
  try {
    for (;;) {
      const b = buffers[(k ^= 1)]!;
      let n: number;
      try {
        n = (await fh.read(b, 0, b.length, null)).bytesRead;
      } catch (err) {
        throw readError(err, file, false);
      }
      if (n === 0) return;
      onRaw(n);
      yield b.subarray(0, n);
    }
  } finally {
    await fh.close();
    for (const b of buffers) readBuffers.put(b);
  }
}

async function* lazyRead(source: FileSource, file: FileRef): AsyncGenerator<Buffer> {
  yield await source.read(file);
}

function readError(err: unknown, file: FileRef, gz: boolean): unknown {
  if (err instanceof SparkifyError) return err;
  const e = err as NodeJS.ErrnoException;
  const hint = 'The load failed and the staging table is unchanged. Replace or remove the file, then run again.';
  if (gz && typeof e.code === 'string' && e.code.startsWith('Z_')) {
    const what =
      e.code === 'Z_BUF_ERROR'
        ? `is a truncated gzip file (${e.message})`
        : /header check/.test(e.message)
          ? `is not gzip data (${e.message})`
          : `is a corrupt gzip file (${e.message})`;
    return new SparkifyError(`load failed: ${file.display} ${what}`, { exitCode: 1, hint, cause: err });
  }
  return new SparkifyError(`load failed: cannot read ${file.display}: ${e.message}`, { exitCode: 1, hint, cause: err });
}
