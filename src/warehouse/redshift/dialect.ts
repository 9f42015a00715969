import { SparkifyError } from '../../core/errors.js';
import { postgresDialect } from '../postgres-dialect.js';
import type { Dialect, S3CopySpec, TableOptions } from '../types.js';

/**
 * Amazon Redshift SQL. Names, views, drops, renames and the catalogue queries are Postgres's (Redshift keeps
 * information_schema); tables carry Redshift's physical design from model config:
 *
 *   CREATE TABLE name [DISTSTYLE {EVEN | ALL | AUTO | KEY}] [DISTKEY(col)] [[COMPOUND | INTERLEAVED] SORTKEY(col, ...)] AS query
 *
 * `dist` is `even`, `all`, `auto` or a column name (which means DISTSTYLE KEY DISTKEY(column)); `sort` is a
 * list of columns and `sort_type` compound (Redshift's default) or interleaved.
 */
export const redshiftDialect: Dialect = {
  ...postgresDialect,
  name: 'redshift',
  createTableAs(r, sql, opts) {
    return `create table ${this.relation(r)}${tableAttributes(opts, this.quote)} as (\n${sql}\n)`;
  },
  createTable(r, columnsDdl, opts) {
    return `create table ${this.relation(r)} (\n${columnsDdl}\n)${tableAttributes(opts, this.quote)}`;
  },
  // Grants go to database users (pg_user, which Redshift has as Postgres does).
  listRoles() {
    return 'select usename as name from pg_user';
  },
  copyFromS3(spec, auth) {
    return copyStatement(spec, auth, this.relation(spec.relation), this.quote);
  },
};

/**
 * Redshift's COPY of JSON files from S3 (https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html):
 *
 *   COPY table (col, ...) FROM 's3://bucket/prefix' IAM_ROLE {default | 'arn:aws:iam::<account>:role/<name>'}
 *   FORMAT AS JSON {'auto' | 'auto ignorecase' | 's3://bucket/jsonpaths.json'} TIMEFORMAT 'epochmillisecs'
 *   REGION 'us-east-1' [GZIP] [BLANKSASNULL] [EMPTYASNULL] [TRUNCATECOLUMNS] [ACCEPTINVCHARS AS 'c']
 *   MAXERROR n [MANIFEST]
 *
 * One clause a line, the table first: the IAM role never sits on the first line, which is what messages quote.
 */
export function copyStatement(spec: S3CopySpec, auth: { iamRole: string; region: string }, table: string, quote: (id: string) => string): string {
  const format = spec.format.kind === 'jsonpaths' ? literal(spec.format.url) : spec.format.ignoreCase ? `'auto ignorecase'` : `'auto'`;
  const role = auth.iamRole.trim().toLowerCase() === 'default' ? 'default' : literal(auth.iamRole.trim());
  return [
    `copy ${table} (${spec.columns.map(quote).join(', ')})`,
    `from ${literal(spec.from)}`,
    `iam_role ${role}`,
    `format as json ${format}`,
    `timeformat ${literal(spec.timeformat)}`,
    `region ${literal(spec.region ?? auth.region)}`,
    ...(spec.gzip ? ['gzip'] : []),
    ...(spec.blanksasnull ? ['blanksasnull'] : []),
    ...(spec.emptyasnull ? ['emptyasnull'] : []),
    ...(spec.truncatecolumns ? ['truncatecolumns'] : []),
    ...(spec.acceptinvchars !== undefined ? [`acceptinvchars as ${literal(spec.acceptinvchars)}`] : []),
    ...(spec.ignoreheader ? [`ignoreheader ${spec.ignoreheader}`] : []),
    `maxerror ${spec.maxerror}`,
    ...(spec.manifest ? ['manifest'] : []),
  ].join('\n');
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const DIST_STYLES = new Set(['even', 'all', 'auto']);
const MAX_INTERLEAVED_COLUMNS = 8;

/** ` diststyle key distkey("c") compound sortkey("a", "b")`, or '' when the model sets neither. */
export function tableAttributes(opts: TableOptions, quote: (id: string) => string): string {
  const parts: string[] = [];
  const dist = opts.dist?.trim();
  if (dist) {
    const lower = dist.toLowerCase();
    if (DIST_STYLES.has(lower)) parts.push(`diststyle ${lower}`);
    else if (lower === 'key') {
      throw new SparkifyError(`dist="key" needs the column to distribute on`, {
        hint: 'Write the column name instead, e.g. dist="user_id" (that means DISTSTYLE KEY DISTKEY(user_id)); or use even, all or auto.',
      });
    } else parts.push(`diststyle key distkey(${quote(dist)})`);
  }
  const sort = (opts.sort ?? []).map((c) => c.trim()).filter(Boolean);
  if (sort.length) {
    if (opts.sortType === 'interleaved' && sort.length > MAX_INTERLEAVED_COLUMNS) {
      throw new SparkifyError(`an interleaved sort key takes at most ${MAX_INTERLEAVED_COLUMNS} columns, not ${sort.length}`, {
        hint: 'Use fewer columns, or sort_type="compound".',
      });
    }
    parts.push(`${opts.sortType ? `${opts.sortType} ` : ''}sortkey(${sort.map(quote).join(', ')})`);
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}
