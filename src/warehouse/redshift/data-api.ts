import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type ColumnMetadata,
  type DescribeStatementResponse,
  type RedshiftDataClient,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { SparkifyError } from '../../core/errors.js';
import { notStarted, SqlError } from '../errors.js';
import type { QueryResult } from '../types.js';
import { cancelled, cleanError, explain, isBusy, sessionGone, StatementFailed } from './errors.js';
import { columnName, fieldsOf, fieldValue } from './results.js';
import type { Identity } from './settings.js';
import { firstLine, rowCountOf, toNamedParameters } from './statements.js';

// The Data API's calls. Statements run asynchronously:
//
//   ExecuteStatement → poll DescribeStatement (50 ms doubling to 1 s) until FINISHED / FAILED / ABORTED
//   → GetStatementResult, page by page (NextToken).
//
// BatchExecuteStatement runs several statements as one transaction. When the run's AbortSignal fires, every
// statement this client has running gets a CancelStatement (one still being submitted gets it as soon as
// its id is known), and nothing new is submitted.

/** The Data API session a call runs in; the call records what the session pool needs to know of it. */
export interface SessionRef {
  readonly id: string;
  /** Statements the Data API accepted in this session. */
  accepted: number;
  /** The Data API no longer knows the session (it expired or was closed). */
  gone?: boolean;
}

export interface DataApiOptions {
  pollMinMs: number;
  pollMaxMs: number;
  busyRetries: number;
  redact: (message: string) => string;
  signal?: AbortSignal;
}

export class DataApi {
  /** Statements submitted and not yet seen to end. */
  private readonly running = new Set<string>();
  private readonly onAbort = (): void => {
    for (const id of this.running) this.cancel(id);
  };

  constructor(
    private readonly client: RedshiftDataClient,
    private readonly identity: Identity,
    private readonly opts: DataApiOptions,
  ) {
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Let go of the signal (one may serve many warehouses in a long-lived process). */
  dispose(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  /** One statement (`$n` parameters), in `session` or on its own; its rows if it has a result set. */
  async statement(sql: string, params: unknown[] | undefined, session: SessionRef | undefined): Promise<QueryResult> {
    const named = toNamedParameters(sql, params);
    const out = await this.submit(named.sql, named.parameters, session, undefined, sql);
    const d = await this.finish(out.id, sql);
    if (d.HasResultSet) return this.results(d.Id ?? out.id);
    return { rows: [], fields: [], ...rowCountOf(sql, d.ResultRows) };
  }

  /** Several statements as one BatchExecuteStatement (one transaction); the result of the last. */
  async batch(statements: string[], session: SessionRef): Promise<QueryResult> {
    const all = statements.join(';\n');
    this.refuseIfAborted(all);
    let id: string;
    try {
      const out = await this.call(() => this.client.send(new BatchExecuteStatementCommand({ Sqls: statements, SessionId: session.id })));
      id = out.Id!;
      session.accepted++;
      this.started(id);
    } catch (err) {
      if (sessionGone(err)) session.gone = true;
      throw err;
    }
    let d: DescribeStatementResponse;
    try {
      d = await this.wait(id, all);
    } catch (err) {
      if (err instanceof StatementFailed) {
        const failed = err.d.SubStatements?.find((s) => s.Status === 'FAILED');
        throw new SqlError(cleanError(this.opts.redact(failed?.Error ?? err.d.Error ?? 'the batch failed')), failed?.QueryString ?? all);
      }
      throw err;
    }
    const last = d.SubStatements?.[d.SubStatements.length - 1];
    if (last?.HasResultSet && last.Id) return this.results(last.Id);
    return { rows: [], fields: [], ...rowCountOf(statements[statements.length - 1]!, last?.ResultRows) };
  }

  /**
   * ExecuteStatement: in `session`, or sessionless with the target's identity; `keepAliveSeconds` opens a new
   * session (the answer's SessionId). `shown` is the statement as messages may show it.
   */
  async submit(
    sql: string,
    parameters: SqlParameter[],
    session: SessionRef | undefined,
    keepAliveSeconds?: number,
    shown = sql,
  ): Promise<{ id: string; sessionId?: string }> {
    this.refuseIfAborted(shown);
    const input = {
      Sql: sql,
      ...(parameters.length ? { Parameters: parameters } : {}),
      ...(session ? { SessionId: session.id } : this.identity),
      ...(keepAliveSeconds !== undefined ? { SessionKeepAliveSeconds: keepAliveSeconds } : {}),
    };
    try {
      const out = await this.call(() => this.client.send(new ExecuteStatementCommand(input)));
      if (!out.Id) throw new SparkifyError('the Redshift Data API accepted a statement without giving its id');
      if (session) session.accepted++;
      this.started(out.Id);
      return { id: out.Id, ...(out.SessionId ? { sessionId: out.SessionId } : {}) };
    } catch (err) {
      if (session && sessionGone(err)) session.gone = true;
      throw err;
    }
  }

  /** Wait for a submitted statement; FAILED becomes a SqlError. */
  async finish(id: string, sql: string): Promise<DescribeStatementResponse> {
    try {
      return await this.wait(id, sql);
    } catch (err) {
      if (err instanceof StatementFailed) throw new SqlError(cleanError(this.opts.redact(err.d.Error ?? 'the statement failed')), sql);
      throw err;
    }
  }

  /** Poll DescribeStatement until the statement ends: FINISHED resolves, FAILED throws StatementFailed. */
  async wait(id: string, sql: string): Promise<DescribeStatementResponse> {
    let delay = this.opts.pollMinMs;
    try {
      for (;;) {
        await sleep(delay);
        const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: id })));
        if (d.Status === 'FINISHED') return d;
        if (d.Status === 'FAILED') throw new StatementFailed(d);
        if (d.Status === 'ABORTED') throw cancelled(firstLine(sql));
        // Once cancelled, look again soon: the run is waiting to end.
        delay = this.opts.signal?.aborted ? this.opts.pollMinMs : Math.min(delay * 2, this.opts.pollMaxMs);
      }
    } finally {
      this.running.delete(id);
    }
  }

  /** GetStatementResult, every page. */
  async results(id: string): Promise<QueryResult> {
    const rows: Record<string, unknown>[] = [];
    let meta: ColumnMetadata[] | undefined;
    let token: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) })));
      if (!meta?.length && page.ColumnMetadata?.length) meta = page.ColumnMetadata;
      const names = (meta ?? []).map(columnName);
      for (const record of page.Records ?? []) {
        const row: Record<string, unknown> = {};
        record.forEach((f, i) => (row[names[i] ?? `?column${i}?`] = fieldValue(f, meta?.[i])));
        rows.push(row);
      }
      token = page.NextToken || undefined;
    } while (token);
    return { rows, fields: fieldsOf(meta ?? []), rowCount: rows.length };
  }

  /** A Data API call; "too many active statements / sessions" is retried with backoff, then explained. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (isBusy(err) && attempt < this.opts.busyRetries && !this.opts.signal?.aborted) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw explain(err, this.opts.redact);
      }
    }
  }

  private started(id: string): void {
    this.running.add(id);
    // Interrupted while it was being submitted: cancel it now that it has an id.
    if (this.opts.signal?.aborted) this.cancel(id);
  }

  private cancel(id: string): void {
    // A statement that ended meanwhile refuses the cancel; its poll reports how it ended.
    void this.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
  }

  private refuseIfAborted(sql: string): void {
    if (this.opts.signal?.aborted) throw notStarted(sql);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
