// Redshift's COPY ... FROM 's3://...' FORMAT AS JSON for the Data API stand-in (redshift-standin.ts).
//
// The stand-in must not reuse the code it tests: nothing here comes from src/. What it implements is
// Redshift's COPY as AWS documents it (Database Developer Guide: COPY, "COPY from JSON format", "Data
// conversion parameters", "Data load operations", "Using a manifest to specify data files", "Load error
// reference"), for the options the engine sends: FORMAT AS JSON 'auto' | 'auto ignorecase' | a JSONPaths file,
// TIMEFORMAT 'epochmillisecs' | 'epochsecs' | 'auto', BLANKSASNULL, EMPTYASNULL, TRUNCATECOLUMNS,
// ACCEPTINVCHARS, IGNOREHEADER, GZIP, MAXERROR, MANIFEST, REGION. Where the engine and Redshift differ (VARCHAR
// lengths in bytes, blank fields of non-character columns, ...) this file follows Redshift.
//
// The statement is parsed as Redshift parses it; the files are read from the S3 stand-in (s3rver, or any S3
// endpoint); each JSON record is mapped to the columns and converted here, and the rows are streamed with
// COPY FROM STDIN (CSV) on the statement's own connection, so they are part of the statement's transaction.
// Rejected rows go to stl_load_errors and sys_load_error_detail on a connection of their own, so they
// survive a rollback as Redshift's system tables do. Test code only.

import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

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

// ---- parsing the statement ----

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
    'ignoreallerrors',
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
        // "The replacement character can be any ASCII character except NULL."
        if (!/^[\x01-\x7f]$/.test(cmd.acceptinvchars)) throw new CopyError('ACCEPTINVCHARS replacement must be a single ASCII character');
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

interface S3Object {
  url: string;
  size: number;
}

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

class Bucket {
  private readonly client: S3Client;

  constructor(cfg: StandinS3) {
    const endpoint = cfg.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.client = new S3Client({
      region: cfg.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
    });
  }

  /** Every object whose key starts with the URL's key, in key order (S3 lists in UTF-8 binary order). */
  async list(prefixUrl: string): Promise<S3Object[]> {
    const { bucket, key } = s3Url(prefixUrl);
    const out: S3Object[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key && !o.Key.endsWith('/')) out.push({ url: `s3://${bucket}/${o.Key}`, size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw s3Failure(err, prefixUrl);
    }
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.url), Buffer.from(b.url)));
  }

  async get(url: string): Promise<Buffer> {
    const { bucket, key } = s3Url(url);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      throw s3Failure(err, url);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * The files a manifest names: `{"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}`. Each URL is
 * a full object path, not a prefix; `mandatory` defaults to false; a missing mandatory file fails the COPY, a
 * missing optional one is skipped; no file at all fails it whatever the flags.
 */
async function manifestFiles(s3: Bucket, url: string): Promise<S3Object[]> {
  const text = (await s3.get(url)).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CopyError(`Manifest file is not in correct json format: ${(err as Error).message}`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) throw new CopyError('Manifest file is not in correct json format: it has no "entries" array');
  const files: S3Object[] = [];
  for (const e of entries as unknown[]) {
    const entry = e as { url?: unknown; mandatory?: unknown } | null;
    if (typeof entry?.url !== 'string') throw new CopyError('Manifest file is not in correct json format: an entry has no "url"');
    if (entry.mandatory !== undefined && typeof entry.mandatory !== 'boolean') throw new CopyError('Manifest file is not in correct json format: "mandatory" must be true or false');
    if (!entry.url.startsWith('s3://')) throw new CopyError(`Manifest entry url must be an S3 URL (s3://bucket/key): '${entry.url}'`);
    const found = (await s3.list(entry.url)).find((f) => f.url === entry.url);
    if (found) files.push(found);
    else if (entry.mandatory === true) throw new CopyError(`Problem reading manifest file - S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey (mandatory entry ${entry.url})`);
  }
  if (files.length === 0) throw new CopyError(`The manifest ${url} lists no file that exists`);
  return files;
}

// ---- JSON records ----

/** Where a value sits in a record: a top-level key, or a JSONPath's steps. */
type Locator = (record: unknown) => unknown;

/**
 * A JSONPaths file: `{"jsonpaths": ["$['a']", "$.b.c", "$['d'][0]"]}`, one path a column. Bracket or dot
 * notation (not both in one file), array indexes in brackets; no wildcards or filters. A file whose one name
 * is not "jsonpaths" means 'auto'.
 */
function jsonPaths(text: string, columns: string[]): Locator[] | 'auto' {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CopyError(`Invalid JSONPath format: the JSONPaths file is not valid JSON (${(err as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CopyError('Invalid JSONPath format: the JSONPaths file must hold one JSON object');
  if (!Object.hasOwn(doc, 'jsonpaths')) return 'auto';
  const paths = (doc as { jsonpaths: unknown }).jsonpaths;
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) throw new CopyError('Invalid JSONPath format: "jsonpaths" must be an array of strings');
  if (paths.length !== columns.length) {
    throw new CopyError(`Number of jsonpaths and the number of columns should match. JSONPath size: ${paths.length}, Number of columns in table or column list: ${columns.length}`);
  }
  const notations = new Set<string>();
  const locators = (paths as string[]).map((p) => {
    const steps: (string | number)[] = [];
    if (p[0] !== '$') throw new CopyError(`Invalid JSONPath format: ${p} (a path starts at $)`);
    let rest = p.slice(1);
    while (rest.length) {
      let m: RegExpExecArray | null;
      if ((m = /^\[(\d+)\]/.exec(rest))) steps.push(Number(m[1]));
      else if ((m = /^\['([^']*)'\]/.exec(rest)) || (m = /^\["([^"]*)"\]/.exec(rest))) {
        notations.add('bracket');
        steps.push(m[1]!);
      } else if ((m = /^\.([^.'[\]]+)/.exec(rest))) {
        notations.add('dot');
        steps.push(m[1]!);
      } else throw new CopyError(`Invalid JSONPath format: ${p}`);
      rest = rest.slice(m[0].length);
    }
    if (steps.length === 0) throw new CopyError(`Invalid JSONPath format: ${p} (names no element)`);
    return (record: unknown): unknown => {
      let cur = record;
      for (const s of steps) {
        if (typeof s === 'number' ? !Array.isArray(cur) : cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
        if (!Object.hasOwn(cur as object, s)) return undefined;
        cur = (cur as Record<string | number, unknown>)[s];
      }
      return cur;
    };
  });
  if (notations.size > 1) throw new CopyError('Invalid JSONPath format: bracket notation and dot notation cannot be mixed in one JSONPaths file');
  return locators;
}

/** 'auto': each column takes the record's top-level key of the same name ('auto ignorecase': any case). */
function autoLocators(columns: string[], ignoreCase: boolean): Locator[] {
  return columns.map((c) => (record: unknown): unknown => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
    if (Object.hasOwn(record, c)) return (record as Record<string, unknown>)[c];
    if (!ignoreCase) return undefined;
    const key = Object.keys(record).find((k) => k.toLowerCase() === c.toLowerCase());
    return key === undefined ? undefined : (record as Record<string, unknown>)[key];
  });
}

/** One JSON text in a file: its bytes and the line it starts on. */
interface RawRecord {
  bytes: Buffer;
  line: number;
}

const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * Split a file into its JSON texts: objects and arrays one after another, any whitespace (newlines included)
 * between them, an object free to span lines. Works on bytes (JSON's structure is ASCII), so bad UTF-8 stays
 * inside its record. Text that starts no object or array runs to the end of its line (a bad record).
 */
function* records(data: Buffer, skipLines: number): Generator<RawRecord> {
  let i = 0;
  let line = 1;
  for (let skipped = 0; skipped < skipLines && i < data.length; skipped++) {
    const nl = data.indexOf(0x0a, i);
    i = nl < 0 ? data.length : nl + 1;
    line++;
  }
  while (i < data.length) {
    const c = data[i]!;
    if (c === 0x0a) {
      line++;
      i++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      let inString = false;
      for (; i < data.length; i++) {
        const b = data[i]!;
        if (b === 0x0a) line++;
        if (inString) {
          if (b === 0x5c) i++;
          else if (b === 0x22) inString = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
      }
    } else {
      const nl = data.indexOf(0x0a, i);
      i = nl < 0 ? data.length : nl;
    }
    yield { bytes: data.subarray(start, i), line: startLine };
  }
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the bytes there are not one. */
function utf8SequenceAt(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 >= 0x90) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

/** The record as text; with ACCEPTINVCHARS, each byte of an invalid sequence becomes the replacement character. */
function decode(bytes: Buffer, replacement: string | undefined): { text: string } | { invalidAt: number } {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = utf8SequenceAt(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (replacement === undefined) return { invalidAt: i };
    parts.push(bytes.subarray(from, i), Buffer.from(replacement));
    i++;
    from = i;
  }
  parts.push(bytes.subarray(from));
  return { text: Buffer.concat(parts).toString('utf8') };
}

// ---- values ----

interface Column {
  name: string;
  /** information_schema data_type */
  dataType: string;
  /** Characters for char/varchar as declared (Redshift counts them as bytes). */
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

/** A value that does not load: one row of stl_load_errors. */
interface Reject {
  code: number;
  reason: string;
  /** Position of the error in the field. */
  position: number;
}

type Converted = { value: string | null } | { reject: Reject };

const reject = (code: number, reason: string, position = 0): Converted => ({ reject: { code, reason, position } });

/** The field's text as Redshift sees it: a string as is, other JSON values (objects, arrays) as JSON text. */
function fieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Blank: empty, or white space only. */
const isBlank = (s: string): boolean => /^[ \t\r\n\f\v]*$/.test(s);

/** Redshift's short type names (stl_load_errors.type). */
function redshiftType(c: Column): string {
  const names: Record<string, string> = {
    smallint: 'int2', integer: 'int4', bigint: 'int8', real: 'float4', 'double precision': 'float8', numeric: 'numeric', boolean: 'bool',
    'character varying': 'varchar', character: 'char', text: 'varchar', date: 'date',
    'timestamp without time zone': 'timestamp', 'timestamp with time zone': 'timestamptz',
  };
  return (names[c.dataType] ?? c.dataType).slice(0, 10);
}

function convert(v: unknown, col: Column, cmd: CopyCommand): Converted {
  if (v === null || v === undefined) return { value: null };
  const t = col.dataType;
  if (t === 'character varying' || t === 'character' || t === 'text') return convertString(fieldText(v), col, cmd);
  const text = fieldText(v);
  // "Blank fields for other data types, such as INT, are always loaded with NULL."
  if (typeof v === 'string' && isBlank(v)) return { value: null };
  if (t === 'smallint' || t === 'integer' || t === 'bigint') return convertInteger(v, text, t);
  if (t === 'real' || t === 'double precision') return convertFloat(v, text, t);
  if (t === 'numeric') return convertNumeric(v, text, col);
  if (t === 'boolean') return convertBoolean(v, text);
  if (t.startsWith('timestamp')) return convertTimestamp(v, text, cmd.timeformat, t.includes('with time zone'));
  if (t === 'date') return convertDate(text);
  // Other types: their text, for the database to read.
  return { value: text };
}

function convertString(text: string, col: Column, cmd: CopyCommand): Converted {
  if (cmd.emptyasnull && text === '') return { value: null };
  if (cmd.blanksasnull && isBlank(text)) return { value: null };
  let s = text;
  // A JSON escape can make a lone surrogate, which no UTF-8 can hold.
  if (!s.isWellFormed()) {
    if (cmd.acceptinvchars === undefined) return reject(1220, 'String contains invalid or unsupported UTF8 codepoints');
    // Iterating a string yields a lone surrogate on its own; it is replaced by as many characters as its
    // (three-byte) encoding would have.
    let out = '';
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      out += ch.length === 1 && code >= 0xd800 && code <= 0xdfff ? cmd.acceptinvchars.repeat(3) : ch;
    }
    s = out;
  }
  if (s.includes('\0')) return reject(1218, 'Invalid null byte - field longer than 1 byte');
  if (col.dataType === 'character' && /[^\x00-\x7f]/.test(s)) return reject(1220, 'Multibyte character not supported for CHAR (Hint: try using VARCHAR)');
  // Redshift's lengths are bytes; TEXT and VARCHAR without a length are VARCHAR(256), CHAR is CHAR(1).
  const max = col.maxLength ?? (col.dataType === 'character' ? 1 : 256);
  if (max !== null && Buffer.byteLength(s, 'utf8') > max) {
    if (!cmd.truncatecolumns) return reject(1204, 'String length exceeds DDL length');
    let bytes = 0;
    let cut = '';
    for (const ch of s) {
      const n = Buffer.byteLength(ch, 'utf8');
      if (bytes + n > max) break;
      bytes += n;
      cut += ch;
    }
    s = cut;
  }
  return { value: s };
}

const INTEGER_TYPES: Record<string, { name: string; min: bigint; max: bigint }> = {
  smallint: { name: 'Short', min: -32768n, max: 32767n },
  integer: { name: 'Integer', min: -2147483648n, max: 2147483647n },
  bigint: { name: 'Long', min: -9223372036854775808n, max: 9223372036854775807n },
};

function convertInteger(v: unknown, text: string, type: string): Converted {
  const { name, min, max } = INTEGER_TYPES[type]!;
  let n: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else {
    const s = typeof v === 'string' ? v.trim() : text;
    const bad = /^[+-]?\d+$/.test(s) ? -1 : [...s].findIndex((ch, k) => !(/\d/.test(ch) || (k === 0 && /[+-]/.test(ch) && s.length > 1)));
    if (bad >= 0) return reject(1207, `Invalid digit, Value '${[...s][bad]}', Pos ${bad}, Type: ${name}`, bad);
    n = BigInt(s);
  }
  if (n < min || n > max) return reject(1216, `Overflow (${name} valid range ${min} to ${max})`);
  return { value: n.toString() };
}

function convertFloat(v: unknown, text: string, type: string): Converted {
  const name = type === 'real' ? 'Float' : 'Double';
  const s = typeof v === 'string' ? v.trim() : text;
  if (typeof v === 'boolean' || typeof v === 'object') return reject(1207, `Invalid digit, Value '${s[0]}', Pos 0, Type: ${name}`);
  if (typeof v === 'number' && !Number.isFinite(v)) return reject(1216, `Overflow, Value '${s}', Type: ${name}`);
  if (typeof v === 'string' && /^(nan|[+-]?inf(inity)?)$/i.test(s)) return { value: s };
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const bad = Math.max(0, [...s].findIndex((ch) => !/[\d.eE+-]/.test(ch)));
    return reject(1207, `Invalid digit, Value '${[...s][bad]}', Pos ${bad}, Type: ${name}`, bad);
  }
  const n = type === 'real' ? Math.fround(Number(s)) : Number(s);
  // Too large, or so small it would be zero: out of the type's range.
  if (!Number.isFinite(n) || (n === 0 && /[1-9]/.test(s.replace(/[eE].*$/, '')))) return reject(1216, `Overflow, Value '${s}', Type: ${name}`);
  return { value: s };
}

/** A decimal number's digits, exactly: sign, integer digits, fraction digits (exponent applied). */
function decimalDigits(s: string): { sign: string; int: string; frac: string } | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  let int = m[2]!;
  let frac = m[3] ?? '';
  let exp = Number(m[4] ?? 0);
  if (Math.abs(exp) > 1000) return undefined;
  while (exp > 0) {
    int += frac[0] ?? '0';
    frac = frac.slice(1);
    exp--;
  }
  while (exp < 0) {
    frac = (int.slice(-1) || '0') + frac;
    int = int.slice(0, -1);
    exp++;
  }
  return { sign: m[1] === '-' ? '-' : '', int: int.replace(/^0+(?=\d)/, '') || '0', frac };
}

function convertNumeric(v: unknown, text: string, col: Column): Converted {
  // A JSON number is read through a double ("Loss of numeric precision" in the JSON notes).
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : text;
  const d = decimalDigits(s);
  if (!d) {
    const bad = Math.max(0, [...s].findIndex((ch) => !/[\d.+-]/.test(ch)));
    return reject(1207, `Invalid digit, Value '${[...s][bad]}', Pos ${bad}, Type: Decimal`, bad);
  }
  // Redshift's NUMERIC without precision is NUMERIC(18,0); COPY truncates digits past the scale (no ROUNDEC).
  const precision = col.precision ?? 18;
  const scale = col.scale ?? 0;
  const frac = d.frac.slice(0, scale);
  if (d.int !== '0' && d.int.length > precision - scale) return reject(1216, `Numeric data overflow (result precision), Value '${s}'`);
  return { value: `${d.sign}${d.int}${frac ? `.${frac}` : ''}` };
}

function convertBoolean(v: unknown, text: string): Converted {
  if (typeof v === 'boolean') return { value: v ? 't' : 'f' };
  if (v === 1 || v === 0) return { value: v === 1 ? 't' : 'f' };
  const s = text.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', '1'].includes(s)) return { value: 't' };
  if (['f', 'false', 'n', 'no', '0'].includes(s)) return { value: 'f' };
  return reject(1210, `Invalid Boolean value, Value '${text}'`);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Microseconds since the epoch as `YYYY-MM-DD HH:MI:SS[.ffffff]` (UTC), or undefined past JavaScript's dates. */
function utcText(micros: number): string | undefined {
  const ms = Math.floor(micros / 1000);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1) return undefined;
  const us = micros - ms * 1000;
  const frac = d.getUTCMilliseconds() * 1000 + us;
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${date} ${time}${frac ? `.${String(frac).padStart(6, '0').replace(/0+$/, '')}` : ''}`;
}

/** y-m-d h:mi:s (UTC) in epoch milliseconds, or undefined when it names no real moment (2018-02-30, 24:00). */
function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number | undefined {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  const real = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
  return real ? t.getTime() : undefined;
}

function convertTimestamp(v: unknown, text: string, timeformat: string | undefined, withZone: boolean): Converted {
  const zone = withZone ? '+00' : '';
  const format = timeformat ?? 'YYYY-MM-DD HH:MI:SS';
  if (format === 'epochmillisecs' || format === 'epochsecs') {
    // The number of seconds or milliseconds since 1970-01-01 00:00:00 UTC.
    const s = typeof v === 'string' ? v.trim() : text;
    if (typeof v === 'boolean' || typeof v === 'object' || !/^-?\d+(\.\d+)?$/.test(s)) return reject(1206, `Invalid timestamp format or value [${format}]`);
    const micros = Math.round(Number(s) * (format === 'epochsecs' ? 1_000_000 : 1000));
    const out = utcText(micros);
    return out === undefined ? reject(1206, `Timestamp out of range [${format}], Value '${s}'`) : { value: out + zone };
  }
  if (typeof v !== 'string') return reject(1206, `Invalid timestamp format or value [${format}]`);
  const s = v.trim();
  // The default format, YYYY-MM-DD HH:MI:SS (with fractional seconds; TIMESTAMPTZ with an offset); 'auto' also
  // takes ISO 8601 (2019-02-11T05:09:12.195Z) and a date alone (time 00:00:00). Not recognised here: the
  // other forms 'auto' knows (Julian days, month names, BC).
  const strict = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?(?:([+-])(\d\d)(?::?(\d\d))?)?$/;
  const auto = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(\.\d{1,6})?)?)?(?:(Z)|([+-])(\d\d)(?::?(\d\d))?)?$/;
  let m: RegExpExecArray | null;
  let f: { y: string; mo: string; d: string; h?: string; mi?: string; sec?: string; frac?: string; utc?: boolean; sign?: string; oh?: string; om?: string } | undefined;
  if (format === 'auto' && (m = auto.exec(s))) f = { y: m[1]!, mo: m[2]!, d: m[3]!, h: m[4], mi: m[5], sec: m[6], frac: m[7], utc: m[8] === 'Z', sign: m[9], oh: m[10], om: m[11] };
  else if (format === 'YYYY-MM-DD HH:MI:SS' && (m = strict.exec(s))) f = { y: m[1]!, mo: m[2]!, d: m[3]!, h: m[4], mi: m[5], sec: m[6], frac: m[7], sign: m[8], oh: m[9], om: m[10] };
  else if (format !== 'auto' && format !== 'YYYY-MM-DD HH:MI:SS') throw new CopyError(`the stand-in does not implement TIMEFORMAT '${format}'`);
  const ms = f && utcMillis(+f.y, +f.mo, +f.d, +(f.h ?? 0), +(f.mi ?? 0), +(f.sec ?? 0));
  if (!f || ms === undefined || +(f.oh ?? 0) > 15 || +(f.om ?? 0) > 59) {
    return reject(1206, `Invalid timestamp format or value [${format === 'auto' ? 'auto' : 'YYYY-MM-DD HH24:MI:SS'}]`);
  }
  let micros = ms * 1000 + Math.round(Number(`0${f.frac ?? ''}`) * 1e6);
  // An offset moves the time to UTC (what Redshift stores).
  if (f.sign) micros -= (f.sign === '-' ? -1 : 1) * (+f.oh! * 60 + +(f.om ?? 0)) * 60_000_000;
  const out = utcText(micros);
  return out === undefined ? reject(1206, 'Timestamp out of range') : { value: out + zone };
}

function convertDate(text: string): Converted {
  // The default DATEFORMAT, YYYY-MM-DD.
  const s = text.trim();
  if (s.length < 10) return reject(1205, 'Invalid Date Format - length must be 10 or more');
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return reject(1205, 'Invalid date format - Invalid digit encountered');
  if (utcMillis(+m[1]!, +m[2]!, +m[3]!) === undefined) return reject(1205, `Date out of range, Value '${s}'`);
  return { value: s };
}

/** A CSV field for COPY ... (FORMAT csv): NULL unquoted and empty, every value quoted. */
const csvField = (v: string | null): string => (v === null ? '' : `"${v.replace(/"/g, '""')}"`);

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

/** One rejected row, as stl_load_errors records it. */
interface LoadError extends Reject {
  file: string;
  line: number;
  /** The column, or undefined when the record itself is bad (not JSON, invalid UTF-8). */
  column?: Column;
  rawLine: string;
  rawField: string;
}

async function logErrors(ctx: CopyContext, tableOid: number, errors: LoadError[]): Promise<void> {
  const clip = (s: string, n: number): string => [...s].slice(0, n).join('');
  for (const e of errors) {
    const colname = clip(e.column?.name ?? '', 127);
    const type = e.column ? redshiftType(e.column) : '';
    const length = e.column?.maxLength != null ? String(e.column.maxLength) : e.column?.precision != null ? `${e.column.precision},${e.column.scale ?? 0}` : '0';
    await ctx.pool.query(
      `insert into public.stl_load_errors (userid, slice, tbl, starttime, session, query, filename, line_number, colname, type, col_length,
         position, raw_line, raw_field_value, err_code, err_reason, is_partial, start_offset)
       values (100, 0, $1, now() at time zone 'UTC', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, 0)`,
      [tableOid, ctx.sessionPid, ctx.queryId, clip(e.file, 256), e.line, colname, type, length, e.position, clip(e.rawLine, 1024), clip(e.rawField, 1024), e.code, clip(e.reason, 100)],
    );
    await ctx.pool.query(
      `insert into public.sys_load_error_detail (user_id, query_id, transaction_id, session_id, database_name, table_id, start_time, file_name,
         line_number, column_name, column_type, column_length, position, error_code, error_message)
       values (100, $1, 0, $2, current_database(), $3, now() at time zone 'UTC', $4, $5, $6, $7, $8, $9, $10, $11)`,
      [ctx.queryId, ctx.sessionPid, tableOid, clip(e.file, 256), e.line, colname, type, length, e.position, e.code, clip(e.reason, 512)],
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
  if (cmd.timeformat !== undefined && !['auto', 'epochsecs', 'epochmillisecs', 'YYYY-MM-DD HH:MI:SS'].includes(cmd.timeformat)) {
    throw new CopyError(`the stand-in does not implement TIMEFORMAT '${cmd.timeformat}'`);
  }

  if ((ctx.client as pg.Client).getTransactionStatus?.() === 'E') throw new CopyError('current transaction is aborted, commands ignored until end of transaction block');

  // The table and its columns, as this session sees them (inside its transaction).
  const info = await ctx.client.query(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)`,
    [cmd.table],
  );
  const rel = info.rows[0] as { oid: number; schema: string; name: string } | undefined;
  if (!rel) throw new CopyError(`relation "${cmd.table.replace(/"/g, '')}" does not exist`);
  const all: Column[] = (
    await ctx.client.query(
      `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
       from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
      [rel.schema, rel.name],
    )
  ).rows.map((r: { column_name: string; data_type: string; character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null }) => ({
    name: r.column_name,
    dataType: r.data_type,
    maxLength: r.character_maximum_length,
    precision: r.data_type === 'numeric' ? r.numeric_precision : null,
    scale: r.data_type === 'numeric' ? r.numeric_scale : null,
  }));
  const columns = cmd.columns
    ? cmd.columns.map((n) => {
        const c = all.find((x) => x.name === n);
        if (!c) throw new CopyError(`column "${n}" of relation "${rel.name}" does not exist`);
        return c;
      })
    : all;

  const s3 = new Bucket(ctx.s3);
  try {
    // The files: every key under the prefix, or a manifest's entries (each loaded as often as it is listed).
    const files = cmd.manifest ? await manifestFiles(s3, cmd.from) : await s3.list(cmd.from);
    if (files.length === 0) throw new CopyError(`The specified S3 prefix '${s3Url(cmd.from).key}' does not exist`);
    record.keys = files.map((f) => f.url);

    let locators: Locator[] | 'auto';
    if (/^auto( ignorecase)?$/.test(cmd.format)) locators = autoLocators(columns.map((c) => c.name), cmd.format === 'auto ignorecase');
    else if (cmd.format.startsWith('s3://')) {
      locators = jsonPaths((await s3.get(cmd.format)).toString('utf8'), columns.map((c) => c.name));
      if (locators === 'auto') locators = autoLocators(columns.map((c) => c.name), false);
    } else throw new CopyError(`Invalid JSON option '${cmd.format}': use 'auto', 'auto ignorecase' or the s3:// URL of a JSONPaths file`);

    // Every file read and converted before anything is written: Redshift decides after reading.
    const rows: string[] = [];
    const errors: LoadError[] = [];
    for (const file of files) {
      let data = await s3.get(file.url);
      if (cmd.gzip) {
        try {
          data = gunzipSync(data);
        } catch (err) {
          throw new CopyError(`gzip: ${file.url}: ${(err as Error).message}`);
        }
      }
      // A UTF-8 byte-order mark at the start of a file is not data.
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      for (const rec of records(data, cmd.ignoreheader ?? 0)) {
        const bad = (e: Omit<LoadError, 'file' | 'line' | 'rawLine'>): void => {
          errors.push({ file: file.url, line: rec.line, rawLine: rec.bytes.toString('utf8').split('\n')[0]!, ...e });
        };
        if (rec.bytes.length > MAX_RECORD_BYTES) {
          bad({ code: 1224, reason: 'The JSON object exceeds the 4 MB size limit', position: 0, rawField: '' });
          continue;
        }
        const text = decode(rec.bytes, cmd.acceptinvchars);
        if ('invalidAt' in text) {
          bad({ code: 1220, reason: `String contains invalid or unsupported UTF8 codepoints. Bad UTF8 hex sequence: ${rec.bytes.subarray(text.invalidAt, text.invalidAt + 4).toString('hex').replace(/(..)(?!$)/g, '$1 ')}`, position: text.invalidAt, rawField: '' });
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(text.text);
        } catch (err) {
          bad({ code: 1224, reason: `Invalid JSON: ${(err as Error).message}`, position: 0, rawField: '' });
          continue;
        }
        if (value === null || typeof value !== 'object') {
          bad({ code: 1224, reason: 'Invalid JSON: a record must be an object or an array', position: 0, rawField: '' });
          continue;
        }
        const fields: string[] = [];
        let rejected = false;
        for (let k = 0; k < columns.length; k++) {
          const raw = locators[k]!(value);
          const out = convert(raw, columns[k]!, cmd);
          if ('reject' in out) {
            bad({ ...out.reject, column: columns[k]!, rawField: fieldText(raw) });
            rejected = true;
            break;
          }
          fields.push(csvField(out.value));
        }
        if (!rejected) rows.push(fields.join(',') + '\n');
        // Past MAXERROR the load stops at this error (one slice: nothing runs on in parallel).
        if (errors.length > cmd.maxerror) break;
      }
      if (errors.length > cmd.maxerror) break;
    }
    record.rejected = errors.length;
    await logErrors(ctx, rel.oid, errors);
    if (errors.length > cmd.maxerror) throw new CopyError(`Load into table '${rel.name}' failed.  Check 'stl_load_errors' system table for details.`);

    const own = (ctx.client as pg.Client).getTransactionStatus?.() !== 'T';
    if (own) await ctx.client.query('begin');
    try {
      record.rows = await copyIn(ctx.client, `"${rel.schema.replace(/"/g, '""')}"."${rel.name.replace(/"/g, '""')}"`, columns.map((c) => c.name), rows);
    } catch (err) {
      await abort(ctx.client, own);
      throw new CopyError((err as Error).message);
    }
    if (own) await ctx.client.query('commit');
    return record;
  } catch (err) {
    // A failed COPY aborts the caller's transaction, as on Redshift.
    if (err instanceof CopyError && (ctx.client as pg.Client).getTransactionStatus?.() === 'T') await abort(ctx.client, false);
    throw err;
  } finally {
    s3.close();
  }
}

/** Undo a failed COPY: roll back our own transaction, or leave the caller's aborted, as Redshift does. */
async function abort(client: pg.ClientBase, own: boolean): Promise<void> {
  if (own) await client.query('rollback').catch(() => undefined);
  else await client.query(`do $$ begin raise exception 'COPY failed'; end $$`).catch(() => undefined);
}

async function copyIn(client: pg.ClientBase, table: string, columns: string[], rows: string[]): Promise<number> {
  const sql = `copy ${table} (${columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ')}) from stdin with (format csv)`;
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  for (let i = 0; i < rows.length; i += 1000) {
    if (!stream.write(rows.slice(i, i + 1000).join(''))) await Promise.race([once(stream, 'drain'), done]);
  }
  stream.end();
  await done;
  return stream.rowCount;
}

export function isCopyError(err: unknown): boolean {
  return err instanceof CopyError;
}
