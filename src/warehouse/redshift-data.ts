import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type ColumnMetadata,
  type DescribeStatementResponse,
  type Field as DataField,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { SparkifyError } from '../core/errors.js';
import { CopyRejectedError, SqlError } from './errors.js';
import { redshiftDialect } from './redshift-dialect.js';
import type { Driver, Field, QueryResult, S3CopyResult, S3CopySpec, Session, Warehouse } from './types.js';
import type { RejectedRow } from '../core/copy.js';
import { showOfDataApi } from './show.js';
import { SHOW_TIME_ZONE_SESSION, type ShowResult } from './values.js';

// Amazon Redshift through the Redshift Data API: statements are HTTP calls that run asynchronously.
//
//   ExecuteStatement → poll DescribeStatement (50 ms doubling to 1 s) until FINISHED / FAILED / ABORTED
//   → GetStatementResult, page by page (NextToken).
//
// Every statement runs in a Data API session (SessionKeepAliveSeconds on the first statement returns a
// SessionId; later statements pass it and run on the same database connection). A session starts with
// `set search_path` to the target schema, so unqualified names resolve as they do on the other targets, and
// a transaction is `begin` … `commit` / `rollback` in one session: real transactions whose statements see
// each other's results. Idle sessions are reused until shortly before they expire. Several statements in
// one `exec` outside a transaction go as one BatchExecuteStatement (one transaction, as on Postgres).
//
// Staging loads are Redshift's own COPY ... FROM 's3://...' (copyFromS3), run in the load's transaction;
// rows Redshift rejects are read back from stl_load_errors (sys_load_error_detail on Serverless). The run
// lock is a row in a lock table (Redshift has no advisory locks): see runLock.

export interface RedshiftDataSettings {
  clusterIdentifier?: string;
  /** Redshift Serverless workgroup name or ARN. */
  workgroup?: string;
  database?: string;
  dbUser?: string;
  /** Secrets Manager secret with the database user's name and password. Never shown. */
  secretArn?: string;
  region?: string;
  schema: string;
  threads: number;
  /** Seconds a session stays open after its last statement (default 60). */
  sessionKeepAliveSeconds?: number;
  /** DescribeStatement polling: first wait and longest wait in ms (default 50 and 1000). */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Retries, with backoff, of a statement refused because too many statements or sessions are active (default 3). */
  busyRetries?: number;
  /** IAM role (ARN, or `default`) Redshift's COPY reads S3 with. Never shown. */
  iamRole?: string;
  /** Run lock: a holder not seen for this long is gone (crashed) and loses the lock (default 90 s). */
  runLockStaleSeconds?: number;
  /** Run lock: how often the holder says it is still there (default 20 s). */
  runLockHeartbeatSeconds?: number;
}

/** The connection parameters every sessionless request carries. */
interface Identity {
  ClusterIdentifier?: string;
  WorkgroupName?: string;
  Database?: string;
  DbUser?: string;
  SecretArn?: string;
}

const clean = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

function identityOf(targetName: string, s: RedshiftDataSettings): Identity {
  const cluster = clean(s.clusterIdentifier);
  const workgroup = clean(s.workgroup);
  const database = clean(s.database);
  const dbUser = clean(s.dbUser);
  const secretArn = clean(s.secretArn);
  if (cluster && workgroup) {
    throw new SparkifyError(`target '${targetName}' sets both cluster_identifier and workgroup`, {
      hint: 'A provisioned cluster takes cluster_identifier; Redshift Serverless takes workgroup. Keep one.',
    });
  }
  if (!cluster && !workgroup && !secretArn) {
    throw new SparkifyError(`target '${targetName}' does not say which Redshift to use`, {
      hint:
        'Set cluster_identifier (with database and db_user), workgroup (Redshift Serverless, with database) or secret_arn in project.yml; ' +
        'the Sparkify project reads the cluster from REDSHIFT_CLUSTER.',
    });
  }
  if (!database) {
    throw new SparkifyError(`target '${targetName}' needs a database`, { hint: 'Set database: in the target (the Sparkify project reads REDSHIFT_DATABASE, default dev).' });
  }
  return {
    ...(cluster ? { ClusterIdentifier: cluster } : {}),
    ...(workgroup ? { WorkgroupName: workgroup } : {}),
    Database: database,
    // A database user is how a cluster is reached with temporary credentials; with a secret the user is the
    // secret's, and Serverless derives it from the IAM identity.
    ...(cluster && dbUser && !secretArn ? { DbUser: dbUser } : {}),
    ...(secretArn ? { SecretArn: secretArn } : {}),
  };
}

/** Where this warehouse is, without the secret: cluster or workgroup, database, user, schema. */
function describeTarget(id: Identity, schema: string, region: string | undefined): string {
  const where = id.ClusterIdentifier ? `cluster ${id.ClusterIdentifier}` : id.WorkgroupName ? `workgroup ${id.WorkgroupName}` : 'the cluster named by its secret';
  const who = id.DbUser ? ` as ${id.DbUser}` : id.SecretArn ? ' (credentials from Secrets Manager)' : '';
  const endpoint = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA || process.env.AWS_ENDPOINT_URL;
  const extra = [region ? `region ${region}` : '', endpoint ? `endpoint ${endpoint}` : ''].filter(Boolean).join(', ');
  return `${where}, database ${id.Database}${who}, schema ${schema}${extra ? ` (${extra})` : ''}`;
}

export async function openRedshiftData(targetName: string, s: RedshiftDataSettings): Promise<Warehouse> {
  const identity = identityOf(targetName, s);
  const region = clean(s.region) ?? clean(process.env.AWS_REGION) ?? clean(process.env.AWS_DEFAULT_REGION);
  const where = describeTarget(identity, s.schema, region);
  // The standard credential chain; the SDK itself reads AWS_ENDPOINT_URL_REDSHIFT_DATA (and AWS_ENDPOINT_URL).
  const client = new RedshiftDataClient(region ? { region } : {});
  const driver = new RedshiftDataDriver(client, identity, s);
  try {
    driver.region = await client.config.region();
  } catch {
    client.destroy();
    throw new SparkifyError(`no AWS region for target '${targetName}' (${where})`, { hint: 'Set AWS_REGION, or region: in the target.' });
  }
  try {
    // One sessionless statement: the schema must exist before a session sets its search_path to it.
    await driver.runStatement(redshiftDialect.createSchema(s.schema), undefined, undefined);
  } catch (err) {
    await driver.close();
    const e = err as Error & { hint?: string };
    throw new SparkifyError(`cannot use Redshift (${where}): ${driver.redact(e.message)}`, {
      hint:
        e.hint ??
        'Check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), AWS_REGION, and the target in project.yml; ' +
          'AWS_ENDPOINT_URL_REDSHIFT_DATA points at another Data API endpoint (e.g. the test stand-in).',
    });
  }
  return { driver, dialect: redshiftDialect, schema: s.schema, description: `Redshift Data API, ${where}` };
}

/** A Data API session lent to one caller at a time. */
interface Lease {
  id: string;
  lastUsed: number;
  /** Taken from the idle pool (rather than just created). */
  reused: boolean;
  /** Statements the Data API accepted in this session since it was lent out. */
  accepted: number;
  /** The Data API no longer knows the session (it expired or was closed). */
  gone?: boolean;
  /** Unusable (gone, a rollback failed, a call failed): not returned to the pool. */
  broken?: boolean;
  /** Statements of one lease run one after another (a session runs one statement at a time). */
  chain: Promise<unknown>;
}

export class RedshiftDataDriver implements Driver {
  readonly kind = 'redshift-data' as const;
  readonly maxConcurrency: number;
  private readonly idle: Lease[] = [];
  private readonly keepAlive: number;
  private readonly pollMin: number;
  private readonly pollMax: number;
  private readonly busyRetries: number;
  private readonly secrets: string[];
  private closed = false;
  /** The AWS region the Data API is called in: COPY's REGION when the model names none. */
  region = '';
  /** Which load-error log this Redshift keeps: stl_load_errors (provisioned) or sys_load_error_detail (also Serverless). */
  private errorLog: 'stl' | 'sys' | undefined;

  constructor(
    private readonly client: RedshiftDataClient,
    private readonly identity: Identity,
    private readonly settings: RedshiftDataSettings,
  ) {
    this.maxConcurrency = Math.max(1, settings.threads);
    this.keepAlive = settings.sessionKeepAliveSeconds ?? 60;
    this.pollMin = settings.pollMinMs ?? 50;
    this.pollMax = settings.pollMaxMs ?? 1000;
    this.busyRetries = settings.busyRetries ?? 3;
    const arn = clean(settings.secretArn);
    const role = clean(settings.iamRole);
    // The whole secret ARN and its name part (…:secret:NAME-abcdef), the IAM role's ARN and its name
    // (…:role/NAME) never appear in a message or an echoed statement.
    this.secrets = [
      ...(arn ? [arn, ...(/:secret:(.+)$/.exec(arn)?.slice(1) ?? [])] : []),
      ...(role && role.toLowerCase() !== 'default' ? [role, ...(/:(role\/.+)$/.exec(role)?.slice(1) ?? [])] : []),
    ].sort((a, b) => b.length - a.length);
  }

  /** A message with the secret ARN masked. */
  redact(message: string): string {
    let m = message;
    for (const s of this.secrets) m = m.split(s).join('****');
    return m;
  }

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.withSession((lease) => this.inLease(lease, () => this.runStatement(sql, params, lease)));
  }

  exec(sql: string): Promise<QueryResult> {
    const statements = splitStatements(sql);
    if (statements.length === 0) return Promise.resolve({ rows: [], fields: [] });
    if (statements.length === 1) return this.query(statements[0]!);
    return this.withSession((lease) => this.inLease(lease, () => this.runBatch(statements, lease)));
  }

  copyIn(): Promise<number> {
    return Promise.reject(copyUnsupported());
  }

  copyFromS3(spec: S3CopySpec): Promise<S3CopyResult> {
    return this.transaction((tx) => tx.copyFromS3!(spec));
  }

  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    return this.withSession(async (lease) => {
      const run = (sql: string, params?: unknown[]): Promise<QueryResult> => this.inLease(lease, () => this.runStatement(sql, params, lease));
      const tx: Session = {
        query: run,
        async exec(sql) {
          // Inside a transaction several statements run one by one (a batch would commit on its own).
          let last: QueryResult = { rows: [], fields: [] };
          for (const s of splitStatements(sql)) last = await run(s);
          return last;
        },
        copyIn: () => Promise.reject(copyUnsupported()),
        copyFromS3: (spec) => this.copyInLease(spec, lease, run),
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
    return this.withSession((lease) =>
      this.inLease(lease, async () => {
        await this.runStatement(SHOW_TIME_ZONE_SESSION, undefined, lease);
        const out = await this.submit(sql, [], lease, false);
        const id = (await this.finish(out.Id, sql)).Id ?? out.Id;
        return showOfDataApi((token) => this.call(() => this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }))));
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The Data API has no call that ends a session: idle sessions close on their own after keepAlive seconds.
    this.idle.length = 0;
    this.client.destroy();
  }

  // ---- COPY from S3 ----

  /** One COPY in the lease's session (the caller's transaction); rejected rows read back from Redshift's log. */
  private async copyInLease(spec: S3CopySpec, lease: Lease, run: (sql: string, params?: unknown[]) => Promise<QueryResult>): Promise<S3CopyResult> {
    const iamRole = clean(this.settings.iamRole);
    if (!iamRole) {
      throw new SparkifyError(`the target has no iam_role: Redshift's COPY reads ${spec.from} with an IAM role, and none is set`, {
        hint:
          'Set iam_role: in the redshift target to the ARN of a role attached to the cluster or workgroup that may read the bucket ' +
          '(the Sparkify project reads it from REDSHIFT_IAM_ROLE), or to `default` for its default IAM role.',
      });
    }
    const sql = redshiftDialect.copyFromS3!(spec, { iamRole, region: spec.region ?? this.region });
    const shown = this.redact(sql);
    const outcome = await this.inLease(lease, async () => {
      const out = await this.submit(sql, [], lease, false, shown);
      try {
        return { ok: true as const, d: await this.poll(out.Id, shown) };
      } catch (err) {
        if (err instanceof StatementFailed) return { ok: false as const, d: err.d };
        throw err;
      }
    });
    if (!outcome.ok) {
      const message = cleanError(this.redact(outcome.d.Error ?? 'the COPY failed'));
      // Rows rejected beyond MAXERROR fail the COPY (and abort its transaction); Redshift's load-error log
      // is not transactional, so they are read from a session of their own, by the COPY's query id.
      const queryId = Number(outcome.d.RedshiftQueryId ?? 0);
      const rejected = queryId > 0 ? await this.loadErrors(queryId).catch(() => []) : [];
      if (rejected.length) throw new CopyRejectedError(message, rejected, spec.maxerror);
      throw new SqlError(message, shown);
    }
    // pg_last_copy_id(): the query id of this session's last COPY, the key of its rows in stl_load_errors.
    const last = (await run('select pg_last_copy_id() as id, pg_last_copy_count() as n')).rows[0] ?? {};
    const id = Number(last.id ?? -1);
    const rows = Number(last.n ?? outcome.d.ResultRows ?? 0);
    // With MAXERROR 0 a COPY that succeeded rejected nothing.
    const rejected = spec.maxerror > 0 && id > 0 ? await this.loadErrors(id) : [];
    return { rows, rejected };
  }

  /** The rows a COPY rejected, from stl_load_errors, or sys_load_error_detail where there is no STL (Serverless). */
  private async loadErrors(queryId: number): Promise<RejectedRow[]> {
    const stl = `select trim(filename) as file, line_number as line, trim(colname) as col, rtrim(raw_field_value) as raw, trim(err_reason) as reason
                 from stl_load_errors where query = $1 order by filename, line_number`;
    // sys_load_error_detail has no raw value.
    const sys = `select trim(file_name) as file, line_number as line, trim(column_name) as col, '' as raw, trim(error_message) as reason
                 from sys_load_error_detail where query_id = $1 order by file_name, line_number`;
    let res: QueryResult;
    if (this.errorLog !== 'sys') {
      try {
        res = await this.runStatement(stl, [queryId], undefined);
        this.errorLog = 'stl';
      } catch (err) {
        if (!(err instanceof SqlError) || this.errorLog === 'stl') throw err;
        res = await this.runStatement(sys, [queryId], undefined);
        this.errorLog = 'sys';
      }
    } else res = await this.runStatement(sys, [queryId], undefined);
    return res.rows.map((r) => ({
      file: String(r.file ?? ''),
      line: Number(r.line ?? 0),
      column: String(r.col ?? ''),
      raw: String(r.raw ?? ''),
      reason: String(r.reason ?? ''),
    }));
  }

  // ---- the run lock ----

  /**
   * Redshift has no advisory locks, and a Data API session lives only while it is used: the lock is a row in
   * `<schema>.sparkify_run_lock` naming its holder, taken in a short transaction that first LOCKs the table
   * (Redshift enforces no unique keys: the table lock is what makes two runs' check-then-insert exclusive).
   * The holder refreshes its row's heartbeat while it runs and deletes the row when done; a row whose
   * heartbeat is older than runLockStaleSeconds belongs to a run that died, and the next run takes it over.
   */
  async runLock(opts: { wait: boolean; onWait?: (holder?: string) => void }): Promise<() => Promise<void>> {
    const q = redshiftDialect.quote;
    const table = `${q(this.settings.schema)}.${q(RUN_LOCK_TABLE)}`;
    await this.ensureLockTable(table);
    const me = randomUUID();
    let user = 'unknown';
    try {
      user = os.userInfo().username;
    } catch {
      // no user name on this platform
    }
    const who = `${user}@${os.hostname()} pid ${process.pid}`;
    const stale = Math.max(1, Math.round(this.settings.runLockStaleSeconds ?? 90));
    let delay = 250;
    let told = false;
    for (;;) {
      const holder = await this.transaction(async (tx) => {
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
        throw new SparkifyError(`another sparkify run holds the lock on schema ${this.settings.schema} of this Redshift database: ${described}`, {
          hint: `Wait for it to finish, or run again without --no-wait to queue behind it. A run that died gives the lock up ${stale} s after its last heartbeat (the row in ${this.settings.schema}.${RUN_LOCK_TABLE}).`,
        });
      }
      if (!told) opts.onWait?.(described);
      told = true;
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
    const beat = Math.max(1, this.settings.runLockHeartbeatSeconds ?? 20) * 1000;
    const heartbeat = setInterval(() => {
      void this.query(`update ${table} set heartbeat_at = getdate() where owner = $1`, [me]).catch(() => undefined);
    }, beat);
    heartbeat.unref();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      await this.query(`delete from ${table} where owner = $1`, [me]).catch(() => undefined);
    };
  }

  private async ensureLockTable(table: string): Promise<void> {
    const exists = async (): Promise<boolean> =>
      (await this.query(`${redshiftDialect.listRelations()} and table_name = $2`, [this.settings.schema, RUN_LOCK_TABLE])).rows.length > 0;
    if (await exists()) return;
    try {
      await this.exec(`create table ${table} (
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

  // ---- sessions ----

  private async withSession<T>(fn: (lease: Lease) => Promise<T>): Promise<T> {
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

  private async acquire(): Promise<Lease> {
    // Reuse the most recently used session that is safely short of its keep-alive.
    const margin = Math.min(10_000, (this.keepAlive * 1000) / 4);
    while (this.idle.length) {
      const lease = this.idle.pop()!;
      if (Date.now() - lease.lastUsed < this.keepAlive * 1000 - margin) return { ...lease, reused: true };
    }
    const out = await this.submit(`set search_path to ${redshiftDialect.quote(this.settings.schema)}, public`, [], undefined, true);
    if (!out.SessionId) throw new SparkifyError('the Redshift Data API started no session (its answer had no SessionId)');
    await this.finish(out.Id, out.sql);
    return { id: out.SessionId, lastUsed: Date.now(), reused: false, accepted: 0, chain: Promise.resolve() };
  }

  /** Run `fn` after everything already queued on this lease; a failure other than the SQL's retires the session. */
  private inLease<T>(lease: Lease, fn: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> =>
      fn().catch((err: unknown) => {
        if (!(err instanceof SqlError)) lease.broken = true;
        throw err;
      });
    const next = lease.chain.then(guarded, guarded);
    lease.chain = next.catch(() => undefined);
    return next;
  }

  // ---- statements ----

  /** One statement: in `lease`'s session, or on its own when there is none. */
  async runStatement(sql: string, params: unknown[] | undefined, lease: Lease | undefined): Promise<QueryResult> {
    const named = toNamedParameters(sql, params);
    const out = await this.submit(named.sql, named.parameters, lease, false, sql);
    const d = await this.finish(out.Id, sql);
    if (d.HasResultSet) return this.results(d.Id ?? out.Id);
    return { rows: [], fields: [], ...rowCountOf(sql, d.ResultRows) };
  }

  /** Several statements as one BatchExecuteStatement (one transaction); the result of the last. */
  private async runBatch(statements: string[], lease: Lease): Promise<QueryResult> {
    const all = statements.join(';\n');
    const pending = this.trackSubmit();
    let id: string;
    try {
      const out = await this.call(() => this.client.send(new BatchExecuteStatementCommand({ Sqls: statements, SessionId: lease.id })));
      id = out.Id!;
      lease.accepted++;
      pending.started(id);
    } catch (err) {
      if (sessionGone(err)) lease.gone = true;
      throw err;
    } finally {
      pending.done();
    }
    let d: DescribeStatementResponse;
    try {
      d = await this.poll(id, all);
    } catch (err) {
      if (err instanceof StatementFailed) {
        const failed = err.d.SubStatements?.find((s) => s.Status === 'FAILED');
        throw new SqlError(cleanError(this.redact(failed?.Error ?? err.d.Error ?? 'the batch failed')), failed?.QueryString ?? all);
      }
      throw err;
    }
    const last = d.SubStatements?.[d.SubStatements.length - 1];
    if (last?.HasResultSet && last.Id) return this.results(last.Id);
    return { rows: [], fields: [], ...rowCountOf(statements[statements.length - 1]!, last?.ResultRows) };
  }

  private async submit(
    sql: string,
    parameters: SqlParameter[],
    lease: Lease | undefined,
    newSession: boolean,
    original = sql,
  ): Promise<{ Id: string; SessionId?: string; sql: string }> {
    const input = {
      Sql: sql,
      ...(parameters.length ? { Parameters: parameters } : {}),
      ...(lease ? { SessionId: lease.id } : this.identity),
      ...(newSession ? { SessionKeepAliveSeconds: this.keepAlive } : {}),
    };
    const pending = this.trackSubmit();
    try {
      const out = await this.call(() => this.client.send(new ExecuteStatementCommand(input)));
      if (!out.Id) throw new SparkifyError('the Redshift Data API accepted a statement without giving its id');
      if (lease) lease.accepted++;
      pending.started(out.Id);
      return { Id: out.Id, ...(out.SessionId ? { SessionId: out.SessionId } : {}), sql: original };
    } catch (err) {
      if (lease && sessionGone(err)) lease.gone = true;
      throw err;
    } finally {
      pending.done();
    }
  }

  /** Wait for a submitted statement; FAILED becomes a SqlError. */
  private async finish(id: string, sql: string): Promise<DescribeStatementResponse> {
    try {
      return await this.poll(id, sql);
    } catch (err) {
      if (err instanceof StatementFailed) throw new SqlError(cleanError(this.redact(err.d.Error ?? 'the statement failed')), sql);
      throw err;
    }
  }

  private async poll(id: string, sql: string): Promise<DescribeStatementResponse> {
    let delay = this.pollMin;
    try {
      for (;;) {
        await sleep(delay);
        const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: id })));
        if (d.Status === 'FINISHED') return d;
        if (d.Status === 'FAILED') throw new StatementFailed(d);
        if (d.Status === 'ABORTED') {
          throw new SparkifyError(`the statement was cancelled on Redshift: ${firstLine(sql)}`, { exitCode: 1 });
        }
        delay = Math.min(delay * 2, this.pollMax);
      }
    } finally {
      interrupts.finished(id);
    }
  }

  private async results(id: string): Promise<QueryResult> {
    const rows: Record<string, unknown>[] = [];
    let meta: ColumnMetadata[] | undefined;
    let token: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) })));
      if (!meta?.length && page.ColumnMetadata?.length) meta = page.ColumnMetadata;
      const names = (meta ?? []).map((c, i) => c.name ?? c.label ?? `?column${i}?`);
      for (const record of page.Records ?? []) {
        const row: Record<string, unknown> = {};
        record.forEach((f, i) => (row[names[i] ?? `?column${i}?`] = fieldValue(f, meta?.[i])));
        rows.push(row);
      }
      token = page.NextToken || undefined;
    } while (token);
    const fields: Field[] = (meta ?? []).map((c, i) => {
      const oid = TYPE_OIDS[(c.typeName ?? '').toLowerCase()];
      return { name: c.name ?? c.label ?? `?column${i}?`, ...(oid ? { typeId: oid } : {}) };
    });
    return { rows, fields, rowCount: rows.length };
  }

  // ---- calls ----

  /** A Data API call; "too many active statements / sessions" is retried with backoff, then explained. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const name = (err as Error).name;
        if ((name === 'ActiveStatementsExceededException' || name === 'ActiveSessionsExceededException') && attempt < this.busyRetries) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw this.explain(err);
      }
    }
  }

  /** An SDK error as a SparkifyError a user can act on, without secrets; `awsError` keeps the service's error name. */
  private explain(err: unknown): unknown {
    if (!(err instanceof Error) || err instanceof SparkifyError || err instanceof SqlError) return err;
    const explained = this.describeError(err);
    Object.defineProperty(explained, 'awsError', { value: err.name, enumerable: false });
    return explained;
  }

  private describeError(err: Error): SparkifyError {
    const name = err.name;
    const msg = this.redact(err.message);
    const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    switch (name) {
      case 'ActiveStatementsExceededException':
        return new SparkifyError(`the Redshift Data API refused the statement: too many statements are running at once (ActiveStatementsExceededException: ${msg})`, {
          exitCode: 1,
          hint: 'Lower --threads (or threads: in the target), or wait for other clients of this cluster to finish their statements.',
        });
      case 'ActiveSessionsExceededException':
        return new SparkifyError(`the Redshift Data API refused a new session: too many sessions are open (ActiveSessionsExceededException: ${msg})`, {
          exitCode: 1,
          hint: 'Lower --threads, or wait a minute for idle sessions to close.',
        });
      case 'ValidationException':
        return new SparkifyError(`the Redshift Data API rejected the request (ValidationException: ${msg})`, {
          hint: 'Check cluster_identifier / workgroup, database, db_user and secret_arn in the target.',
        });
      case 'ResourceNotFoundException':
        return new SparkifyError(`the Redshift Data API does not know it (ResourceNotFoundException: ${msg})`, { exitCode: 1 });
      case 'DatabaseConnectionException':
        return new SparkifyError(`Redshift could not connect to the database (DatabaseConnectionException: ${msg})`, {
          hint: 'Check that the cluster or workgroup is available and the database and user exist.',
        });
      case 'CredentialsProviderError':
        return new SparkifyError(`no AWS credentials: ${msg}`, {
          hint: 'Use the standard AWS credential chain: AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, SSO, or an instance role.',
        });
      case 'UnrecognizedClientException':
      case 'InvalidSignatureException':
      case 'AccessDeniedException':
      case 'ExpiredTokenException':
      case 'MissingAuthenticationTokenException':
        return new SparkifyError(`AWS refused the credentials (${name}: ${msg})`, {
          hint: 'Check the AWS credentials and that they may call redshift-data:* (and redshift:GetClusterCredentials or the secret).',
        });
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || name === 'TimeoutError') {
      const endpoint = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA || process.env.AWS_ENDPOINT_URL;
      return new SparkifyError(`cannot reach the Redshift Data API${endpoint ? ` at ${endpoint}` : ''}: ${msg || code}`, {
        hint: endpoint ? 'Is the server behind AWS_ENDPOINT_URL_REDSHIFT_DATA running?' : 'Check the network and AWS_REGION.',
      });
    }
    const service = (err as { $fault?: string }).$fault ? `${name}: ` : '';
    return new SparkifyError(`Redshift Data API error (${service}${msg})`, { exitCode: 1 });
  }

  /** While a statement is being submitted or runs, Ctrl-C cancels it. */
  private trackSubmit(): { started(id: string): void; done(): void } {
    return interrupts.submitting(this.client);
  }
}

/** The Data API does not know the session any more (it expired or was closed). */
function sessionGone(err: unknown): boolean {
  const name = (err as { awsError?: string }).awsError;
  return name === 'ResourceNotFoundException' || (name === 'ValidationException' && /session/i.test((err as Error).message));
}

class StatementFailed extends Error {
  constructor(readonly d: DescribeStatementResponse) {
    super(d.Error ?? 'FAILED');
  }
}

const RUN_LOCK_TABLE = 'sparkify_run_lock';

function copyUnsupported(): SparkifyError {
  return new SparkifyError('loading rows from this machine (COPY FROM STDIN) is not available on Redshift', {
    hint: "Redshift loads staging files itself, from S3 (COPY ... FROM 's3://...'): put the files on S3 and point data_path at them.",
  });
}

// ---- Ctrl-C: cancel the running statements, then exit 130 ----

const interrupts = new (class {
  private readonly running = new Map<string, RedshiftDataClient>();
  private submits = 0;
  private installed = false;
  private interrupted = false;
  private readonly waiters: (() => void)[] = [];

  submitting(client: RedshiftDataClient): { started(id: string): void; done(): void } {
    this.submits++;
    this.install();
    let done = false;
    return {
      started: (id) => {
        this.running.set(id, client);
        if (this.interrupted) void client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
      },
      done: () => {
        if (done) return;
        done = true;
        this.submits--;
        if (this.submits === 0) this.waiters.splice(0).forEach((w) => w());
        this.uninstall();
      },
    };
  }

  finished(id: string): void {
    this.running.delete(id);
    this.uninstall();
  }

  private readonly onSigint = (): void => {
    if (this.interrupted) process.exit(130);
    this.interrupted = true;
    const n = this.running.size + this.submits;
    process.stderr.write(`\nInterrupted: cancelling ${n} running Redshift statement${n === 1 ? '' : 's'} ...\n`);
    const submitted = this.submits === 0 ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
    const cancel = async (): Promise<void> => {
      await Promise.race([submitted, sleep(2000)]);
      await Promise.allSettled([...this.running].map(([id, client]) => client.send(new CancelStatementCommand({ Id: id }))));
    };
    void Promise.race([cancel(), sleep(5000)]).finally(() => process.exit(130));
  };

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('SIGINT', this.onSigint);
  }

  private uninstall(): void {
    if (!this.installed || this.interrupted || this.submits > 0 || this.running.size > 0) return;
    this.installed = false;
    process.off('SIGINT', this.onSigint);
  }
})();

// ---- SQL text: parameters and statement splitting ----

interface Segment {
  text: string;
  /** false for string literals, quoted identifiers and comments. */
  code: boolean;
}

/** Cut SQL into code and non-code (literals, quoted names, comments), Redshift's lexical rules. */
export function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number, code: boolean, from = start): void => {
    if (end > from) out.push({ text: sql.slice(from, end), code });
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '\\') j++;
        else if (sql[j] === "'") {
          if (sql[j + 1] === "'") j++;
          else break;
        }
      }
      end = Math.min(j + 1, sql.length);
    } else if (c === '"') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') j++;
          else break;
        }
      }
      end = Math.min(j + 1, sql.length);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length : nl;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (c === '$' && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length : close + tag[0].length;
      }
    }
    if (end < 0) {
      i++;
      continue;
    }
    push(i, true);
    push(end, false, i);
    start = i = end;
  }
  push(sql.length, true);
  return out;
}

/** Statements of a script, split at top-level semicolons; empty and comment-only pieces are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  const flush = (): void => {
    if (hasCode) statements.push(current.trim());
    current = '';
    hasCode = false;
  };
  for (const seg of segments(sql)) {
    if (!seg.code) {
      current += seg.text;
      if (!/^(--|\/\*)/.test(seg.text)) hasCode = true;
      continue;
    }
    const parts = seg.text.split(';');
    parts.forEach((p, i) => {
      if (i > 0) flush();
      current += p;
      if (p.trim()) hasCode = true;
    });
  }
  flush();
  return statements;
}

/**
 * Postgres-style `$1` placeholders as the Data API's named parameters (`:p1`). The Data API takes non-empty
 * text values only, so null is written as `null` and '' as `''` into the statement.
 */
export function toNamedParameters(sql: string, params: unknown[] | undefined): { sql: string; parameters: SqlParameter[] } {
  if (!params || params.length === 0) return { sql, parameters: [] };
  const used = new Set<number>();
  const text = segments(sql)
    .map((seg) =>
      !seg.code
        ? seg.text
        : seg.text.replace(/(?<![A-Za-z0-9_$])\$(\d+)/g, (m, d: string) => {
            const n = Number(d);
            if (n < 1 || n > params.length) return m;
            const v = params[n - 1];
            if (v === null || v === undefined) return 'null';
            const s = parameterText(v);
            if (s === '') return "''";
            used.add(n);
            return `:p${n}`;
          }),
    )
    .join('');
  const parameters = [...used].sort((a, b) => a - b).map((n) => ({ name: `p${n}`, value: parameterText(params[n - 1]) }));
  return { sql: text, parameters };
}

function parameterText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v);
}

// ---- results ----

/** Postgres type OIDs for the Data API's type names, as the other drivers report them. */
const TYPE_OIDS: Record<string, number> = {
  bool: 16, boolean: 16, bytea: 17, varbyte: 17, name: 19, int8: 20, bigint: 20, int2: 21, smallint: 21, int4: 23, integer: 23,
  text: 25, float4: 700, real: 700, float8: 701, 'double precision': 701, float: 701, bpchar: 1042, char: 1042, character: 1042,
  varchar: 1043, 'character varying': 1043, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, timetz: 1266,
  numeric: 1700, decimal: 1700,
};

/** One cell of a Data API record as the pg driver would give it: numbers, booleans, Dates, text. */
export function fieldValue(f: DataField, meta?: ColumnMetadata): unknown {
  if (f.isNull) return null;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return Buffer.from(f.blobValue);
  if (f.stringValue !== undefined) {
    const s = f.stringValue;
    switch ((meta?.typeName ?? '').toLowerCase()) {
      case 'timestamp':
      case 'timestamptz':
        return utcDate(s);
      case 'date':
        return /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00Z`) : s;
      default:
        return s;
    }
  }
  return null;
}

/** Redshift prints timestamps as `2018-11-01 21:01:46.796` (UTC), timestamptz with `+00`. */
function utcDate(s: string): Date | string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2}(?::?\d{2})?|Z)?$/.exec(s.trim());
  if (!m) return s;
  // A timestamp without a zone is UTC on Redshift (its sessions run in UTC).
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const d = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? s : d;
}

/** Rows affected, for the statements whose count Redshift reports reliably (DML). */
function rowCountOf(sql: string, resultRows: number | undefined): { rowCount?: number } {
  if (resultRows === undefined || resultRows < 0) return {};
  const code = segments(sql)
    .filter((s) => s.code)
    .map((s) => s.text)
    .join(' ')
    .trim()
    .toLowerCase();
  return /^(insert|update|delete|merge|copy)\b/.test(code) ? { rowCount: resultRows } : {};
}

/** `ERROR: relation "x" does not exist` → `relation "x" does not exist`. */
function cleanError(message: string): string {
  return message.replace(/^\s*ERROR:\s*/, '').trim();
}

function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
