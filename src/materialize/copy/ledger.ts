import { createHash } from 'node:crypto';
import type { Relation, Session, Warehouse } from '../../warehouse/types.js';
import type { FileRef } from '../../load/sources/index.js';
import type { RejectedRow } from '../../core/copy.js';

// What each staging (copy) model has loaded, kept in the warehouse beside the staging table and written in
// the same transaction as the rows: a later run loads only the files not listed here, and a crash at any
// point leaves the table and its ledger in agreement. Rejected rows go to sparkify_load_errors, Redshift's
// stl_load_errors by another name, in that same transaction.

export const LEDGER_TABLE = 'sparkify_loaded_files';
export const ERRORS_TABLE = 'sparkify_load_errors';

const LEDGER_DDL = `  model      varchar(256)  not null,
  url        varchar(2048) not null,
  size       bigint        not null,
  version    varchar(256)  not null,
  source     varchar(2048) not null,
  definition varchar(64)   not null,
  loaded_at  timestamp     not null`;

const ERRORS_DDL = `  model           varchar(256)   not null,
  filename        varchar(2048)  not null,
  line_number     bigint         not null,
  colname         varchar(256)   not null,
  raw_field_value varchar(1024)  not null,
  err_reason      varchar(4096)  not null,
  loaded_at       timestamp      not null`;

/** One file as the ledger remembers it. */
export interface LedgerEntry {
  url: string;
  size: number;
  version: string;
  /** Where the model's files came from when this one was loaded: a prefix, or `manifest <url>`. */
  source: string;
  /** Checksum of the load options that shape every row (format, jsonpaths, timeformat, ...). */
  definition: string;
  loadedAt: string;
}

/** A file's version: its ETag where the store gives one (S3), else its modification time. */
export function fileVersion(f: FileRef): string {
  return f.etag ? `etag:${f.etag}` : `mtime:${new Date(f.mtimeMs).toISOString()}`;
}

export function checksum(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export function ledgerRelation(schema: string): Relation {
  return { schema, identifier: LEDGER_TABLE };
}

export function errorsRelation(schema: string): Relation {
  return { schema, identifier: ERRORS_TABLE };
}

/**
 * Create the ledger and the load-errors table in `schema` if they are missing. Outside any load transaction
 * and safe when two models (threads) race to create them.
 */
export async function ensureLedgerTables(wh: Warehouse, schema: string): Promise<void> {
  for (const [rel, ddl] of [
    [ledgerRelation(schema), LEDGER_DDL],
    [errorsRelation(schema), ERRORS_DDL],
  ] as const) {
    if (await exists(wh, wh.driver, rel)) continue;
    try {
      await wh.driver.exec(wh.dialect.createTable(rel, ddl, {}));
    } catch (err) {
      // Another thread created it between our look and our create.
      if (!(await exists(wh, wh.driver, rel))) throw err;
    }
  }
}

async function exists(wh: Warehouse, session: Session, r: Relation): Promise<boolean> {
  const res = await session.query(`${wh.dialect.listRelations()} and table_name = $2`, [r.schema, r.identifier]);
  return res.rows.length > 0;
}

/** The files a model has loaded, as of this session. */
export async function readLedger(session: Session, wh: Warehouse, schema: string, model: string): Promise<LedgerEntry[]> {
  const q = (c: string): string => wh.dialect.quote(c);
  const res = await session.query(
    `select ${['url', 'size', 'version', 'source', 'definition', 'loaded_at'].map(q).join(', ')} from ${wh.dialect.relation(ledgerRelation(schema))} where ${q('model')} = $1 order by ${q('url')}`,
    [model],
  );
  return res.rows.map((r) => ({
    url: String(r.url),
    size: Number(r.size),
    version: String(r.version),
    source: String(r.source),
    definition: String(r.definition),
    loadedAt: r.loaded_at instanceof Date ? r.loaded_at.toISOString() : String(r.loaded_at),
  }));
}

export interface FilePlan {
  /** Listed and not in the ledger: to load. */
  fresh: FileRef[];
  /** Listed and in the ledger with the same size and version: skipped. */
  loaded: FileRef[];
  /** Listed and in the ledger, but their size or version differs from what was loaded. */
  changed: { file: FileRef; was: LedgerEntry }[];
  /** In the ledger but no longer listed (their rows stay in the table). */
  gone: LedgerEntry[];
}

export function planFiles(files: FileRef[], ledger: LedgerEntry[]): FilePlan {
  const byUrl = new Map(ledger.map((e) => [e.url, e]));
  const plan: FilePlan = { fresh: [], loaded: [], changed: [], gone: [] };
  const listed = new Set<string>();
  for (const f of files) {
    listed.add(f.url);
    const was = byUrl.get(f.url);
    if (!was) plan.fresh.push(f);
    else if (was.size !== f.size || was.version !== fileVersion(f)) plan.changed.push({ file: f, was });
    else plan.loaded.push(f);
  }
  plan.gone = ledger.filter((e) => !listed.has(e.url));
  return plan;
}

/** Rows a few hundred at a time, so a statement's parameters stay well under the protocol's limit. */
const BATCH = 500;

async function insertRows(session: Session, wh: Warehouse, rel: Relation, columns: string[], rows: unknown[][]): Promise<void> {
  const head = `insert into ${wh.dialect.relation(rel)} (${columns.map((c) => wh.dialect.quote(c)).join(', ')}) values `;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    await session.query(head + tuples.join(', '), params);
  }
}

/**
 * Record loaded files in the ledger, inside the load's transaction. With `replace`, the model's previous
 * entries go first (a full refresh rebuilt the table from exactly these files).
 */
export async function recordFiles(
  session: Session,
  wh: Warehouse,
  schema: string,
  model: string,
  files: FileRef[],
  opts: { source: string; definition: string; loadedAt: string; replace: boolean },
): Promise<void> {
  const rel = ledgerRelation(schema);
  if (opts.replace) await session.query(`delete from ${wh.dialect.relation(rel)} where ${wh.dialect.quote('model')} = $1`, [model]);
  await insertRows(
    session,
    wh,
    rel,
    ['model', 'url', 'size', 'version', 'source', 'definition', 'loaded_at'],
    files.map((f) => [model, f.url, f.size, fileVersion(f), opts.source, opts.definition, opts.loadedAt]),
  );
}

/** Record rejected rows (the rows of Redshift's stl_load_errors), inside the load's transaction. */
export async function recordErrors(session: Session, wh: Warehouse, schema: string, model: string, errors: RejectedRow[], loadedAt: string): Promise<void> {
  if (errors.length === 0) return;
  await insertRows(
    session,
    wh,
    errorsRelation(schema),
    ['model', 'filename', 'line_number', 'colname', 'raw_field_value', 'err_reason', 'loaded_at'],
    errors.map((e) => [model, clip(e.file, 2048), e.line, clip(e.column, 256), clip(e.raw, 1024), clip(e.reason, 4096), loadedAt]),
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}
