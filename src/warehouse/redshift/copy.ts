import { SparkifyError } from '../../core/errors.js';
import type { RejectedRow } from '../../core/copy.js';
import { CopyRejectedError, SqlError } from '../errors.js';
import type { QueryResult, S3CopyResult, S3CopySpec } from '../types.js';
import type { DataApi } from './data-api.js';
import { redshiftDialect } from './dialect.js';
import { cleanError, StatementFailed } from './errors.js';
import type { Lease, SessionPool } from './sessions.js';
import { clean } from './settings.js';

// Staging loads are Redshift's own COPY ... FROM 's3://...', run in the load's transaction; the rows
// Redshift rejects are read back from stl_load_errors (sys_load_error_detail on Serverless).

export interface CopyContext {
  api: DataApi;
  sessions: SessionPool;
  iamRole: string | undefined;
  /** The Data API's region: COPY's REGION when the model names none. */
  region: string;
  redact: (message: string) => string;
  loadErrors: LoadErrorLog;
}

/** One COPY in the lease's session (the caller's transaction); `run` runs a statement in that session. */
export async function copyInSession(
  ctx: CopyContext,
  spec: S3CopySpec,
  lease: Lease,
  run: (sql: string, params?: unknown[]) => Promise<QueryResult>,
): Promise<S3CopyResult> {
  const iamRole = clean(ctx.iamRole);
  if (!iamRole) {
    throw new SparkifyError(`the target has no iam_role: Redshift's COPY reads ${spec.from} with an IAM role, and none is set`, {
      hint:
        'Set iam_role: in the redshift target to the ARN of a role attached to the cluster or workgroup that may read the bucket ' +
        '(the Sparkify project reads it from REDSHIFT_IAM_ROLE), or to `default` for its default IAM role.',
    });
  }
  const sql = redshiftDialect.copyFromS3!(spec, { iamRole, region: spec.region ?? ctx.region });
  const shown = ctx.redact(sql);
  const outcome = await ctx.sessions.serial(lease, async () => {
    const out = await ctx.api.submit(sql, [], lease, undefined, shown);
    try {
      return { ok: true as const, d: await ctx.api.wait(out.id, shown) };
    } catch (err) {
      if (err instanceof StatementFailed) return { ok: false as const, d: err.d };
      throw err;
    }
  });
  if (!outcome.ok) {
    const message = cleanError(ctx.redact(outcome.d.Error ?? 'the COPY failed'));
    // Rows rejected beyond MAXERROR fail the COPY (and abort its transaction); Redshift's load-error log
    // is not transactional, so they are read from a session of their own, by the COPY's query id.
    const queryId = Number(outcome.d.RedshiftQueryId ?? 0);
    const rejected = queryId > 0 ? await ctx.loadErrors.read(queryId).catch(() => []) : [];
    if (rejected.length) throw new CopyRejectedError(message, rejected, spec.maxerror);
    throw new SqlError(message, shown);
  }
  // pg_last_copy_id(): the query id of this session's last COPY, the key of its rows in stl_load_errors.
  const last = (await run('select pg_last_copy_id() as id, pg_last_copy_count() as n')).rows[0] ?? {};
  const id = Number(last.id ?? -1);
  const rows = Number(last.n ?? outcome.d.ResultRows ?? 0);
  // With MAXERROR 0 a COPY that succeeded rejected nothing.
  const rejected = spec.maxerror > 0 && id > 0 ? await ctx.loadErrors.read(id) : [];
  return { rows, rejected };
}

/** Redshift's load-error log: stl_load_errors (provisioned) or sys_load_error_detail (also Serverless). */
export class LoadErrorLog {
  private which: 'stl' | 'sys' | undefined;

  constructor(private readonly api: DataApi) {}

  /** The rows a COPY rejected, by its query id, in file and line order. */
  async read(queryId: number): Promise<RejectedRow[]> {
    const stl = `select trim(filename) as file, line_number as line, trim(colname) as col, rtrim(raw_field_value) as raw, trim(err_reason) as reason
                 from stl_load_errors where query = $1 order by filename, line_number`;
    // sys_load_error_detail has no raw value.
    const sys = `select trim(file_name) as file, line_number as line, trim(column_name) as col, '' as raw, trim(error_message) as reason
                 from sys_load_error_detail where query_id = $1 order by file_name, line_number`;
    let res: QueryResult;
    if (this.which !== 'sys') {
      try {
        res = await this.api.statement(stl, [queryId], undefined);
        this.which = 'stl';
      } catch (err) {
        if (!(err instanceof SqlError) || this.which === 'stl') throw err;
        res = await this.api.statement(sys, [queryId], undefined);
        this.which = 'sys';
      }
    } else res = await this.api.statement(sys, [queryId], undefined);
    return res.rows.map((r) => ({
      file: String(r.file ?? ''),
      line: Number(r.line ?? 0),
      column: String(r.col ?? ''),
      raw: String(r.raw ?? ''),
      reason: String(r.reason ?? ''),
    }));
  }
}
