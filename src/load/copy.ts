import type { LoadProgress } from '../core/progress.js';
import os from 'node:os';
import { SparkifyError } from '../core/errors.js';
import type { Relation, Session } from '../warehouse/types.js';
import { binaryKind, COPY_BINARY_HEADER } from './binary.js';
import type { ColumnType } from './convert.js';
import { CHUNK_BYTES, compilePlan, MAX_JSON_VALUE_BYTES, type DecodePlan, type JsonFormat } from './plan.js';
import { decodeInThread, decodeInWorkers, type DecodeInput, type FileChunk } from './pool/workers.js';
import { isGzip } from './sources/read.js';
import type { FileRef, FileSource } from './sources/types.js';
import type { CopyOptions, RejectedRow } from '../core/copy.js';

export interface LoadSpec {
  relation: Relation;
  columns: ColumnType[];
  files: FileRef[];
  source: FileSource;
  /** 'auto', 'auto ignorecase', or a JSONPaths file (its display name and text). */
  format: JsonFormat;
  /** COPY's options. `gzip`: every file is gzip (files named *.gz are, with or without it). */
  options: CopyOptions & { maxerror: number; gzip?: boolean };
  /** Called as the load goes (at most every PROGRESS_MS) and once at the end; see progress.ts. */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Decode workers (worker threads). Default: none for small loads (under WORKER_MIN_BYTES), else up to
   * one per CPU but one, at most 4 and one per file; SPARKIFY_LOAD_WORKERS overrides. 0 decodes on the
   * main thread. The table gets the same rows in the same order either way.
   */
  workers?: number;
  /** Largest JSON value accepted, in bytes (default MAX_JSON_VALUE_BYTES, 4 MB as in Redshift). */
  maxValueBytes?: number;
  /**
   * How rows travel to the database: 'binary' (the default, when every column has a binary form: see
   * binary.ts) spares the database parsing the values; 'text' is COPY's text format. The table gets the
   * same values either way. SPARKIFY_COPY_FORMAT=text overrides the default.
   */
  copyFormat?: 'binary' | 'text';
}

export interface LoadResult {
  files: number;
  rows: number;
  bytes: number;
  rejected: RejectedRow[];
}

const PROGRESS_MS = 200;
/** Below this much input, worker threads cost more to start than they save. */
const WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Load JSON files into a (new, empty) table with COPY semantics. Files stream (never whole in memory),
 * are decoded (on worker threads for large loads) into COPY text and fed to the warehouse's bulk path in
 * bounded chunks, in file order. More rejected rows than `maxerror` fail the load with every rejected row
 * named; the caller's transaction then leaves the staging table as it was.
 */
export async function loadJson(session: Session, spec: LoadSpec): Promise<LoadResult> {
  const format = spec.copyFormat ?? (process.env.SPARKIFY_COPY_FORMAT === 'text' ? 'text' : 'binary');
  const plan: DecodePlan = {
    columns: spec.columns,
    format: spec.format,
    options: spec.options,
    maxValueBytes: spec.maxValueBytes ?? MAX_JSON_VALUE_BYTES,
    chunkBytes: CHUNK_BYTES,
    fastPath: true,
    binary: format === 'binary' && spec.columns.length > 0 && spec.columns.every((c) => binaryKind(c, spec.options) !== 0),
  };
  // Compiled here even when workers decode: a JSONPaths file that does not fit fails before any loading.
  const compiled = compilePlan(plan);
  const names = compiled.names;
  const maxerror = spec.options.maxerror;
  const rejected: RejectedRow[] = [];
  const totalBytes = spec.files.reduce((n, f) => n + f.size, 0);
  let bytes = 0;
  let parsed = 0;
  let filesDone = 0;
  const started = Date.now();
  let reported = 0;
  const report = (done: boolean): void => {
    if (!spec.onProgress) return;
    const now = Date.now();
    if (!done && now - reported < PROGRESS_MS) return;
    reported = now;
    spec.onProgress({ files: filesDone, totalFiles: spec.files.length, rows: parsed, bytes, totalBytes, elapsedMs: now - started, done });
  };

  const input: DecodeInput = {
    source: spec.source,
    files: spec.files,
    gzip: spec.options.gzip ?? false,
    onRaw: (n) => {
      bytes += n;
    },
  };
  const workers = workerCount(spec);
  const decoded: AsyncGenerator<FileChunk> = workers > 0 ? decodeInWorkers(plan, input, workers) : decodeInThread(compiled, input);

  async function* chunks(): AsyncGenerator<Buffer> {
    let header = plan.binary;
    for await (const c of decoded) {
      for (const e of c.rejects) {
        rejected.push(e);
        if (rejected.length > maxerror) throw loadFailure(rejected, maxerror);
      }
      parsed += c.rows;
      if (c.last) filesDone++;
      report(false);
      if (!c.bytes.length) continue;
      if (header) {
        header = false;
        yield COPY_BINARY_HEADER; // the drivers see from it that the stream is binary
      }
      yield c.bytes;
    }
  }

  // Chunks are Buffers (COPY text, or binary tuples after the PGCOPY header); both drivers take bytes.
  const rows = await session.copyIn(spec.relation, names, chunks());
  if (rows !== parsed) throw new Error(`COPY loaded ${rows} rows but ${parsed} were sent`);
  report(true);
  return { files: spec.files.length, rows, bytes, rejected };
}

function workerCount(spec: LoadSpec): number {
  const cap = (n: number): number => Math.max(0, Math.min(Math.floor(n), spec.files.length));
  if (spec.workers !== undefined) return cap(spec.workers);
  const env = process.env.SPARKIFY_LOAD_WORKERS;
  if (env !== undefined && env.trim() !== '' && Number.isFinite(Number(env))) return cap(Number(env));
  // Compressed files count for more: gzip'd JSON is about a tenth of its size.
  const weight = spec.files.reduce((n, f) => n + f.size * (isGzip(f, spec.options.gzip ?? false) ? 8 : 1), 0);
  if (weight < WORKER_MIN_BYTES) return 0;
  return cap(Math.max(1, Math.min(4, os.availableParallelism() - 1)));
}

export function loadFailure(rejected: RejectedRow[], maxerror: number): SparkifyError {
  const shown = rejected.slice(0, 20);
  const lines = shown.map((e) => `${e.file}:${e.line}${e.column ? ` column ${e.column}` : ''}: ${e.reason}${e.raw ? ` (value: ${JSON.stringify(e.raw)})` : ''}`);
  if (rejected.length > shown.length) lines.push(`… and ${rejected.length - shown.length} more`);
  return new SparkifyError(
    `load failed: ${rejected.length} row${rejected.length > 1 ? 's' : ''} rejected (maxerror ${maxerror})\n  ${lines.join('\n  ')}`,
    {
      exitCode: 1,
      location: { file: rejected[0]!.file, line: rejected[0]!.line, column: 0 },
      hint: 'The staging table is unchanged. Fix the data, widen the column, or allow rejects with config maxerror=N.',
    },
  );
}
