import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { SparkifyError } from '../../core/errors.js';
import { abortableSleep } from '../abort.js';
import type { Session } from '../types.js';
import { redshiftDialect } from './dialect.js';

// The run lock. Redshift has no advisory locks, and a Data API session lives only while it is used: the
// lock is a row in `<schema>.sparkify_run_lock` naming its holder, taken in a short transaction that first
// LOCKs the table (Redshift enforces no unique keys: the table lock is what makes two runs'
// check-then-insert exclusive). The holder refreshes its row's heartbeat while it runs and deletes the row
// when done; a row whose heartbeat is older than `staleSeconds` belongs to a run that died, and the next
// run takes it over.

export const RUN_LOCK_TABLE = 'sparkify_run_lock';

export interface RunLockTarget extends Pick<Session, 'query' | 'exec'> {
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
}

export interface RunLockOptions {
  schema: string;
  staleSeconds?: number;
  heartbeatSeconds?: number;
  wait: boolean;
  onWait?: (holder: string) => void;
  /** Stops the wait (an interrupted run). */
  signal?: AbortSignal;
}

export async function takeRunLock(db: RunLockTarget, opts: RunLockOptions): Promise<() => Promise<void>> {
  const q = redshiftDialect.quote;
  const table = `${q(opts.schema)}.${q(RUN_LOCK_TABLE)}`;
  await ensureLockTable(db, table, opts.schema);
  const me = randomUUID();
  const who = `${userName()}@${os.hostname()} pid ${process.pid}`;
  const stale = Math.max(1, Math.round(opts.staleSeconds ?? 90));
  let delay = 250;
  let told = false;
  for (;;) {
    const holder = await db.transaction(async (tx) => {
      await tx.exec(`lock ${table}`);
      const r = await tx.query(
        `select owner, holder, acquired_at, case when heartbeat_at < getdate() - interval '${stale} seconds' then 1 else 0 end as stale from ${table}`,
      );
      const live = r.rows.find((x) => Number(x.stale) === 0 && x.owner !== me);
      if (live) return live;
      // Nobody, or a run that stopped beating: the lock is ours.
      await tx.exec(`delete from ${table}`);
      await tx.query(`insert into ${table} (owner, holder, acquired_at, heartbeat_at) values ($1, $2, getdate(), getdate())`, [me, who]);
      return undefined;
    });
    if (!holder) break;
    const since = holder.acquired_at instanceof Date ? ` since ${holder.acquired_at.toISOString().replace('T', ' ').slice(0, 19)} UTC` : '';
    const described = `${String(holder.holder)}${since}`;
    if (!opts.wait) {
      throw new SparkifyError(`another sparkify run holds the lock on schema ${opts.schema} of this Redshift database: ${described}`, {
        hint: `Wait for it to finish, or run again without --no-wait to queue behind it. A run that died gives the lock up ${stale} s after its last heartbeat (the row in ${opts.schema}.${RUN_LOCK_TABLE}).`,
      });
    }
    if (!told) opts.onWait?.(described);
    told = true;
    await abortableSleep(delay, opts.signal, interruptedWaiting);
    delay = Math.min(delay * 2, 5000);
  }
  const beat = Math.max(1, opts.heartbeatSeconds ?? 20) * 1000;
  const heartbeat = setInterval(() => {
    void db.query(`update ${table} set heartbeat_at = getdate() where owner = $1`, [me]).catch(() => undefined);
  }, beat);
  heartbeat.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    await db.query(`delete from ${table} where owner = $1`, [me]).catch(() => undefined);
  };
}

async function ensureLockTable(db: RunLockTarget, table: string, schema: string): Promise<void> {
  const exists = async (): Promise<boolean> => (await db.query(`${redshiftDialect.listRelations()} and table_name = $2`, [schema, RUN_LOCK_TABLE])).rows.length > 0;
  if (await exists()) return;
  try {
    await db.exec(`create table ${table} (
  owner        varchar(64)  not null,
  holder       varchar(512) not null,
  acquired_at  timestamp    not null,
  heartbeat_at timestamp    not null
)`);
  } catch (err) {
    // Another run created it between our look and our create.
    if (!(await exists())) throw err;
  }
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown'; // no user name on this platform
  }
}

function interruptedWaiting(): SparkifyError {
  return new SparkifyError('interrupted while waiting for the run lock', { exitCode: 1 });
}
