// Redshift's COPY ... FROM 's3://...' for the Data API stand-in (redshift-standin.ts): the statement is parsed
// as Redshift parses it, the files are read from the S3 stand-in (s3rver, or any S3 endpoint), decoded by the
// engine's own loader (src/load: Redshift's JSON, JSONPaths, TIMEFORMAT, BLANKSASNULL ... rules) and streamed
// with COPY FROM STDIN on the statement's own connection, so the rows are part of the statement's
// transaction. Rejected rows go to stl_load_errors and sys_load_error_detail on a connection of their own, so
// they survive a rollback as Redshift's system tables do. Test code only.

import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadJson } from '../../src/load/copy.js';
import type { ColumnType } from '../../src/load/convert.js';
import type { FileRef, FileSource } from '../../src/load/sources/types.js';
import { parseManifest } from '../../src/materialize/copy/manifest.js';
import type { RejectedRow } from '../../src/core/copy.js';

export interface StandinS3 {
  /** Default: AWS_ENDPOINT_URL_S3 (then AWS_ENDPOINT_URL); unset means real S3. */
  endpoint?: string;
  region?: string;
  /** Default: the AWS credential chain of the stand-in's process. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** A COPY statement as Redshift reads it. */
export interface CopyCommand {
  /** The table as written. */
  table: string;
  columns?: string[];
  from: string;
  /** `default`, an ARN, or undefined when the statement has no IAM_ROLE. */
  iamRole?: string;
  /** Other credentials (CREDENTIALS, ACCESS_KEY_ID/SECRET_ACCESS_KEY). */
  otherCredentials: boolean;
  format?: string;
  timeformat?: string;
  region?: string;
  gzip: boolean;
  blanksasnull: boolean;
  emptyasnull: boolean;
  truncatecolumns: boolean;
  acceptinvchars?: string;
  maxerror: number;
  ignoreheader?: number;
  manifest: boolean;
  /** The Redshift-only clauses, normalised: `iam_role '<arn>'`, `format as json 'auto'`, `maxerror 0`, ... */
  clauses: string[];
}

/** What the stand-in records of a COPY it ran. */
export interface CopyRecord extends CopyCommand {
  /** The S3 URLs read, in order. */
  keys: string[];
  rows: number;
  rejected: number;
}

export interface CopyContext {
  client: pg.ClientBase;
  /** For the load-error tables (a separate connection: they survive the statement's rollback). */
  pool: pg.Pool;
  queryId: number;
  sessionPid: number;
  s3: StandinS3;
  /** Roles attached to the cluster; undefined: any well-formed role ARN. */
  iamRoles?: string[];
  defaultIamRole?: string;
}

class CopyError extends Error {}

// ---- parsing ----

interface Token {
  kind: 'word' | 'string' | 'ident' | 'number' | 'punct';
  value: string;
}

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      for (; j < sql.length; j++) {
        if (sql[j] === c && sql[j + 1] === c) {
          v += c;
          j++;
        } else if (sql[j] === c) break;
        else v += sql[j];
      }
      if (j >= sql.length) throw new CopyError(`unterminated quoted ${c === "'" ? 'string' : 'identifier'} at or near "${sql.slice(i, i + 20)}"`);
      out.push({ kind: c === "'" ? 'string' : 'ident', value: v });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(sql.slice(i))![0];
      out.push({ kind: 'number', value: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))![0];
      out.push({ kind: 'word', value: m.toLowerCase() });
      i += m.length;
    } else {
      out.push({ kind: 'punct', value: c });
      i++;
    }
  }
  return out;
}

/** Parse `COPY ... FROM 's3://...' ...`; undefined when the statement is not a COPY from S3. */
export function parseCopy(sql: string): CopyCommand | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch {
    return undefined;
  }
  if (tokens[0]?.kind !== 'word' || tokens[0].value !== 'copy') return undefined;
  const fromAt = tokens.findIndex((t) => t.kind === 'word' && t.value === 'from');
  if (fromAt < 0 || tokens[fromAt + 1]?.kind !== 'string' || !tokens[fromAt + 1]!.value.startsWith('s3://')) return undefined;
  let i = 1;
  const peek = (): Token | undefined => tokens[i];
  const next = (): Token | undefined => tokens[i++];
  const syntax = (t: Token | undefined): CopyError => new CopyError(`syntax error at or near "${t ? (t.kind === 'string' ? `'${t.value}'` : t.value) : 'end of input'}"`);
  const name = (): string => {
    const t = next();
    if (!t || (t.kind !== 'word' && t.kind !== 'ident')) throw syntax(t);
    return t.kind === 'ident' ? `"${t.value.replace(/"/g, '""')}"` : t.value;
  };
  let table = name();
  if (peek()?.value === '.') {
    next();
    table += `.${name()}`;
  }
  let columns: string[] | undefined;
  if (peek()?.value === '(') {
    next();
    columns = [];
    for (;;) {
      const t = next();
      if (!t || (t.kind !== 'word' && t.kind !== 'ident')) throw syntax(t);
      columns.push(t.value);
      const sep = next();
      if (sep?.value === ')') break;
      if (sep?.value !== ',') throw syntax(sep);
    }
  }
  if (next()?.value !== 'from') throw syntax(tokens[i - 1]);
  const from = next()!.value;
  const cmd: CopyCommand = {
    table,
    ...(columns ? { columns } : {}),
    from,
    otherCredentials: false,
    gzip: false,
    blanksasnull: false,
    emptyasnull: false,
    truncatecolumns: false,
    maxerror: 0,
    manifest: false,
    clauses: [],
  };
  const string = (): string => {
    const t = next();
    if (t?.kind !== 'string') throw syntax(t);
    return t.value;
  };
  const optAs = (): void => {
    if (peek()?.kind === 'word' && peek()!.value === 'as') next();
  };
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const FLAGS = ['gzip', 'blanksasnull', 'emptyasnull', 'truncatecolumns', 'manifest'] as const;
  const UNSUPPORTED = new Set([
    'csv', 'delimiter', 'fixedwidth', 'avro', 'parquet', 'orc', 'shapefile', 'bzip2', 'lzop', 'zstd', 'encrypted', 'master_symmetric_key',
    'ssh', 'readratio', 'dateformat', 'acceptanydate', 'fillrecord', 'ignoreblanklines', 'trimblanks', 'removequotes',
    'escape', 'explicit_ids', 'roundec', 'null', 'encoding', 'compupdate', 'statupdate', 'comprows', 'noload', 'serializetojson',
    'ignoreallerrors', 'explicit_ids',
  ]);
  while (i < tokens.length) {
    const t = next()!;
    if (t.kind === 'punct' && t.value === ';') {
      if (i < tokens.length) throw syntax(tokens[i]);
      break;
    }
    if (t.kind !== 'word') throw syntax(t);
    switch (t.value) {
      case 'iam_role': {
        const r = peek();
        if (r?.kind === 'word' && r.value === 'default') {
          next();
          cmd.iamRole = 'default';
          cmd.clauses.push('iam_role default');
        } else {
          cmd.iamRole = string();
          cmd.clauses.push(`iam_role ${q(cmd.iamRole)}`);
        }
        break;
      }
      case 'credentials':
      case 'with': {
        if (t.value === 'with' && next()?.value !== 'credentials') throw syntax(tokens[i - 1]);
        optAs();
        const text = string();
        const role = /aws_iam_role=([^;]+)/.exec(text);
        if (role) cmd.iamRole = role[1]!;
        else cmd.otherCredentials = /aws_access_key_id=/.test(text);
        cmd.clauses.push('credentials');
        break;
      }
      case 'access_key_id':
      case 'secret_access_key':
      case 'session_token':
        string();
        cmd.otherCredentials = true;
        cmd.clauses.push(t.value);
        break;
      case 'format': {
        optAs();
        const f = next();
        if (f?.value !== 'json') {
          if (f?.kind === 'word' && UNSUPPORTED.has(f.value)) throw new CopyError(`the stand-in loads FORMAT AS JSON only, not ${f.value.toUpperCase()}`);
          throw syntax(f);
        }
        optAs();
        cmd.format = peek()?.kind === 'string' ? string() : 'auto';
        cmd.clauses.push(`format as json ${q(cmd.format)}`);
        break;
      }
      case 'json':
        optAs();
        cmd.format = peek()?.kind === 'string' ? string() : 'auto';
        cmd.clauses.push(`format as json ${q(cmd.format)}`);
        break;
      case 'timeformat':
        optAs();
        cmd.timeformat = string();
        cmd.clauses.push(`timeformat ${q(cmd.timeformat)}`);
        break;
      case 'region':
        optAs();
        cmd.region = string();
        cmd.clauses.push(`region ${q(cmd.region)}`);
        break;
      case 'acceptinvchars':
        optAs();
        cmd.acceptinvchars = peek()?.kind === 'string' ? string() : '?';
        if ([...cmd.acceptinvchars].length !== 1) throw new CopyError('ACCEPTINVCHARS replacement must be a single character');
        cmd.clauses.push(`acceptinvchars as ${q(cmd.acceptinvchars)}`);
        break;
      case 'ignoreheader': {
        optAs();
        const n = next();
        if (n?.kind !== 'number') throw syntax(n);
        cmd.ignoreheader = Number(n.value);
        cmd.clauses.push(`ignoreheader ${cmd.ignoreheader}`);
        break;
      }
      case 'maxerror': {
        optAs();
        const n = next();
        if (n?.kind !== 'number') throw syntax(n);
        cmd.maxerror = Number(n.value);
        cmd.clauses.push(`maxerror ${cmd.maxerror}`);
        break;
      }
      default:
        if ((FLAGS as readonly string[]).includes(t.value)) {
          cmd[t.value as (typeof FLAGS)[number]] = true;
          cmd.clauses.push(t.value);
        } else if (UNSUPPORTED.has(t.value)) {
          throw new CopyError(`the stand-in does not implement the COPY parameter ${t.value.toUpperCase()}`);
        } else throw syntax(t);
    }
  }
  return cmd;
}

// ---- S3 ----

function s3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new CopyError(`Invalid S3 URL: ${url}`);
  return { bucket: m[1]!, key: m[2]! };
}

/** Redshift's words for an S3 failure. */
function s3Failure(err: unknown, url: string): CopyError {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
  const code = e.name ?? e.Code ?? 'S3Error';
  const status = e.$metadata?.httpStatusCode ?? 0;
  const text =
    code === 'NoSuchBucket' ? 'The specified bucket does not exist' : code === 'NoSuchKey' ? 'The specified key does not exist.' : code === 'AccessDenied' ? 'Access Denied' : (e.message ?? code);
  return new CopyError(`S3ServiceException:${text},Status ${status},Error ${code},Rid ${e.$metadata?.requestId ?? ''},CanRetry 1 (${url})`);
}

function s3Source(cfg: StandinS3): { source: FileSource; close(): void } {
  const endpoint = cfg.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    region: cfg.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
  });
  const get = async (url: string): Promise<AsyncIterable<Uint8Array> & { transformToByteArray(): Promise<Uint8Array> }> => {
    const { bucket, key } = s3Url(url);
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return r.Body as never;
    } catch (err) {
      throw s3Failure(err, url);
    }
  };
  const source: FileSource = {
    async list(prefixUrl) {
      const { bucket, key } = s3Url(prefixUrl);
      const files: FileRef[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
          for (const o of page.Contents ?? []) {
            if (!o.Key || o.Key.endsWith('/')) continue;
            // Redshift names a file by its full path in stl_load_errors.
            const url = `s3://${bucket}/${o.Key}`;
            files.push({ url, display: url, size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw s3Failure(err, prefixUrl);
      }
      return files.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    },
    async read(file) {
      return Buffer.from(await (await get(file.url)).transformToByteArray());
    },
    async readText(url) {
      return Buffer.from(await (await get(url)).transformToByteArray()).toString('utf8');
    },
    open(file) {
      return Readable.from(
        (async function* () {
          for await (const chunk of await get(file.url)) yield chunk;
        })(),
        { objectMode: false },
      );
    },
  };
  return { source, close: () => client.destroy() };
}

// ---- the load-error tables ----

/** Redshift's load-error tables, in `public` (unqualified names resolve to them, as to Redshift's pg_catalog). */
export async function ensureLoadErrorTables(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Stand-ins starting at once on one database: one creates, the others wait.
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtext('sparkify redshift stand-in system tables'))`);
    await client.query(`create table if not exists public.stl_load_errors (
      userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
      filename character(256), line_number bigint, colname character(127), type character(10), col_length character(10),
      position integer, raw_line character(1024), raw_field_value character(1024), err_code integer, err_reason character(100),
      is_partial integer, start_offset bigint)`);
    await client.query(`create table if not exists public.sys_load_error_detail (
      user_id integer, query_id bigint, transaction_id bigint, session_id integer, database_name character(64), table_id integer,
      start_time timestamp, file_name character(256), line_number bigint, column_name character(127), column_type character(10),
      column_length character(10), position integer, error_code integer, error_message character(512))`);
    // GETDATE(): Redshift's current time (UTC, the start of the statement).
    await client.query(`create or replace function public.getdate() returns timestamp language sql stable as $$ select statement_timestamp() at time zone 'UTC' $$`);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function errorCode(reason: string): number {
  if (/digit|integer|numeric|invalid input/i.test(reason)) return 1207;
  if (/length|too long|exceeds/i.test(reason)) return 1204;
  if (/utf-?8|invalid char/i.test(reason)) return 1220;
  if (/json/i.test(reason)) return 1224;
  return 1216;
}

function shortType(t: string | undefined): string {
  const map: Record<string, string> = {
    integer: 'int4', smallint: 'int2', bigint: 'int8', 'double precision': 'float8', real: 'float4', boolean: 'bool',
    'character varying': 'varchar', character: 'char', 'timestamp without time zone': 'timestamp', 'timestamp with time zone': 'timestamptz',
  };
  return t ? (map[t] ?? t).slice(0, 10) : '';
}

async function logErrors(ctx: CopyContext, tableOid: number, columns: ColumnType[], rows: RejectedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n) : s);
  for (const e of rows) {
    const col = byName.get(e.column);
    const common = [clip(e.file, 256), e.line, clip(e.column, 127), shortType(col?.dataType), col?.maxLength == null ? '' : String(col.maxLength), errorCode(e.reason)];
    await ctx.pool.query(
      `insert into public.stl_load_errors (userid, slice, tbl, starttime, session, query, filename, line_number, colname, type, col_length,
         position, raw_line, raw_field_value, err_code, err_reason, is_partial, start_offset)
       values (100, 0, $1, now() at time zone 'UTC', $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, 0, 0)`,
      [tableOid, ctx.sessionPid, ctx.queryId, common[0], common[1], common[2], common[3], common[4], clip(e.raw, 1024), clip(e.raw, 1024), common[5], clip(e.reason, 100)],
    );
    await ctx.pool.query(
      `insert into public.sys_load_error_detail (user_id, query_id, transaction_id, session_id, database_name, table_id, start_time, file_name,
         line_number, column_name, column_type, column_length, position, error_code, error_message)
       values (100, $1, 0, $2, current_database(), $3, now() at time zone 'UTC', $4, $5, $6, $7, $8, 0, $9, $10)`,
      [ctx.queryId, ctx.sessionPid, tableOid, common[0], common[1], common[2], common[3], common[4], common[5], clip(e.reason, 512)],
    );
  }
}

// ---- running a COPY ----

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** What the stand-in records of a COPY, filled in as it runs (a failed COPY keeps what it got to). */
export function copyRecord(cmd: CopyCommand): CopyRecord {
  return { ...cmd, clauses: [...cmd.clauses], keys: [], rows: 0, rejected: 0 };
}

/**
 * Run a COPY from S3 on the statement's connection. Resolves to the rows loaded; throws (with Redshift's
 * message) when Redshift's COPY would fail, after rolling back or aborting what it started.
 */
export async function runS3Copy(cmd: CopyCommand, ctx: CopyContext, record: CopyRecord = copyRecord(cmd)): Promise<CopyRecord> {
  // Authorization, as Redshift checks it before reading anything.
  if (cmd.iamRole === undefined && !cmd.otherCredentials) {
    throw new CopyError(`Invalid credentials. Must be of the format: credentials 'aws_iam_role=...' or 'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'`);
  }
  if (cmd.iamRole !== undefined) {
    const role = cmd.iamRole === 'default' ? ctx.defaultIamRole : cmd.iamRole;
    if (role === undefined) throw new CopyError('Default IAM role is not set for this cluster: associate one, or name the role in IAM_ROLE');
    if (!ROLE_ARN.test(role)) throw new CopyError(`Invalid IAM_ROLE: '${role}' is not an IAM role ARN (arn:aws:iam::<account-id>:role/<role-name>)`);
    if (ctx.iamRoles && !ctx.iamRoles.includes(role)) throw new CopyError(`Not authorized to get credentials of role ${role}`);
  }
  if (cmd.format === undefined) throw new CopyError('the stand-in loads FORMAT AS JSON only (this COPY has no FORMAT, i.e. pipe-delimited text)');

  // The table and its columns, as this session sees them (inside its transaction).
  const info = await ctx.client.query(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)`,
    [cmd.table],
  );
  const rel = info.rows[0] as { oid: number; schema: string; name: string } | undefined;
  if (!rel) throw new CopyError(`relation "${cmd.table.replace(/"/g, '')}" does not exist`);
  const cols = (
    await ctx.client.query(
      'select column_name, data_type, character_maximum_length from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
      [rel.schema, rel.name],
    )
  ).rows.map((r: { column_name: string; data_type: string; character_maximum_length: number | null }) => ({
    name: r.column_name,
    dataType: r.data_type,
    maxLength: r.character_maximum_length,
  }));
  const columns = cmd.columns
    ? cmd.columns.map((n) => {
        const c = cols.find((x) => x.name === n);
        if (!c) throw new CopyError(`column "${n}" of relation "${rel.name}" does not exist`);
        return c;
      })
    : cols;

  const s3 = s3Source(ctx.s3);
  try {
    // The files: every key under the prefix, or a manifest's entries (each loaded as often as it is listed).
    let files: FileRef[];
    if (cmd.manifest) {
      const text = await s3.source.readText(cmd.from);
      let entries;
      try {
        entries = parseManifest(text, cmd.from);
      } catch (err) {
        throw new CopyError(`Manifest file is not in correct json format: ${(err as Error).message}`);
      }
      files = [];
      for (const e of entries) {
        if (!e.url.startsWith('s3://')) throw new CopyError(`Manifest entry url must be an S3 URL (s3://bucket/key): '${e.url}'`);
        const found = (await s3.source.list(e.url)).find((f) => f.url === e.url);
        if (found) files.push(found);
        else if (e.mandatory) throw new CopyError(`Problem reading manifest file - S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey (mandatory entry ${e.url})`);
      }
      if (files.length === 0) throw new CopyError(`The manifest ${cmd.from} lists no file that exists`);
    } else {
      files = await s3.source.list(cmd.from);
      if (files.length === 0) throw new CopyError(`The specified S3 prefix '${s3Url(cmd.from).key}' does not exist`);
    }
    record.keys = files.map((f) => f.url);

    const format =
      /^auto( ignorecase)?$/i.test(cmd.format)
        ? { kind: 'auto' as const, ignoreCase: /ignorecase/i.test(cmd.format) }
        : cmd.format.startsWith('s3://')
          ? { kind: 'jsonpaths' as const, file: cmd.format, text: await s3.source.readText(cmd.format) }
          : undefined;
    if (!format) throw new CopyError(`Invalid JSON option '${cmd.format}': use 'auto', 'auto ignorecase' or the s3:// URL of a JSONPaths file`);

    const status = (ctx.client as pg.Client).getTransactionStatus?.();
    if (status === 'E') throw new CopyError('current transaction is aborted, commands ignored until end of transaction block');
    const own = status !== 'T';
    if (own) await ctx.client.query('begin');
    let result;
    try {
      result = await loadJson(
        {
          query: () => Promise.reject(new Error('not used')),
          exec: () => Promise.reject(new Error('not used')),
          copyIn: (relation, names, chunks) => copyIn(ctx.client, `"${relation.schema.replace(/"/g, '""')}"."${relation.identifier.replace(/"/g, '""')}"`, names, chunks),
        },
        {
          relation: { schema: rel.schema, identifier: rel.name },
          columns,
          files,
          source: s3.source,
          format,
          options: {
            timeformat: cmd.timeformat ?? 'auto',
            blanksasnull: cmd.blanksasnull,
            emptyasnull: cmd.emptyasnull,
            truncatecolumns: cmd.truncatecolumns,
            ...(cmd.acceptinvchars !== undefined ? { acceptinvchars: cmd.acceptinvchars } : {}),
            ...(cmd.ignoreheader ? { ignoreheader: cmd.ignoreheader } : {}),
            gzip: cmd.gzip,
            // Counted here, as Redshift counts: the load decides after reading everything.
            maxerror: Number.MAX_SAFE_INTEGER,
          },
          workers: 0,
          copyFormat: 'text',
        },
      );
    } catch (err) {
      await abort(ctx.client, own);
      throw err instanceof CopyError ? err : new CopyError((err as Error).message);
    }
    record.rejected = result.rejected.length;
    if (result.rejected.length > cmd.maxerror) {
      // Redshift stops at the error past MAXERROR and logs the ones it met.
      await logErrors(ctx, rel.oid, columns, result.rejected.slice(0, cmd.maxerror + 1));
      await abort(ctx.client, own);
      throw new CopyError(`Load into table '${rel.name}' failed.  Check 'stl_load_errors' system table for details.`);
    }
    await logErrors(ctx, rel.oid, columns, result.rejected);
    if (own) await ctx.client.query('commit');
    record.rows = result.rows;
    return record;
  } finally {
    s3.close();
  }
}

/** Undo a failed COPY: roll back our own transaction, or leave the caller's aborted, as Redshift does. */
async function abort(client: pg.ClientBase, own: boolean): Promise<void> {
  if (own) await client.query('rollback').catch(() => undefined);
  else await client.query(`do $$ begin raise exception 'COPY failed'; end $$`).catch(() => undefined);
}

async function copyIn(client: pg.ClientBase, table: string, columns: string[], chunks: AsyncIterable<string | Uint8Array>): Promise<number> {
  const sql = `copy ${table} (${columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ')}) from stdin`;
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  try {
    for await (const chunk of chunks) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
    }
  } catch (err) {
    stream.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  stream.end();
  await done;
  return stream.rowCount;
}

export function isCopyError(err: unknown): boolean {
  return err instanceof CopyError;
}
