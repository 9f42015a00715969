import { once } from 'node:events';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SparkifyError } from '../core/errors.js';
import { notStarted, toSqlError } from './errors.js';
import { postgresDialect } from './postgres-dialect.js';
import { binaryHeaderLength, releaseOf, type CopyChunk } from './copy-stream.js';
import { showOnPostgres } from './show.js';
import type { ShowResult } from './values.js';
import type { Driver, QueryResult, Relation, Session, Warehouse } from './types.js';

export interface PostgresSettings {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  schema: string;
  threads: number;
}

/**
 * A PostgreSQL server. Unset settings fall back to libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE), which node-postgres reads itself. One pool; --threads sets its size.
 */
export async function openPostgres(s: PostgresSettings, opts: { signal?: AbortSignal } = {}): Promise<Warehouse> {
  const clientConfig: pg.ClientConfig = {
    ...(s.host ? { host: s.host } : {}),
    ...(s.port ? { port: s.port } : {}),
    ...(s.user ? { user: s.user } : {}),
    ...(s.password ? { password: s.password } : {}),
    ...(s.database ? { database: s.database } : {}),
    application_name: 'sparkify',
    // Set at connection start-up, so every pooled client resolves unqualified names in the target schema.
    options: `-c search_path=${postgresDialect.quote(s.schema).replace(/ /g, '\\ ')},public`,
    types: { getTypeParser },
  };
  const pool = new pg.Pool({ ...clientConfig, max: s.threads });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const where = describe(s);
  try {
    // CREATE SCHEMA IF NOT EXISTS needs the right to create schemas even when the schema is there: look first,
    // so a role that may only use its schema can connect.
    const exists = await pool.query(postgresDialect.schemaExists(), [s.schema]);
    if (exists.rows.length === 0) await pool.query(postgresDialect.createSchema(s.schema));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new SparkifyError(`cannot connect to PostgreSQL at ${where}: ${(err as Error).message}`, {
      hint: 'Check PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (or the target in project.yml), and that the server is running.',
      cause: err,
    });
  }
  return { driver: new PostgresDriver(pool, s.threads, clientConfig, s.schema, opts.signal), dialect: postgresDialect, schema: s.schema, description: `PostgreSQL ${where}` };
}

/** host:port/database as user, never the password. */
function describe(s: PostgresSettings): string {
  const env = process.env;
  const host = s.host ?? env.PGHOST ?? 'localhost';
  const port = s.port ?? env.PGPORT ?? 5432;
  const db = s.database ?? env.PGDATABASE ?? s.user ?? env.PGUSER ?? '';
  return `${host}:${port}/${db} as ${s.user ?? env.PGUSER ?? '(default user)'}, schema ${s.schema}`;
}

class PostgresDriver implements Driver {
  readonly kind = 'postgres' as const;
  /** Clients with a statement (or a transaction) under way: what an interrupt cancels. */
  private readonly busy = new Set<pg.ClientBase>();
  private readonly onAbort = (): void => void this.cancelRunning();

  constructor(
    private readonly pool: pg.Pool,
    readonly maxConcurrency: number,
    private readonly clientConfig: pg.ClientConfig,
    private readonly schema: string,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.withClient(sql, (client) => runQuery(client, sql, params));
  }
  exec(sql: string): Promise<QueryResult> {
    return this.withClient(sql, (client) => runQuery(client, sql));
  }
  async copyIn(relation: Relation, columns: string[], chunks: AsyncIterable<CopyChunk>): Promise<number> {
    return this.transaction((tx) => tx.copyIn(relation, columns, chunks));
  }
  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    return this.withClient('begin', async (client) => {
      try {
        await client.query('begin');
        const result = await fn(clientSession(client, this.signal));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    });
  }
  show(sql: string): Promise<ShowResult> {
    return showOnPostgres(this.pool, sql);
  }
  async runLock(opts: { wait: boolean; onWait?: () => void }): Promise<() => Promise<void>> {
    // A session-level advisory lock on a client of its own (outside the pool), keyed by database + schema.
    const client = new pg.Client(this.clientConfig);
    await client.connect();
    const key = `select hashtext('sparkify run ' || current_database() || '.' || current_schema()) as k`;
    this.busy.add(client);
    try {
      if (this.signal?.aborted) throw notStarted('select pg_advisory_lock(...)');
      const k = Number((await client.query(key)).rows[0].k);
      const got = await client.query('select pg_try_advisory_lock($1) as ok', [k]);
      if (!got.rows[0].ok) {
        if (!opts.wait) {
          throw new SparkifyError(`another sparkify run holds the lock on schema ${this.schema} of this database`, {
            hint: 'Wait for it to finish, or run again without --no-wait to queue behind it.',
          });
        }
        opts.onWait?.();
        // An interrupt cancels this wait like any statement.
        await client.query('select pg_advisory_lock($1)', [k]).catch((err: unknown) => {
          throw toSqlError(err, 'select pg_advisory_lock($1)');
        });
      }
      return async () => {
        await client.query('select pg_advisory_unlock($1)', [k]).catch(() => undefined);
        await client.end().catch(() => undefined);
      };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    } finally {
      this.busy.delete(client);
    }
  }
  close(): Promise<void> {
    // One signal may serve many warehouses in a long-lived process (watch, tests): let go of it.
    this.signal?.removeEventListener('abort', this.onAbort);
    return this.pool.end();
  }

  /** A pooled client for `fn`, known as busy while `fn` runs; nothing starts once the run is interrupted. */
  private async withClient<T>(sql: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw notStarted(sql);
    const client = await this.pool.connect();
    this.busy.add(client);
    try {
      return await fn(client);
    } finally {
      this.busy.delete(client);
      client.release();
    }
  }

  /** pg_cancel_backend for every busy client's backend, from a connection of its own (the pool may be full). */
  private async cancelRunning(): Promise<void> {
    const pids = [...this.busy].map(backendPid).filter((p): p is number => typeof p === 'number');
    if (!pids.length) return;
    const canceller = new pg.Client(this.clientConfig);
    try {
      await canceller.connect();
      await canceller.query('select pg_cancel_backend(p) from unnest($1::int[]) as p', [pids]);
    } catch {
      // The server is gone: nothing is running there any more.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }
}

/** The server process of a connected client (node-postgres keeps it from BackendKeyData; its types do not say). */
function backendPid(client: pg.ClientBase): number | undefined {
  const pid = (client as unknown as { processID?: number | null }).processID;
  return typeof pid === 'number' ? pid : undefined;
}

function clientSession(client: pg.PoolClient, signal: AbortSignal | undefined): Session {
  const started = (sql: string): void => {
    if (signal?.aborted) throw notStarted(sql);
  };
  return {
    async query(sql, params) {
      started(sql);
      return runQuery(client, sql, params);
    },
    async exec(sql) {
      started(sql);
      return runQuery(client, sql);
    },
    async copyIn(relation, columns, chunks: AsyncIterable<CopyChunk>) {
      started('copy');
      // Chunks are whole rows: strings or bytes of COPY text, or a binary COPY stream (its first chunk starts
      // with the binary header, which goes to the server as it is).
      const it = chunks[Symbol.asyncIterator]();
      const head = await it.next();
      const binary = !head.done && binaryHeaderLength(head.value) > 0;
      const sql = `copy ${postgresDialect.relation(relation)} (${columns.map((c) => postgresDialect.quote(c)).join(', ')}) from stdin${binary ? ' with (format binary)' : ''}`;
      const stream = client.query(copyFrom(sql));
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', (err: unknown) => reject(toSqlError(err, sql)));
      });
      // A chunk's release function (copy-stream.ts) is called once its bytes have left for the server (nothing
      // buffered in the COPY stream or the socket), so the loader can reuse the buffer.
      const socket = (client as unknown as { connection?: { stream?: { writableLength?: number } } }).connection?.stream;
      let sent: (() => void)[] = [];
      const releaseSent = (all: boolean): void => {
        if (!sent.length || (!all && (stream.writableLength !== 0 || socket?.writableLength !== 0))) return;
        const done = sent;
        sent = [];
        for (const release of done) release();
      };
      const onSocketDrain = (): void => releaseSent(false);
      (socket as { on?: (e: string, f: () => void) => void } | undefined)?.on?.('drain', onSocketDrain);
      try {
        for (let r = head; !r.done; r = await it.next()) {
          const chunk = r.value;
          if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
          const release = releaseOf(chunk);
          if (release) sent.push(release);
          releaseSent(false);
        }
        stream.end();
        await done;
      } catch (err) {
        await it.return?.();
        stream.destroy(err as Error);
        await done.catch(() => undefined);
        throw err;
      } finally {
        // The client goes back to the pool: it must not keep this load's listener.
        (socket as { off?: (e: string, f: () => void) => void } | undefined)?.off?.('drain', onSocketDrain);
      }
      releaseSent(true);
      return stream.rowCount;
    },
  };
}

const INT8_OID = 20;

/** bigint (count(*)) as a number when it fits, as the embedded driver gives it; otherwise as text. */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') {
    return (v) => {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    };
  }
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}

async function runQuery(q: pg.PoolClient, sql: string, params?: unknown[]): Promise<QueryResult> {
  let r: pg.QueryResult | pg.QueryResult[];
  try {
    r = params && params.length ? await q.query(sql, params) : await q.query(sql);
  } catch (err) {
    throw toSqlError(err, sql);
  }
  const last = Array.isArray(r) ? r[r.length - 1]! : r;
  return {
    rows: last.rows as Record<string, unknown>[],
    fields: (last.fields ?? []).map((f: pg.FieldDef) => ({ name: f.name, typeId: f.dataTypeID })),
    ...(last.rowCount === null ? {} : { rowCount: last.rowCount }),
  };
}
