import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { SparkifyError } from '../../core/errors.js';
import { BufferPool, RELEASE, WRITER_SLACK } from '../buffers.js';
import { FileDecoder, type DecodedChunk } from '../decode.js';
import type { CompiledPlan, DecodePlan } from '../plan.js';
import { fileChunks } from '../sources/read.js';
import type { FileRef, FileSource } from '../sources/types.js';
import type { FromWorker, ToWorker, WorkerFailure } from './decode-worker.js';

/**
 * Where decoding happens. On the main thread (small loads) or in worker threads: files are handed to N
 * workers, each decoding one file at a time from the raw bytes the main thread reads and posts to it;
 * their chunks of COPY text come back transferred (not copied) and are handed on strictly in file order,
 * so rows reach COPY in the same order either way, with the same rejects in the same order. The main
 * thread only reads files, moves buffers and feeds the COPY; JSON never touches it.
 *
 * Both yield the same stream: each file's chunks in order, then one item with `last` set.
 */
export interface FileChunk extends DecodedChunk {
  file: number;
  /** The file's final item (no bytes): all its rows and rejects came before. */
  last: boolean;
}

export interface DecodeInput {
  source: FileSource;
  files: FileRef[];
  gzip: boolean;
  /** Bytes read from the source (as stored: compressed for gzip). */
  onRaw: (bytes: number) => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * Decoding on the main thread, running up to READ_AHEAD chunks ahead of the consumer: while the COPY waits
 * for the database to drain what it was sent, the next chunks are read and decoded.
 */
export function decodeInThread(plan: CompiledPlan, input: DecodeInput): AsyncGenerator<FileChunk> {
  return readAhead(decodeFiles(plan, input), READ_AHEAD);
}

const READ_AHEAD = 4;

async function* decodeFiles(plan: CompiledPlan, input: DecodeInput): AsyncGenerator<FileChunk> {
  const pool = new BufferPool(plan.plan.chunkBytes + WRITER_SLACK);
  for (let f = 0; f < input.files.length; f++) {
    const file = input.files[f]!;
    const out: DecodedChunk[] = [];
    const decoder = new FileDecoder(plan, file.display, (c) => out.push(c), pool);
    for await (const data of fileChunks(input.source, file, input.gzip, input.onRaw)) {
      decoder.push(data);
      while (out.length) yield { ...out.shift()!, file: f, last: false };
      if (decoder.stopped) break; // more rejects than maxerror: the load fails when they are counted
    }
    decoder.end();
    for (const c of out) yield { ...c, file: f, last: false };
    yield { bytes: EMPTY, rows: 0, rejects: [], file: f, last: true };
  }
}

/** Pull items from `source` up to `depth` ahead of the consumer (errors arrive in order, after the items). */
async function* readAhead<T>(source: AsyncGenerator<T>, depth: number): AsyncGenerator<T> {
  const queue: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let pumping = false;
  let notify: (() => void) | undefined;
  const wake = (): void => {
    const n = notify;
    notify = undefined;
    n?.();
  };
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!finished && queue.length < depth) {
        const r = await source.next();
        if (r.done) finished = true;
        else queue.push(r.value);
        wake();
      }
    } catch (error) {
      failure = { error };
      finished = true;
      wake();
    } finally {
      pumping = false;
    }
  };
  try {
    for (;;) {
      void pump();
      const item = queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (notify = resolve));
    }
  } finally {
    finished = true;
    await source.return(undefined);
  }
}

/** Raw data messages in flight to one worker before it acknowledges. */
const MAX_IN_FLIGHT = 2;
/** Raw bytes gathered into one message. */
const POST_BYTES = 1024 * 1024;

let jobs = 0;

export async function* decodeInWorkers(plan: DecodePlan, input: DecodeInput, count: number): AsyncGenerator<FileChunk> {
  const job = ++jobs;
  const files = input.files;
  const queues = files.map(() => ({ chunks: [] as (FileChunk & { from: Worker })[], done: false, stop: false, error: undefined as unknown }));
  // Workers read local files and S3 objects themselves; other sources' bytes go through the main thread.
  const selfRead = input.source.reopenable === true;
  let failure: unknown;
  let cancelled = false;
  let waiter: (() => void) | undefined;
  const wake = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const fail = (err: unknown): void => {
    failure ??= err;
    wake();
  };
  let next = 0;

  interface Slot {
    worker: Worker;
    inFlight: number;
    acked?: () => void;
    listener: (m: FromWorker) => void;
    onError: (err: Error) => void;
    onExit: (code: number) => void;
    broken: boolean;
  }
  const slots: Slot[] = acquire(count).map((worker) => {
    const slot: Slot = {
      worker,
      inFlight: 0,
      broken: false,
      listener: (m) => {
        if (m.job !== job) return;
        switch (m.t) {
          case 'out': {
            if (m.raw) input.onRaw(m.raw);
            const bytes = Buffer.from(m.buf, 0, m.len);
            // Once the driver is done with it, the buffer goes back to the worker (transferred) for reuse.
            const buf = m.buf;
            (bytes as Buffer & { [RELEASE]?: () => void })[RELEASE] = () => {
              try {
                send(worker, { t: 'recycle', buf }, [buf]);
              } catch {
                // the worker is gone; the buffer goes to the collector
              }
            };
            queues[m.f]!.chunks.push({ bytes, rows: m.rows, rejects: m.rejects, file: m.f, last: false, from: worker });
            wake();
            break;
          }
          case 'ack':
            slot.inFlight--;
            slot.acked?.();
            break;
          case 'stop':
            queues[m.f]!.stop = true;
            slot.acked?.();
            break;
          case 'done':
            if (m.raw) input.onRaw(m.raw);
            queues[m.f]!.done = true;
            assign(slot);
            wake();
            break;
          case 'fail':
            // A file that cannot be read fails the load when its turn comes (errors in file order).
            queues[m.f]!.error = toError(m.error);
            queues[m.f]!.done = true;
            assign(slot);
            wake();
            break;
          case 'error':
            fail(toError(m.error, 'decode worker: '));
            break;
        }
      },
      onError: (err) => {
        slot.broken = true;
        fail(err);
      },
      onExit: (code) => {
        slot.broken = true;
        fail(new Error(`a decode worker exited (code ${code})`));
      },
    };
    worker.on('message', slot.listener);
    worker.on('error', slot.onError);
    worker.on('exit', slot.onExit);
    send(worker, { t: 'job', job, plan });
    return slot;
  });

  function assign(slot: Slot): void {
    if (cancelled || failure || next >= files.length) return;
    const f = next++;
    const file = files[f]!;
    if (selfRead) {
      send(slot.worker, { t: 'file', job, f, display: file.display, read: { file, gzip: input.gzip } });
    } else {
      send(slot.worker, { t: 'file', job, f, display: file.display });
      void feed(slot, f);
    }
  }

  /** Read file f and post its bytes to the slot's worker, at most MAX_IN_FLIGHT messages ahead of it. */
  async function feed(slot: Slot, f: number): Promise<void> {
    const q = queues[f]!;
    // Bytes gather (copied at once: a source may reuse its chunks) into one message of about POST_BYTES.
    let pending = new Uint8Array(POST_BYTES);
    let size = 0;
    const post = async (): Promise<void> => {
      while (slot.inFlight >= MAX_IN_FLIGHT && !cancelled && !failure && !q.stop) {
        await new Promise<void>((resolve) => (slot.acked = resolve));
      }
      slot.acked = undefined;
      if (cancelled || failure || q.stop) return;
      const buf = pending.buffer.slice(0, size) as ArrayBuffer;
      size = 0;
      slot.inFlight++;
      send(slot.worker, { t: 'data', job, f, buf }, [buf]);
    };
    try {
      for await (const data of fileChunks(input.source, files[f]!, input.gzip, input.onRaw)) {
        if (cancelled || failure || q.stop) break;
        if (size + data.length > pending.length) {
          const bigger = new Uint8Array(Math.max(pending.length * 2, size + data.length));
          bigger.set(pending.subarray(0, size));
          pending = bigger;
        }
        pending.set(data, size);
        size += data.length;
        if (size >= POST_BYTES) await post();
      }
      if (size > 0) await post();
      if (!cancelled && !failure) send(slot.worker, { t: 'end', job, f });
    } catch (err) {
      fail(err);
    }
  }

  try {
    for (const slot of slots) assign(slot);
    for (let f = 0; f < files.length; f++) {
      const q = queues[f]!;
      for (;;) {
        if (failure) throw failure;
        const c = q.chunks.shift();
        if (c) {
          send(c.from, { t: 'credit', job });
          const { from: _from, ...chunk } = c;
          yield chunk;
          continue;
        }
        if (q.done) {
          if (q.error !== undefined) throw q.error;
          break;
        }
        await new Promise<void>((resolve) => (waiter = resolve));
      }
      yield { bytes: EMPTY, rows: 0, rejects: [], file: f, last: true };
    }
  } finally {
    cancelled = true;
    for (const slot of slots) {
      slot.worker.off('message', slot.listener);
      slot.worker.off('error', slot.onError);
      slot.worker.off('exit', slot.onExit);
      slot.acked?.();
      if (slot.broken) void slot.worker.terminate();
      else {
        send(slot.worker, { t: 'abort', job });
        release(slot.worker);
      }
    }
  }
}

function toError(f: WorkerFailure, prefix = ''): Error {
  if (f.sparkify) return new SparkifyError(f.message, { exitCode: f.sparkify.exitCode, ...(f.sparkify.hint ? { hint: f.sparkify.hint } : {}) });
  const e = new Error(`${prefix}${f.message}`);
  if (f.stack) e.stack = f.stack;
  return e;
}

function send(worker: Worker, m: ToWorker, transfer?: ArrayBuffer[]): void {
  worker.postMessage(m, transfer);
}

// ---------------------------------------------------------------------------------------------------------
// The pool: workers outlive a load (the next load, or a concurrent one on another connection, reuses or adds
// them) and do not keep the process alive while idle.

const idle: Worker[] = [];

function acquire(n: number): Worker[] {
  const got: Worker[] = [];
  while (got.length < n && idle.length) got.push(idle.pop()!);
  while (got.length < n) got.push(spawn());
  for (const w of got) w.ref();
  return got;
}

function release(w: Worker): void {
  w.unref();
  idle.push(w);
}

/** End the idle workers (tests; a long-lived process that is done loading). */
export async function closeDecodeWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

/**
 * A decoder makes almost no garbage on the JavaScript heap (rows go straight into byte buffers): a small
 * young generation, which V8 would otherwise grow as a long load goes on, keeps its memory the same for a
 * load of any size.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

/** A decode worker; it shares the process' environment (AWS_* settings for S3, read when first used). */
function spawn(): Worker {
  const here = import.meta.url;
  let worker: Worker;
  if (!here.endsWith('.ts')) {
    worker = new Worker(new URL('./decode-worker.js', here), { env: SHARE_ENV, resourceLimits: WORKER_LIMITS });
  } else {
    // Running from the TypeScript sources (vitest): the worker compiles them on the fly with the
    // TypeScript compiler (a devDependency), through a module loader hook. The built code never does this.
    const ts = pathToFileURL(createRequire(here).resolve('typescript')).href;
    const boot = `
      const { register } = require('node:module');
      register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(TS_HOOK)}`)}, { data: { ts: ${JSON.stringify(ts)} } });
      import(${JSON.stringify(new URL('./decode-worker.ts', here).href)});
    `;
    worker = new Worker(boot, { eval: true, env: SHARE_ENV, resourceLimits: WORKER_LIMITS });
  }
  // A worker that dies while idle is simply dropped from the pool.
  const drop = (): void => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  };
  worker.on('exit', drop);
  worker.on('error', drop);
  return worker;
}

const TS_HOOK = `
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
let ts;
export async function initialize(data) { ts = (await import(data.ts)).default; }
export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
`;
