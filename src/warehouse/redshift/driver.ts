import { GetStatementResultCommand, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { showOfDataApi } from '../show.js';
import type { Driver, QueryResult, S3CopyResult, S3CopySpec, Session } from '../types.js';
import { SHOW_TIME_ZONE_SESSION, type ShowResult } from '../values.js';
import { copyInSession, LoadErrorLog, type CopyContext } from './copy.js';
import { DataApi } from './data-api.js';
import { copyUnsupported } from './errors.js';
import { takeRunLock } from './run-lock.js';
import { SessionPool, type Lease } from './sessions.js';
import { secretMask, type Identity, type RedshiftDataSettings } from './settings.js';
import { splitStatements } from './statements.js';

// The Driver over the Data API. Every statement runs in a Data API session (sessions.ts); a transaction is
// `begin` … `commit` / `rollback` in one session: real transactions whose statements see each other's
// results. Several statements in one `exec` outside a transaction go as one BatchExecuteStatement (one
// transaction, as on Postgres).

export class RedshiftDataDriver implements Driver {
  readonly kind = 'redshift-data' as const;
  readonly maxConcurrency: number;
  /** Masks the secret ARN and the IAM role in messages. */
  readonly redact: (message: string) => string;
  readonly api: DataApi;
  private readonly sessions: SessionPool;
  private readonly loadErrors: LoadErrorLog;
  private closed = false;
  /** The AWS region the Data API is called in: COPY's REGION when the model names none. */
  region = '';

  constructor(
    private readonly client: RedshiftDataClient,
    identity: Identity,
    private readonly settings: RedshiftDataSettings,
    private readonly signal?: AbortSignal,
  ) {
    this.maxConcurrency = Math.max(1, settings.threads);
    this.redact = secretMask(settings);
    this.api = new DataApi(client, identity, {
      pollMinMs: settings.pollMinMs ?? 50,
      pollMaxMs: settings.pollMaxMs ?? 1000,
      busyRetries: settings.busyRetries ?? 3,
      redact: this.redact,
      ...(signal ? { signal } : {}),
    });
    this.sessions = new SessionPool(this.api, settings.schema, settings.sessionKeepAliveSeconds ?? 60);
    this.loadErrors = new LoadErrorLog(this.api);
  }

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.sessions.with((lease) => this.inLease(lease, sql, params));
  }

  exec(sql: string): Promise<QueryResult> {
    const statements = splitStatements(sql);
    if (statements.length === 0) return Promise.resolve({ rows: [], fields: [] });
    if (statements.length === 1) return this.query(statements[0]!);
    return this.sessions.with((lease) => this.sessions.serial(lease, () => this.api.batch(statements, lease)));
  }

  copyIn(): Promise<number> {
    return Promise.reject(copyUnsupported());
  }

  copyFromS3(spec: S3CopySpec): Promise<S3CopyResult> {
    return this.transaction((tx) => tx.copyFromS3!(spec));
  }

  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    return this.sessions.with(async (lease) => {
      const run = (sql: string, params?: unknown[]): Promise<QueryResult> => this.inLease(lease, sql, params);
      const tx: Session = {
        query: run,
        async exec(sql) {
          // Inside a transaction several statements run one by one (a batch would commit on its own).
          let last: QueryResult = { rows: [], fields: [] };
          for (const s of splitStatements(sql)) last = await run(s);
          return last;
        },
        copyIn: () => Promise.reject(copyUnsupported()),
        copyFromS3: (spec) => copyInSession(this.copyContext(), spec, lease, run),
      };
      await run('begin');
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await run('rollback').catch(() => (lease.broken = true));
        throw err;
      }
      try {
        await run('commit');
      } catch (err) {
        await run('rollback').catch(() => (lease.broken = true));
        throw err;
      }
      return result;
    });
  }

  show(sql: string): Promise<ShowResult> {
    // Dates and timestamps come as Redshift's text; the cells are read by show.ts, not fieldValue.
    return this.sessions.with((lease) =>
      this.sessions.serial(lease, async () => {
        await this.api.statement(SHOW_TIME_ZONE_SESSION, undefined, lease);
        const out = await this.api.submit(sql, [], lease);
        const id = (await this.api.finish(out.id, sql)).Id ?? out.id;
        return showOfDataApi((token) => this.api.call(() => this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }))));
      }),
    );
  }

  runLock(opts: { wait: boolean; onWait?: (holder?: string) => void }): Promise<() => Promise<void>> {
    return takeRunLock(this, {
      schema: this.settings.schema,
      ...(this.settings.runLockStaleSeconds !== undefined ? { staleSeconds: this.settings.runLockStaleSeconds } : {}),
      ...(this.settings.runLockHeartbeatSeconds !== undefined ? { heartbeatSeconds: this.settings.runLockHeartbeatSeconds } : {}),
      wait: opts.wait,
      ...(opts.onWait ? { onWait: opts.onWait } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sessions.close();
    this.api.dispose();
    this.client.destroy();
  }

  /** One statement in the lease's session, after those already queued on it. */
  private inLease(lease: Lease, sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.sessions.serial(lease, () => this.api.statement(sql, params, lease));
  }

  private copyContext(): CopyContext {
    return { api: this.api, sessions: this.sessions, iamRole: this.settings.iamRole, region: this.region, redact: this.redact, loadErrors: this.loadErrors };
  }
}
