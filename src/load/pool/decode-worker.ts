import { parentPort } from 'node:worker_threads';
import { SparkifyError } from '../../core/errors.js';
import { BufferPool, WRITER_SLACK } from '../buffers.js';
import { FileDecoder, type DecodedChunk } from '../decode.js';
import { compilePlan, type CompiledPlan, type DecodePlan } from '../plan.js';
import { fileSourceFor, type FileRef } from '../sources/index.js';
import { fileChunks } from '../sources/read.js';

/**
 * A decode worker (see workers.ts): one file at a time, it turns a file's bytes into chunks of COPY text,
 * posted back (transferred, not copied) in order. It reads the file itself when the source can be opened
 * again by URL (local files, S3), else the main thread posts it the raw bytes.
 *
 * Flow control: fewer than MAX_OUTSTANDING of its chunks (about 8 MB) may wait on the main thread; each
 * is credited back when the main thread takes it. Reading itself, the worker pauses on that; fed by the
 * main thread, it acknowledges each data message only while under it. Either way a worker that runs ahead
 * of the COPY stops, and memory stays bounded.
 */

export type ToWorker =
  | { t: 'job'; job: number; plan: DecodePlan }
  | { t: 'file'; job: number; f: number; display: string; read?: { file: FileRef; gzip: boolean } }
  | { t: 'data'; job: number; f: number; buf: ArrayBuffer }
  | { t: 'end'; job: number; f: number }
  | { t: 'credit'; job: number }
  | { t: 'abort'; job: number }
  /** A chunk's buffer back from the main thread, for reuse (any job). */
  | { t: 'recycle'; job?: undefined; buf: ArrayBuffer };

export interface WorkerFailure {
  message: string;
  stack?: string;
  /** Set when the error is a SparkifyError (a truncated gzip file, a missing object, ...). */
  sparkify?: { exitCode: 1 | 2; hint?: string };
}

export type FromWorker =
  | { t: 'out'; job: number; f: number; buf: ArrayBuffer; len: number; rows: number; rejects: DecodedChunk['rejects']; raw: number }
  | { t: 'ack'; job: number; f: number }
  | { t: 'stop'; job: number; f: number }
  | { t: 'done'; job: number; f: number; rows: number; raw: number }
  | { t: 'fail'; job: number; f: number; error: WorkerFailure }
  | { t: 'error'; job: number; error: WorkerFailure };

const MAX_OUTSTANDING = 8;

const port = parentPort!;
let job = -1;
let plan: CompiledPlan | undefined;
let decoder: FileDecoder | undefined;
let file = -1;
let outstanding = 0;
let pendingAcks = 0;
let stopSent = false;
/** Bytes read from the source since the last report (when the worker reads). */
let raw = 0;
let credited: (() => void) | undefined;

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(m, transfer);
}

function failure(err: unknown): WorkerFailure {
  const e = err as Error;
  return {
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(err instanceof SparkifyError ? { sparkify: { exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) } } : {}),
  };
}

function reset(): void {
  decoder = undefined;
  file = -1;
  outstanding = 0;
  pendingAcks = 0;
  stopSent = false;
  raw = 0;
  const c = credited;
  credited = undefined;
  c?.();
}

function startFile(j: number, f: number, display: string): FileDecoder {
  file = f;
  stopSent = false;
  decoder = new FileDecoder(
    plan!,
    display,
    (c) => {
      if (job !== j) return; // aborted meanwhile
      outstanding++;
      const buf = c.bytes.buffer as ArrayBuffer; // a pooled buffer of its own (ChunkWriter), offset 0
      post({ t: 'out', job: j, f, buf, len: c.bytes.length, rows: c.rows, rejects: c.rejects, raw }, [buf]);
      raw = 0;
    },
    pool,
  );
  return decoder;
}

/** Read the file itself, pausing while too many of its chunks wait on the main thread. */
async function readFile(j: number, f: number, ref: FileRef, gzip: boolean, d: FileDecoder): Promise<void> {
  try {
    const source = await fileSourceFor(ref.url);
    for await (const data of fileChunks(source, ref, gzip, (n) => (raw += n))) {
      if (job !== j) return;
      d.push(data);
      if (d.stopped) break; // more rejects than maxerror: the load fails when the main thread counts them
      while (outstanding >= MAX_OUTSTANDING && job === j) await new Promise<void>((resolve) => (credited = resolve));
      if (job !== j) return;
    }
    if (job !== j) return;
    d.end();
    post({ t: 'done', job: j, f, rows: d.rows, raw });
    raw = 0;
  } catch (err) {
    if (job === j) post({ t: 'fail', job: j, f, error: failure(err) });
  } finally {
    if (decoder === d) decoder = undefined;
  }
}

/** Output buffers, reused across files and jobs (chunks come back with 'recycle'). */
let pool: BufferPool | undefined;

function handle(m: ToWorker): void {
  if (m.t === 'recycle') {
    pool?.put(Buffer.from(m.buf));
    return;
  }
  if (m.t === 'job') {
    if (pool?.size !== m.plan.chunkBytes + WRITER_SLACK) pool = new BufferPool(m.plan.chunkBytes + WRITER_SLACK);
    reset();
    job = m.job;
    plan = compilePlan(m.plan);
    return;
  }
  if (m.job !== job) return; // a message of a job already aborted
  switch (m.t) {
    case 'abort':
      job = -1;
      reset();
      plan = undefined;
      return;
    case 'file': {
      const d = startFile(job, m.f, m.display);
      if (m.read) void readFile(job, m.f, m.read.file, m.read.gzip, d);
      return;
    }
    case 'data':
      decoder!.push(new Uint8Array(m.buf));
      if (decoder!.stopped && !stopSent) {
        stopSent = true;
        post({ t: 'stop', job, f: file });
      }
      if (outstanding < MAX_OUTSTANDING) post({ t: 'ack', job, f: file });
      else pendingAcks++;
      return;
    case 'end':
      decoder!.end();
      post({ t: 'done', job, f: file, rows: decoder!.rows, raw: 0 });
      decoder = undefined;
      return;
    case 'credit': {
      outstanding--;
      while (pendingAcks > 0 && outstanding < MAX_OUTSTANDING) {
        pendingAcks--;
        post({ t: 'ack', job, f: file });
      }
      const c = credited;
      credited = undefined;
      c?.();
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (err) {
    post({ t: 'error', job: m.job ?? -1, error: failure(err) });
  }
});
