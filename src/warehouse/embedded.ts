import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { SparkifyError } from '../core/errors.js';
import { postgresDialect } from './postgres-dialect.js';
import { takeDirLock } from './dir-lock.js';
import { notStarted, toSqlError } from './errors.js';
import { binaryHeaderLength, releaseOf, type CopyChunk } from './copy-stream.js';
import { showOnPglite } from './show.js';
import type { ShowResult } from './values.js';
import type { Driver, QueryResult, Relation, Session, Warehouse } from './types.js';

type PGliteSession = Pick<PGlite, 'query' | 'exec'> | Transaction;

export interface EmbeddedOpenOptions {
  /** Wait (up to 60 s) for another process using the data directory (default), or fail at once. */
  wait?: boolean;
  /** Called once if this process waits: who holds the data directory. */
  onWait?: (holder: string) => void;
  /** What this process runs, as a process waiting for it is told (default: the script's name). */
  command?: string;
  /**
   * The run's cancellation: the wait for the data directory ends, and no statement starts after it. (A
   * statement already running finishes: PGlite runs it on this thread and cannot be interrupted.)
   */
  signal?: AbortSignal;
}

/** The embedded warehouse: real Postgres compiled to WASM, one data directory under the project. */
export async function openEmbedded(dataDir: string, schema: string, opts: EmbeddedOpenOptions = {}): Promise<Warehouse> {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // Beside the data directory (PGlite owns the directory itself); the name differs from the older lock file.
  const release = await takeDirLock(`${dataDir}.locks`, {
    waitMs: opts.wait === false ? 0 : 60_000,
    command: opts.command ?? path.basename(process.argv[1] ?? 'node'),
    what: `the embedded database ${dataDir}`,
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let db: PGlite;
  // What Postgres says while starting (kept to tell why it could not start; otherwise PGlite only says it failed).
  const startup: string[] = [];
  let started = false;
  try {
    db = await PGlite.create({
      dataDir,
      onStderr: (line) => {
        if (!started) startup.push(line);
        if (startup.length > 40) startup.shift();
        return false;
      },
    });
    started = true;
  } catch (err) {
    release();
    const said = startup.filter((l) => /\b(FATAL|PANIC|ERROR|LOG|DETAIL|HINT):/.test(l)).slice(-8);
    throw new SparkifyError(`could not open the embedded database at ${dataDir}: ${(err as Error).message}${said.length ? `\n  Postgres said:\n    ${said.join('\n    ')}` : ''}`, {
      hint: 'If it was damaged, delete that folder; the next run recreates it (raw data is reloaded from data_path).',
      cause: err,
    });
  }
  const driver = new EmbeddedDriver(db, release, opts.signal);
  if (schema !== 'public') await driver.exec(postgresDialect.createSchema(schema));
  await driver.exec(`set search_path to ${postgresDialect.quote(schema)}, public`);
  return { driver, dialect: postgresDialect, schema, description: `embedded Postgres at ${dataDir}` };
}

class EmbeddedDriver implements Driver {
  readonly kind = 'embedded' as const;
  readonly maxConcurrency = 1;

  constructor(
    private readonly db: PGlite,
    private readonly release: () => void,
    private readonly signal?: AbortSignal,
  ) {}

  async query(sql: string, params?: unknown[]): Promise<QueryResult> {
    refuseIfAborted(this.signal, sql);
    return runQuery(this.db, sql, params);
  }
  async exec(sql: string): Promise<QueryResult> {
    refuseIfAborted(this.signal, sql);
    return runExec(this.db, sql);
  }
  copyIn(relation: Relation, columns: string[], chunks: AsyncIterable<CopyChunk>): Promise<number> {
    return this.transaction((tx) => tx.copyIn(relation, columns, chunks));
  }
  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    refuseIfAborted(this.signal, 'begin');
    return this.db.transaction((tx) => fn(sessionOf(tx, this.signal)));
  }
  show(sql: string): Promise<ShowResult> {
    return showOnPglite(this.db, sql);
  }
  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.release();
    }
  }
}

function refuseIfAborted(signal: AbortSignal | undefined, sql: string): void {
  if (signal?.aborted) throw notStarted(sql);
}

function sessionOf(s: PGliteSession, signal: AbortSignal | undefined): Session {
  return {
    async query(sql, params) {
      refuseIfAborted(signal, sql);
      return runQuery(s, sql, params);
    },
    async exec(sql) {
      refuseIfAborted(signal, sql);
      return runExec(s, sql);
    },
    async copyIn(relation, columns, chunks: AsyncIterable<CopyChunk>) {
      refuseIfAborted(signal, 'copy');
      // PGlite's bulk path reads a whole Blob into memory: chunks (strings or UTF-8 bytes of whole rows) are
      // gathered into Blobs of about COPY_BLOB_BYTES, one COPY statement each: bounded memory, and few
      // enough statements that their fixed cost does not count. A stream that starts with the binary COPY
      // header ("PGCOPY\n\377\r\n\0", flags, extension length; a text stream is UTF-8 and cannot start
      // with it) is binary: each statement gets the header again.
      const COPY_BLOB_BYTES = 8 * 1024 * 1024;
      const target = `${postgresDialect.relation(relation)} (${columns.map((c) => postgresDialect.quote(c)).join(', ')})`;
      let sql = `copy ${target} from '/dev/blob'`;
      let header: Uint8Array | undefined;
      let first = true;
      let rows = 0;
      let parts: CopyChunk[] = [];
      let size = 0;
      const flush = async (): Promise<void> => {
        if (size === 0) return;
        const blob = new Blob((header ? [header, ...parts] : parts) as ConstructorParameters<typeof Blob>[0]);
        // The Blob holds a copy: a chunk that carries a release function (the loader's, to reuse the buffer)
        // can have it now.
        for (const part of parts) releaseOf(part)?.();
        parts = [];
        size = 0;
        const r = await s.query(sql, [], { blob }).catch((err: unknown) => {
          throw toSqlError(err, sql);
        });
        rows += r.affectedRows ?? 0;
      };
      for await (let chunk of chunks) {
        if (first) {
          first = false;
          const h = binaryHeaderLength(chunk);
          if (h > 0) {
            header = (chunk as Uint8Array).slice(0, h);
            chunk = (chunk as Uint8Array).subarray(h);
            sql = `copy ${target} from '/dev/blob' with (format binary)`;
          }
        }
        if (!chunk.length) continue;
        parts.push(chunk);
        size += chunk.length;
        if (size >= COPY_BLOB_BYTES) await flush();
      }
      await flush();
      return rows;
    },
  };
}

async function runQuery(s: PGliteSession, sql: string, params?: unknown[]): Promise<QueryResult> {
  const r = await s.query<Record<string, unknown>>(sql, params ?? []).catch((err: unknown) => {
    throw toSqlError(err, sql);
  });
  return { rows: r.rows, fields: r.fields.map((f) => ({ name: f.name, typeId: f.dataTypeID })), rowCount: r.affectedRows ?? r.rows.length };
}

async function runExec(s: PGliteSession, sql: string): Promise<QueryResult> {
  const results = await s.exec(sql).catch((err: unknown) => {
    throw toSqlError(err, sql);
  });
  const last = results[results.length - 1];
  if (!last) return { rows: [], fields: [] };
  const fields = last.fields.map((f) => ({ name: f.name, typeId: f.dataTypeID }));
  // PGlite reports 0 affected rows for CREATE TABLE AS; say "unknown" rather than a wrong 0.
  const unknown = fields.length === 0 && /^\s*create\b/i.test(sql);
  return { rows: last.rows as Record<string, unknown>[], fields, ...(unknown ? {} : { rowCount: last.affectedRows ?? last.rows.length }) };
}
