// A stand-in for the Amazon Redshift Data API, for tests and for trying the `redshift` target on a laptop.
//
// It speaks the service's wire protocol (AWS JSON 1.1: `POST /`, `X-Amz-Target: RedshiftData.<Operation>`,
// JSON bodies, errors as `{"__type": ..., "Message": ...}` with HTTP 400), insists on SigV4-signed requests
// (and checks the signature for the access keys it knows), and runs the statements on a local PostgreSQL
// (the PG* variables): sessionless statements on a pool, each Data API session on a connection of its own,
// so `begin` … `commit` in a session is a real transaction. Statements go SUBMITTED → STARTED → FINISHED /
// FAILED / ABORTED asynchronously, results come back in small pages, BatchExecuteStatement is one
// transaction, CancelStatement cancels on the server, and too many active statements are refused.
// Redshift-only table attributes (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP) are cut out before Postgres
// sees the statement; every statement's original text is recorded for tests to read.
//
// COPY ... FROM 's3://...' runs as Redshift runs it (redshift-copy.ts): files read from S3 (the endpoint in
// AWS_ENDPOINT_URL_S3, e.g. s3rver), IAM_ROLE required, rejected rows in stl_load_errors and
// sys_load_error_detail (kept through a rollback), pg_last_copy_id() / pg_last_copy_count() per session,
// RedshiftQueryId in DescribeStatement; GETDATE() exists.
//
//   npm run standin:redshift            # starts it alone and prints the variables to export
//
// Test code only: nothing in src/ imports this.

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { copyRecord, ensureLoadErrorTables, parseCopy, runS3Copy, type CopyRecord, type StandinS3 } from './redshift-copy.js';

export interface RedshiftStandinOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Rows per GetStatementResult page (default 3, so that paging is exercised). */
  pageSize?: number;
  /** Statements submitted or running at once before ActiveStatementsExceededException (default 20). */
  maxActiveStatements?: number;
  /** Open sessions before ActiveSessionsExceededException (default 500, as the service). */
  maxSessions?: number;
  /** How long a statement stays SUBMITTED before it starts, in ms (default 20), so clients must poll. */
  startDelayMs?: number;
  /** Access key id → secret access key; requests signed with any other key are refused (default test/test). */
  credentials?: Record<string, string>;
  /** Where statements run; default: node-postgres's defaults, i.e. the PG* variables. */
  pg?: pg.ClientConfig;
  /**
   * Runs a statement instead of Postgres when it returns a result (e.g. Redshift's COPY from S3, served by
   * the loader's S3 stand-in). Gets the original text and the connection of the statement's session.
   */
  intercept?: (sql: string, client: pg.ClientBase) => Promise<pg.QueryArrayResult | undefined>;
  /** Called with one line per statement (the CLI prints them). */
  log?: (line: string) => void;
  /** Where COPY reads S3: default AWS_ENDPOINT_URL_S3 and the process's AWS credentials. */
  s3?: StandinS3;
  /** IAM roles attached to the cluster: COPY with another role is not authorized. Default: any role ARN. */
  iamRoles?: string[];
  /** The cluster's default IAM role (IAM_ROLE default); default: none. */
  defaultIamRole?: string;
  /**
   * Close idle sessions after at most this many seconds, whatever their keep-alive (each holds a PostgreSQL
   * connection: tests that start many short CLI runs keep the server's connections free). Default: none.
   */
  idleSessionCapSeconds?: number;
}

export interface RecordedStatement {
  id: string;
  /** The text the client sent. */
  sql: string;
  /** What ran on Postgres: Redshift-only clauses removed, `:name` parameters as `$n`. */
  executed: string;
  /** The Redshift-only clauses found in it, e.g. `diststyle key`, `distkey("start_time")`. */
  redshiftClauses: string[];
  operation: 'ExecuteStatement' | 'BatchExecuteStatement';
  parameters?: { name: string; value: string }[];
  sessionId?: string;
  status: Status;
  error?: string;
  /** Redshift's query id (RedshiftQueryId; pg_last_copy_id() of a COPY). */
  queryId: number;
  /** A COPY from S3: what it was told and what it read. */
  copy?: CopyRecord;
}

export interface RedshiftStandin {
  /** http://127.0.0.1:PORT — the value of AWS_ENDPOINT_URL_REDSHIFT_DATA. */
  endpoint: string;
  port: number;
  /** Every statement received so far, oldest first. */
  statements(): RecordedStatement[];
  clearStatements(): void;
  /** How many Data API sessions are open. */
  sessions(): number;
  /** Requests served so far, by operation (signed or not, failed or not). */
  calls(): Record<string, number>;
  /** Close every idle session now, as the service does when their keep-alive runs out. */
  expireSessions(): void;
  close(): Promise<void>;
}

type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type DataField = { isNull: true } | { longValue: number } | { doubleValue: number } | { booleanValue: boolean } | { stringValue: string } | { blobValue: string };

interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  nullable: number;
  precision: number;
  scale: number;
  length: number;
  schemaName: string;
  tableName: string;
}

interface Identity {
  ClusterIdentifier?: string;
  WorkgroupName?: string;
  Database?: string;
  DbUser?: string;
  SecretArn?: string;
}

interface Statement {
  id: string;
  sql: string;
  executed: string;
  clauses: string[];
  values: string[];
  parameters?: { name: string; value: string }[];
  status: Status;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  error?: string;
  hasResultSet: boolean;
  resultRows: number;
  resultSize: number;
  meta?: ColumnMetadata[];
  records?: DataField[][];
  pid?: number;
  cancelRequested?: boolean;
  /** Sub-statements of a batch (their ids are `<batch id>:<n>`). */
  subs?: Statement[];
  batch?: Statement;
  sessionId?: string;
  identity: Identity;
  operation: RecordedStatement['operation'];
  queryId: number;
  /** The Postgres backend that ran it (stays after it finished). */
  backendPid?: number;
  copy?: CopyRecord;
}

interface DataSession {
  id: string;
  keepAlive: number;
  client?: pg.Client;
  connecting?: Promise<pg.Client>;
  busy: boolean;
  closed: boolean;
  timer?: NodeJS.Timeout;
  identity: Identity;
  /** pg_last_copy_id() and pg_last_copy_count() of this session. */
  lastCopy?: { id: number; count: number };
}

const TERMINAL = new Set<Status>(['FINISHED', 'FAILED', 'ABORTED']);

export async function startRedshiftStandin(opts: RedshiftStandinOptions = {}): Promise<RedshiftStandin> {
  const pageSize = opts.pageSize ?? 3;
  const maxActive = opts.maxActiveStatements ?? 20;
  const maxSessions = opts.maxSessions ?? 500;
  const startDelay = opts.startDelayMs ?? 20;
  const credentials = opts.credentials ?? { test: 'test' };
  const pgConfig = opts.pg ?? {};
  const log = opts.log ?? ((): void => undefined);

  const pool = new pg.Pool({ ...pgConfig, max: 10 });
  pool.on('error', () => undefined);
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`the Redshift stand-in needs PostgreSQL (PGHOST, PGUSER, PGDATABASE ...): ${(err as Error).message}`);
  }
  await ensureLoadErrorTables(pool);
  let queryIds = await reserveQueryIds(pool);

  const statements = new Map<string, Statement>();
  const recorded: Statement[] = [];
  const sessions = new Map<string, DataSession>();
  const calls: Record<string, number> = {};
  let closed = false;

  const now = (): number => Date.now();
  const activeCount = (): number => [...statements.values()].filter((s) => !s.batch && !TERMINAL.has(s.status)).length;

  // ---- sessions ----

  async function sessionClient(s: DataSession): Promise<pg.Client> {
    if (s.client) return s.client;
    if (!s.connecting) {
      s.connecting = (async () => {
        const c = new pg.Client(pgConfig);
        c.on('error', () => undefined);
        await c.connect();
        s.client = c;
        return c;
      })();
    }
    return s.connecting;
  }

  function closeSession(s: DataSession): void {
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.timer);
    sessions.delete(s.id);
    // Closing the connection rolls back a transaction left open, as Redshift does when a session ends.
    void (async () => {
      const c = s.client ?? (await s.connecting?.catch(() => undefined));
      await c?.end().catch(() => undefined);
    })();
  }

  function idle(s: DataSession): void {
    s.busy = false;
    clearTimeout(s.timer);
    if (closed) return closeSession(s);
    s.timer = setTimeout(() => closeSession(s), Math.min(s.keepAlive, opts.idleSessionCapSeconds ?? Infinity) * 1000);
    s.timer.unref();
  }

  // ---- running statements ----

  /** Run one statement's SQL on a connection; fills in its result or its error. */
  async function execute(stmt: Statement, client: pg.ClientBase, session: DataSession | undefined): Promise<void> {
    stmt.status = 'STARTED';
    stmt.startedAt = stmt.updatedAt = now();
    stmt.pid = stmt.backendPid = (client as unknown as { processID?: number }).processID;
    try {
      const intercepted = opts.intercept ? await opts.intercept(stmt.sql, client) : undefined;
      const copy = intercepted ? undefined : parseCopy(stmt.sql);
      if (copy) {
        stmt.clauses = copy.clauses;
        stmt.copy = copyRecord(copy);
        try {
          await runS3Copy(copy, {
            client,
            pool,
            queryId: stmt.queryId,
            sessionPid: stmt.backendPid ?? 0,
            s3: opts.s3 ?? {},
            ...(opts.iamRoles ? { iamRoles: opts.iamRoles } : {}),
            ...(opts.defaultIamRole ? { defaultIamRole: opts.defaultIamRole } : {}),
          }, stmt.copy);
          if (session) session.lastCopy = { id: stmt.queryId, count: stmt.copy.rows };
        } catch (err) {
          // A COPY that failed on its data still becomes the session's last COPY (its rows are in stl_load_errors).
          if (session && /^Load into table/.test((err as Error).message)) session.lastCopy = { id: stmt.queryId, count: 0 };
          throw err;
        }
      }
      const r =
        intercepted ??
        (copy ? { rows: [], fields: [], rowCount: stmt.copy!.rows, command: 'COPY', oid: 0 } : undefined) ??
        (await client.query({
          text: lastCopyValues(stmt.executed, session?.lastCopy),
          values: stmt.values,
          rowMode: 'array',
          // Values as Postgres prints them; converted to Data API fields below.
          types: { getTypeParser: () => (v: string) => v },
          // One statement per request, as the Data API requires (the extended protocol refuses more).
          queryMode: 'extended',
        } as pg.QueryArrayConfig));
      const fields = r.fields ?? [];
      stmt.hasResultSet = fields.length > 0;
      if (stmt.hasResultSet) {
        stmt.meta = fields.map(columnMetadata);
        stmt.records = (r.rows as unknown[][]).map((row) => row.map((v, i) => toField(v, fields[i]!.dataTypeID)));
        stmt.resultRows = stmt.records.length;
        stmt.resultSize = Buffer.byteLength(JSON.stringify(stmt.records));
      } else {
        stmt.resultRows = r.rowCount ?? 0;
        stmt.resultSize = 0;
      }
      stmt.status = 'FINISHED';
    } catch (err) {
      const e = err as Error & { code?: string };
      stmt.status = stmt.cancelRequested && e.code === '57014' ? 'ABORTED' : 'FAILED';
      stmt.error = stmt.status === 'ABORTED' ? 'Query cancelled by the user.' : `ERROR: ${e.message}`;
    } finally {
      stmt.pid = undefined;
      stmt.updatedAt = now();
    }
  }

  async function run(stmt: Statement, session: DataSession | undefined): Promise<void> {
    await sleep(startDelay);
    if (stmt.status === 'ABORTED') {
      if (session) idle(session);
      return;
    }
    let client: pg.ClientBase | undefined;
    let release = (): void => undefined;
    try {
      if (session) client = await sessionClient(session);
      else {
        const c = await pool.connect();
        client = c;
        release = () => c.release();
      }
    } catch (err) {
      stmt.status = 'FAILED';
      stmt.error = `ERROR: could not connect: ${(err as Error).message}`;
      stmt.updatedAt = now();
      if (session) idle(session);
      return;
    }
    try {
      if (!stmt.subs) {
        await execute(stmt, client, session);
      } else {
        // A batch: one transaction, statements one after another; the first failure rolls all back.
        stmt.status = 'STARTED';
        stmt.updatedAt = now();
        await client.query('begin');
        let failed: Statement | undefined;
        for (const sub of stmt.subs) {
          if (failed || stmt.cancelRequested) {
            sub.status = 'ABORTED';
            sub.updatedAt = now();
            continue;
          }
          await execute(sub, client, session);
          if (sub.status !== 'FINISHED') failed = sub;
        }
        if (failed || stmt.cancelRequested) {
          await client.query('rollback').catch(() => undefined);
          stmt.status = failed?.status === 'FAILED' ? 'FAILED' : 'ABORTED';
          stmt.error = failed?.error ?? 'Query cancelled by the user.';
        } else {
          try {
            await client.query('commit');
            stmt.status = 'FINISHED';
          } catch (err) {
            stmt.status = 'FAILED';
            stmt.error = `ERROR: ${(err as Error).message}`;
          }
        }
        const last = stmt.subs[stmt.subs.length - 1]!;
        stmt.hasResultSet = last.hasResultSet;
        stmt.resultRows = stmt.subs.reduce((n, s) => n + Math.max(0, s.resultRows), 0);
        stmt.updatedAt = now();
      }
      log(`${stmt.status.padEnd(8)} ${stmt.id}${session ? ` (session ${session.id.slice(0, 8)})` : ''} ${oneLine(maskRole(stmt.subs ? stmt.subs.map((s) => s.sql).join('; ') : stmt.sql))}${stmt.error ? `  -- ${stmt.error}` : ''}`);
    } finally {
      release();
      if (session) idle(session);
    }
  }

  function newStatement(sql: string, operation: Statement['operation'], identity: Identity, parameters: { name: string; value: string }[] | undefined, id: string = randomUUID()): Statement {
    const stripped = stripRedshiftClauses(sql);
    const bound = bindParameters(stripped.sql, parameters ?? []);
    const t = now();
    const stmt: Statement = {
      id,
      sql,
      executed: bound.sql,
      clauses: stripped.clauses,
      values: bound.values,
      ...(parameters?.length ? { parameters } : {}),
      status: 'SUBMITTED',
      createdAt: t,
      updatedAt: t,
      hasResultSet: false,
      resultRows: -1,
      resultSize: -1,
      identity,
      operation,
      queryId: queryIds++,
    };
    return stmt;
  }

  // ---- operations ----

  function connectionOf(body: Record<string, unknown>): { session?: DataSession; identity: Identity; keepAlive?: number } {
    const sessionId = optString(body, 'SessionId');
    const keepAlive = body.SessionKeepAliveSeconds;
    if (keepAlive !== undefined && (typeof keepAlive !== 'number' || !Number.isInteger(keepAlive) || keepAlive < 0 || keepAlive > 86400)) {
      throw new ApiError('ValidationException', 'SessionKeepAliveSeconds must be a whole number of seconds from 0 to 86400.');
    }
    if (sessionId) {
      const s = sessions.get(sessionId);
      if (!s) throw new ApiError('ResourceNotFoundException', `Session ${sessionId} does not exist or has expired.`, 400, { ResourceId: sessionId });
      if (s.busy) throw new ApiError('ValidationException', `Session ${sessionId} is busy running another statement.`);
      if (typeof keepAlive === 'number') s.keepAlive = keepAlive;
      return { session: s, identity: s.identity };
    }
    const identity: Identity = {};
    for (const k of ['ClusterIdentifier', 'WorkgroupName', 'Database', 'DbUser', 'SecretArn'] as const) {
      const v = optString(body, k);
      if (v !== undefined) identity[k] = v;
    }
    if (identity.ClusterIdentifier && identity.WorkgroupName) {
      throw new ApiError('ValidationException', 'Specify either ClusterIdentifier or WorkgroupName, not both.');
    }
    if (!identity.ClusterIdentifier && !identity.WorkgroupName && !identity.SecretArn) {
      throw new ApiError('ValidationException', 'Either ClusterIdentifier, WorkgroupName or SecretArn is required when no SessionId is given.');
    }
    if (!identity.Database) throw new ApiError('ValidationException', 'Database is required.');
    if (typeof keepAlive === 'number' && keepAlive > 0) {
      if (sessions.size >= maxSessions) throw new ApiError('ActiveSessionsExceededException', `Active sessions exceeded the limit of ${maxSessions}.`);
      const s: DataSession = { id: randomUUID(), keepAlive, busy: false, closed: false, identity };
      sessions.set(s.id, s);
      return { session: s, identity, keepAlive };
    }
    return { identity };
  }

  function checkCapacity(): void {
    if (activeCount() >= maxActive) {
      throw new ApiError('ActiveStatementsExceededException', `Active statements exceeded the allowed quota (${maxActive}).`);
    }
  }

  function parametersOf(body: Record<string, unknown>): { name: string; value: string }[] | undefined {
    const p = body.Parameters;
    if (p === undefined) return undefined;
    if (!Array.isArray(p) || p.length === 0) throw new ApiError('ValidationException', 'Parameters must be a non-empty list.');
    return p.map((x: unknown) => {
      const o = x as { name?: unknown; value?: unknown };
      if (typeof o.name !== 'string' || !/^[0-9a-zA-Z_]+$/.test(o.name)) throw new ApiError('ValidationException', `Invalid parameter name: ${String(o.name)}`);
      if (typeof o.value !== 'string' || o.value.length === 0) throw new ApiError('ValidationException', `Parameter ${o.name} needs a non-empty value.`);
      return { name: o.name, value: o.value };
    });
  }

  function responseOf(stmt: Statement, session: DataSession | undefined): Record<string, unknown> {
    return {
      Id: stmt.id,
      CreatedAt: stmt.createdAt / 1000,
      ...stmt.identity,
      ...(session ? { SessionId: session.id } : {}),
    };
  }

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    ExecuteStatement(body) {
      const sql = body.Sql;
      if (typeof sql !== 'string' || sql.trim() === '') throw new ApiError('ValidationException', 'Sql is required and must not be empty.');
      const parameters = parametersOf(body);
      checkCapacity();
      const { session, identity } = connectionOf(body);
      const stmt = newStatement(sql, 'ExecuteStatement', identity, parameters);
      if (session) {
        session.busy = true;
        clearTimeout(session.timer);
        stmt.sessionId = session.id;
      }
      statements.set(stmt.id, stmt);
      recorded.push(stmt);
      void run(stmt, session);
      return responseOf(stmt, session);
    },

    BatchExecuteStatement(body) {
      const sqls = body.Sqls;
      if (!Array.isArray(sqls) || sqls.length === 0 || sqls.length > 40 || !sqls.every((s) => typeof s === 'string' && s.trim() !== '')) {
        throw new ApiError('ValidationException', 'Sqls must hold 1 to 40 non-empty SQL statements.');
      }
      const parameters = parametersOf(body);
      checkCapacity();
      const { session, identity } = connectionOf(body);
      const batch = newStatement(sqls.join(';\n'), 'BatchExecuteStatement', identity, undefined);
      batch.subs = (sqls as string[]).map((s, i) => {
        const sub = newStatement(s, 'BatchExecuteStatement', identity, parameters, `${batch.id}:${i + 1}`);
        sub.batch = batch;
        return sub;
      });
      if (session) {
        session.busy = true;
        clearTimeout(session.timer);
        batch.sessionId = session.id;
        for (const s of batch.subs) s.sessionId = session.id;
      }
      statements.set(batch.id, batch);
      for (const s of batch.subs) {
        statements.set(s.id, s);
        recorded.push(s);
      }
      void run(batch, session);
      return responseOf(batch, session);
    },

    DescribeStatement(body) {
      const stmt = lookup(body.Id);
      const done = TERMINAL.has(stmt.status);
      return {
        Id: stmt.id,
        Status: stmt.status,
        ...(stmt.error ? { Error: stmt.error } : {}),
        ...(stmt.subs ? {} : { QueryString: stmt.sql }),
        CreatedAt: stmt.createdAt / 1000,
        UpdatedAt: stmt.updatedAt / 1000,
        Duration: done && stmt.startedAt ? (stmt.updatedAt - stmt.startedAt) * 1e6 : -1,
        HasResultSet: stmt.hasResultSet,
        ResultRows: done ? stmt.resultRows : -1,
        ResultSize: done ? stmt.resultSize : -1,
        RedshiftPid: stmt.pid ?? stmt.backendPid ?? 0,
        RedshiftQueryId: stmt.subs ? 0 : stmt.queryId,
        ...stmt.identity,
        ...(stmt.sessionId ? { SessionId: stmt.sessionId } : {}),
        ...(stmt.parameters ? { QueryParameters: stmt.parameters } : {}),
        ...(stmt.subs
          ? {
              SubStatements: stmt.subs.map((s) => ({
                Id: s.id,
                Status: s.status,
                QueryString: s.sql,
                ...(s.error ? { Error: s.error } : {}),
                HasResultSet: s.hasResultSet,
                ResultRows: TERMINAL.has(s.status) ? s.resultRows : -1,
                ResultSize: TERMINAL.has(s.status) ? s.resultSize : -1,
                CreatedAt: s.createdAt / 1000,
                UpdatedAt: s.updatedAt / 1000,
                Duration: s.startedAt ? (s.updatedAt - s.startedAt) * 1e6 : -1,
                RedshiftQueryId: s.queryId,
              })),
            }
          : {}),
      };
    },

    GetStatementResult(body) {
      const stmt = lookup(body.Id);
      if (stmt.subs) throw new ApiError('ValidationException', 'A batch has no single result: ask for a sub-statement (<id>:<n>).');
      if (stmt.status !== 'FINISHED' && stmt.batch?.status !== 'FINISHED') {
        throw new ApiError('ValidationException', `Query has not finished: its status is ${stmt.batch?.status ?? stmt.status}.`);
      }
      if (!stmt.hasResultSet || !stmt.records) throw new ApiError('ValidationException', 'Query does not have result. Please check query status with DescribeStatement.');
      let offset = 0;
      if (body.NextToken !== undefined) {
        const token = typeof body.NextToken === 'string' ? /^o(\d+)$/.exec(Buffer.from(body.NextToken, 'base64url').toString()) : null;
        if (!token) throw new ApiError('ValidationException', 'Invalid NextToken.');
        offset = Number(token[1]);
      }
      const page = stmt.records.slice(offset, offset + pageSize);
      const more = offset + pageSize < stmt.records.length;
      return {
        Records: page,
        ColumnMetadata: stmt.meta,
        TotalNumRows: stmt.records.length,
        ...(more ? { NextToken: Buffer.from(`o${offset + pageSize}`).toString('base64url') } : {}),
      };
    },

    CancelStatement(body) {
      const stmt = lookup(body.Id);
      if (TERMINAL.has(stmt.status)) throw new ApiError('ValidationException', `Could not cancel a query that is already in ${stmt.status} state.`);
      stmt.cancelRequested = true;
      if (stmt.status === 'SUBMITTED' || stmt.status === 'PICKED') {
        stmt.status = 'ABORTED';
        stmt.error = 'Query cancelled by the user.';
        stmt.updatedAt = now();
      } else {
        const running = stmt.subs ? stmt.subs.find((s) => s.status === 'STARTED') : stmt;
        if (running) running.cancelRequested = true;
        const pid = running?.pid;
        if (pid) void pool.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
      }
      return { Status: true };
    },
  };

  function lookup(id: unknown): Statement {
    if (typeof id !== 'string' || !id) throw new ApiError('ValidationException', 'Id is required.');
    const stmt = statements.get(id);
    if (!stmt) throw new ApiError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });
    return stmt;
  }

  // ---- HTTP ----

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const requestId = randomUUID();
      const reply = (status: number, payload: unknown, errorType?: string): void => {
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'Content-Length': Buffer.byteLength(text),
          'x-amzn-RequestId': requestId,
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
        });
        res.end(text);
      };
      try {
        if (req.method !== 'POST' || (req.url ?? '/') !== '/') throw new ApiError('UnknownOperationException', `${req.method} ${req.url}: the Data API takes POST /`, 404);
        const target = String(req.headers['x-amz-target'] ?? '');
        const m = /^RedshiftData\.(\w+)$/.exec(target);
        if (!m) throw new ApiError('UnknownOperationException', `Unknown X-Amz-Target: '${target}'`);
        calls[m[1]!] = (calls[m[1]!] ?? 0) + 1;
        verifySignature(req, body, credentials);
        if (!/^application\/x-amz-json-1\.1\b/.test(String(req.headers['content-type'] ?? ''))) {
          throw new ApiError('SerializationException', 'Content-Type must be application/x-amz-json-1.1');
        }
        let input: unknown;
        try {
          input = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          throw new ApiError('SerializationException', 'The request body is not valid JSON.');
        }
        if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ApiError('SerializationException', 'The request body must be a JSON object.');
        const op = operations[m[1]!];
        if (!op) throw new ApiError('UnknownOperationException', `The stand-in does not implement ${m[1]}.`);
        if (closed) throw new ApiError('InternalServerException', 'The stand-in is shutting down.', 500);
        reply(200, op(input as Record<string, unknown>));
      } catch (err) {
        if (err instanceof ApiError) reply(err.status, { __type: err.type, Message: err.message, ...err.extra }, err.type);
        else reply(500, { __type: 'InternalServerException', Message: (err as Error).message }, 'InternalServerException');
      }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    statements: () =>
      recorded.map((s) => ({
        id: s.id,
        sql: s.sql,
        executed: s.executed,
        redshiftClauses: [...s.clauses],
        operation: s.operation,
        ...(s.parameters ? { parameters: s.parameters.map((p) => ({ ...p })) } : {}),
        ...(s.sessionId ? { sessionId: s.sessionId } : {}),
        status: s.status,
        ...(s.error ? { error: s.error } : {}),
        queryId: s.queryId,
        ...(s.copy ? { copy: { ...s.copy, clauses: [...s.copy.clauses], keys: [...s.copy.keys] } } : {}),
      })),
    clearStatements: () => {
      recorded.length = 0;
    },
    sessions: () => sessions.size,
    calls: () => ({ ...calls }),
    expireSessions: () => {
      for (const session of [...sessions.values()]) if (!session.busy) closeSession(session);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Stop what still runs, then close every connection.
      const pids = [...statements.values()].map((s) => s.pid).filter((p): p is number => !!p);
      await Promise.all(pids.map((pid) => pool.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined)));
      for (const s of [...sessions.values()]) closeSession(s);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.race([pool.end().catch(() => undefined), sleep(3000)]);
    },
  };
}

// ---- SigV4 ----

/** The checks AWS makes before an operation runs: a SigV4 Authorization header, for this service, with a known key and a correct signature. */
function verifySignature(req: http.IncomingMessage, body: Buffer, credentials: Record<string, string>): void {
  const auth = req.headers.authorization;
  if (!auth) throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) {
    throw new ApiError('IncompleteSignatureException', `Authorization header requires a SigV4 'Credential', 'SignedHeaders' and 'Signature': ${auth.split(' ')[0]}`);
  }
  const [, accessKey, day, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (service !== 'redshift-data') throw new ApiError('InvalidSignatureException', `Credential should be scoped to correct service: 'redshift-data'.`);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(day)) throw new ApiError('IncompleteSignatureException', 'X-Amz-Date is missing or does not match the credential scope.');
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) throw new ApiError('InvalidSignatureException', 'The signed headers must include host and x-amz-date.');
  const secret = credentials[accessKey];
  if (secret === undefined) throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const headerLines = names.map((n) => {
    const v = req.headers[n];
    const value = Array.isArray(v) ? v.join(',') : (v ?? '');
    return `${n}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  const [path = '/', query = ''] = (req.url ?? '/').split('?');
  const canonical = ['POST', path, query, headerLines.join(''), signedHeaders, sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(toSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

// ---- SQL: Redshift-only clauses, parameters ----

/** The SQL with string literals, quoted identifiers and comments blanked out (same length), to search safely. */
function maskLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    let end = -1;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      end = Math.min(j + 1, sql.length);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length : close + tag[0].length;
      }
    }
    if (end < 0) {
      out += c;
      i++;
    } else {
      out += c + ' '.repeat(Math.max(0, end - i - 2)) + (end - i > 1 ? sql[end - 1] : '');
      i = end;
    }
  }
  return out;
}

const REDSHIFT_CLAUSES = [
  /\bdiststyle\s+(?:even|all|auto|key)\b/gi,
  /\bdistkey\s*\([^)]*\)/gi,
  /\b(?:compound\s+|interleaved\s+)?sortkey\s*\([^)]*\)/gi,
  /\bsortkey\s+auto\b/gi,
  /\b(?:distkey|sortkey)\b/gi, // column attributes: `user_id int distkey`
  /\bencode\s+(?:auto|raw|az64|bytedict|delta|delta32k|lzo|mostly8|mostly16|mostly32|runlength|text255|text32k|zstd)\b/gi,
  /\bbackup\s+(?:yes|no)\b/gi,
  /\bwith\s+no\s+schema\s+binding\b/gi,
];

/** Cut Redshift's table attributes out of a statement so Postgres can run it; returns what was cut. */
export function stripRedshiftClauses(sql: string): { sql: string; clauses: string[] } {
  const masked = maskLiterals(sql);
  const spans: [number, number][] = [];
  for (const re of REDSHIFT_CLAUSES) {
    for (const m of masked.matchAll(re)) {
      const s = m.index;
      const e = s + m[0].length;
      if (!spans.some(([a, b]) => s < b && e > a)) spans.push([s, e]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  const clauses: string[] = [];
  for (const [s, e] of spans) {
    out += sql.slice(at, s);
    clauses.push(sql.slice(s, e).replace(/\s+/g, ' ').toLowerCase());
    at = e;
  }
  out += sql.slice(at);
  return { sql: out, clauses };
}

/** pg_last_copy_id() and pg_last_copy_count() as this session's values (-1 and 0 before any COPY). */
function lastCopyValues(sql: string, last: { id: number; count: number } | undefined): string {
  const masked = maskLiterals(sql);
  let out = '';
  let at = 0;
  for (const m of masked.matchAll(/\bpg_last_copy_(id|count)\s*\(\s*\)/gi)) {
    const value = m[1]!.toLowerCase() === 'id' ? (last?.id ?? -1) : (last?.count ?? 0);
    out += sql.slice(at, m.index) + `(${value})::int`;
    at = m.index + m[0].length;
  }
  return out + sql.slice(at);
}

/** The Data API's `:name` parameters as Postgres's `$n`, with the values in order. */
function bindParameters(sql: string, parameters: { name: string; value: string }[]): { sql: string; values: string[] } {
  if (parameters.length === 0) return { sql, values: [] };
  const byName = new Map(parameters.map((p) => [p.name, p.value]));
  const masked = maskLiterals(sql);
  const order: string[] = [];
  let out = '';
  let at = 0;
  for (const m of masked.matchAll(/(?<![:\w]):([A-Za-z_]\w*)/g)) {
    const name = m[1]!;
    if (!byName.has(name)) continue;
    if (!order.includes(name)) order.push(name);
    out += sql.slice(at, m.index) + `$${order.indexOf(name) + 1}`;
    at = m.index + m[0].length;
  }
  out += sql.slice(at);
  return { sql: out, values: order.map((n) => byName.get(n)!) };
}

// ---- results as Data API fields ----

const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'varbyte', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'varchar', 26: 'oid', 700: 'float4',
  701: 'float8', 1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz',
  1266: 'timetz', 1700: 'numeric',
};
const INTEGER_TYPES = new Set([20, 21, 23, 26]);
const FLOAT_TYPES = new Set([700, 701]);

function toField(v: unknown, oid: number): DataField {
  if (v === null || v === undefined) return { isNull: true };
  const s = String(v);
  if (INTEGER_TYPES.has(oid)) return { longValue: Number(s) };
  if (FLOAT_TYPES.has(oid) && Number.isFinite(Number(s))) return { doubleValue: Number(s) };
  if (oid === 16) return { booleanValue: s === 't' || s === 'true' };
  if (oid === 17) return { blobValue: Buffer.from(s.startsWith('\\x') ? s.slice(2) : s, s.startsWith('\\x') ? 'hex' : 'utf8').toString('base64') };
  return { stringValue: s };
}

function columnMetadata(f: pg.FieldDef): ColumnMetadata {
  const typeName = TYPE_NAMES[f.dataTypeID] ?? 'varchar';
  const mod = f.dataTypeModifier;
  const numeric = f.dataTypeID === 1700 && mod >= 4;
  const textual = ['varchar', 'bpchar', 'char', 'name'].includes(typeName);
  return {
    name: f.name,
    label: f.name,
    typeName,
    isCaseSensitive: textual,
    isCurrency: false,
    isSigned: INTEGER_TYPES.has(f.dataTypeID) || FLOAT_TYPES.has(f.dataTypeID) || f.dataTypeID === 1700,
    nullable: 1,
    precision: numeric ? ((mod - 4) >> 16) & 0xffff : textual && mod >= 4 ? mod - 4 : 0,
    scale: numeric ? (mod - 4) & 0xffff : 0,
    length: textual && mod >= 4 ? mod - 4 : 0,
    schemaName: '',
    tableName: '',
  };
}

function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApiError('SerializationException', `${key} must be a string.`);
  return v;
}

/** The IAM role of a COPY, masked in log lines. */
function maskRole(sql: string): string {
  return sql.replace(/\biam_role\s+'[^']*'/gi, "iam_role '****'");
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- `npm run standin:redshift` ----

/**
 * The first of a block of query ids no other stand-in on this database has used or will use: stl_load_errors
 * outlives a stand-in (as Redshift's does), so ids that restart at the same number in every run (or in two
 * stand-ins at once) would read back other COPYs' rejected rows. A sequence hands out blocks atomically.
 */
async function reserveQueryIds(pool: pg.Pool): Promise<number> {
  const BLOCK = 100_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(`create sequence if not exists public.sparkify_standin_query_ids start ${BLOCK} increment ${BLOCK}`);
      break;
    } catch (err) {
      // Two stand-ins creating it at once: one of them sees a unique violation; the sequence exists then.
      if (attempt >= 3) throw err;
    }
  }
  const { rows } = await pool.query<{ id: string }>(`select nextval('public.sparkify_standin_query_ids') as id`);
  return Number(rows[0]!.id);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? process.env.REDSHIFT_STANDIN_PORT ?? 0);
  // --s3 [dir]: also start an S3 stand-in (s3rver) for COPY to read, with `dir` uploaded to s3://sparkify-data.
  const withS3 = process.argv.includes('--s3');
  const dir = arg('--s3');
  let s3: { endpoint: string; close(): Promise<void> } | undefined;
  let bucket: string | undefined;
  if (withS3) {
    const { startS3Server, uploadDirectory } = await import('./s3-server.js');
    s3 = await startS3Server();
    if (dir && !dir.startsWith('--')) {
      bucket = 'sparkify-data';
      console.log(`Uploaded ${await uploadDirectory(s3.endpoint, bucket, dir)} files of ${dir} to s3://${bucket}.`);
    }
  }
  const keys = { test: 'test', S3RVER: 'S3RVER' };
  const standin = await startRedshiftStandin({
    port,
    log: (line) => console.log(line),
    credentials: keys,
    ...(s3 ? { s3: { endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } } : {}),
  });
  const where = `${process.env.PGHOST ?? 'localhost'}:${process.env.PGPORT ?? 5432}/${process.env.PGDATABASE ?? process.env.PGUSER ?? ''}`;
  const s3Endpoint = s3?.endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
  console.log(`Redshift Data API stand-in on ${standin.endpoint}, running statements on PostgreSQL ${where}.`);
  console.log(
    s3Endpoint
      ? `COPY ... FROM 's3://...' reads the S3 endpoint ${s3Endpoint}${s3 ? ' (s3rver, started with --s3; keys S3RVER/S3RVER)' : ' (AWS_ENDPOINT_URL_S3)'}.`
      : "COPY ... FROM 's3://...' reads real S3 (no AWS_ENDPOINT_URL_S3): to load staging locally, start it with --s3 <dir> (an s3rver with <dir> uploaded), or export AWS_ENDPOINT_URL_S3.",
  );
  console.log('In another shell:');
  console.log(`  export AWS_ENDPOINT_URL_REDSHIFT_DATA=${standin.endpoint}`);
  if (s3Endpoint) {
    console.log(`  export AWS_ENDPOINT_URL_S3=${s3Endpoint} AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER`);
    console.log('  export AWS_REGION=us-east-1 REDSHIFT_CLUSTER=standin REDSHIFT_IAM_ROLE=arn:aws:iam::123456789012:role/sparkify-loader');
  } else {
    console.log('  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test REDSHIFT_CLUSTER=standin');
  }
  console.log('  npx sparkify debug --target redshift');
  if (bucket) console.log(`  npx sparkify build --target redshift --vars '{"data_path": "s3://${bucket}"}'`);
  console.log('Ctrl-C stops it.');
  const stop = (): void => {
    void Promise.all([standin.close(), s3?.close()]).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
