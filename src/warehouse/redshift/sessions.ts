import { SparkifyError } from '../../core/errors.js';
import { SqlError } from '../errors.js';
import type { DataApi, SessionRef } from './data-api.js';
import { redshiftDialect } from './dialect.js';

// Data API sessions. SessionKeepAliveSeconds on a first statement returns a SessionId; later statements that
// pass it run on the same database connection. A session starts with `set search_path` to the target
// schema, so unqualified names resolve as they do on the other targets. Idle sessions are reused until
// shortly before they expire (the Data API has no call that ends one: they close on their own).

/** A Data API session lent to one caller at a time. */
export interface Lease extends SessionRef {
  lastUsed: number;
  /** Taken from the idle pool (rather than just created). */
  reused: boolean;
  /** Unusable (gone, a rollback failed, a call failed): not returned to the pool. */
  broken?: boolean;
  /** Statements of one lease run one after another (a session runs one statement at a time). */
  chain: Promise<unknown>;
}

export class SessionPool {
  private readonly idle: Lease[] = [];
  private closed = false;

  constructor(
    private readonly api: DataApi,
    private readonly schema: string,
    private readonly keepAliveSeconds: number,
  ) {}

  /** Run `fn` with a session of its own, returned to the pool afterwards unless it broke. */
  async with<T>(fn: (lease: Lease) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new SparkifyError('the Redshift connection is closed');
      const lease = await this.acquire();
      lease.accepted = 0;
      try {
        return await fn(lease);
      } catch (err) {
        // A reused session that expired before its first statement was accepted: nothing ran, so start
        // again in a new session.
        if (lease.gone && lease.reused && lease.accepted === 0 && attempt === 0) continue;
        throw err;
      } finally {
        lease.lastUsed = Date.now();
        if (!lease.broken && !this.closed) this.idle.push(lease);
      }
    }
  }

  /** Run `fn` after everything already queued on this lease; a failure other than the SQL's retires the session. */
  serial<T>(lease: Lease, fn: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> =>
      fn().catch((err: unknown) => {
        if (!(err instanceof SqlError)) lease.broken = true;
        throw err;
      });
    const next = lease.chain.then(guarded, guarded);
    lease.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.closed = true;
    this.idle.length = 0;
  }

  private async acquire(): Promise<Lease> {
    // Reuse the most recently used session that is safely short of its keep-alive.
    const keepAlive = this.keepAliveSeconds * 1000;
    const margin = Math.min(10_000, keepAlive / 4);
    while (this.idle.length) {
      const lease = this.idle.pop()!;
      if (Date.now() - lease.lastUsed < keepAlive - margin) return { ...lease, reused: true };
    }
    const sql = `set search_path to ${redshiftDialect.quote(this.schema)}, public`;
    const out = await this.api.submit(sql, [], undefined, this.keepAliveSeconds);
    if (!out.sessionId) throw new SparkifyError('the Redshift Data API started no session (its answer had no SessionId)');
    await this.api.finish(out.id, sql);
    return { id: out.sessionId, lastUsed: Date.now(), reused: false, accepted: 0, chain: Promise.resolve() };
  }
}
