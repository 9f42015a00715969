import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { SparkifyError } from '../errors.js';
import { toBool } from '../project/config.js';
import { loadJson } from '../load/copy.js';
import { escapeCopy, type ColumnType } from '../load/convert.js';
import { fileSourceFor } from '../load/files.js';
import type { Relation, Session, TableOptions, Warehouse } from '../warehouse/types.js';
import { buildAndSwap, relationKind, tempRelation } from './swap.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

export type { MaterializeContext, MaterializeResult } from './types.js';

type Materializer = (ctx: MaterializeContext) => Promise<MaterializeResult>;

const materializers: Record<string, Materializer> = { view, table, incremental, copy, seed };

export function materialize(ctx: MaterializeContext): Promise<MaterializeResult> {
  const m = materializers[ctx.node.config.materialized];
  if (!m) throw new SparkifyError(`materialization '${ctx.node.config.materialized}' cannot be built`, { exitCode: 2 });
  return m(ctx);
}

function relationOf(ctx: MaterializeContext): Relation {
  return ctx.node.relation!;
}

function tableOptions(ctx: MaterializeContext): TableOptions {
  const c = ctx.node.config;
  return {
    ...(typeof c.dist === 'string' ? { dist: c.dist } : {}),
    ...(Array.isArray(c.sort) ? { sort: c.sort } : {}),
    ...(c.sort_type ? { sortType: c.sort_type } : {}),
  };
}

async function ensureSchema(wh: Warehouse, schema: string): Promise<void> {
  if (schema !== wh.schema) await wh.driver.exec(wh.dialect.createSchema(schema));
}

async function view(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  await ensureSchema(wh, relationOf(ctx).schema);
  await buildAndSwap(wh, relationOf(ctx), async (tx, tmp) => {
    await tx.exec(wh.dialect.createView(tmp, ctx.sql));
  });
  return { code: 'CREATE VIEW' };
}

async function table(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  await ensureSchema(wh, relationOf(ctx).schema);
  const rows = await buildAndSwap(wh, relationOf(ctx), async (tx, tmp) => {
    const r = await tx.exec(wh.dialect.createTableAs(tmp, ctx.sql, tableOptions(ctx)));
    return r.rowCount ?? Number((await tx.query(`select count(*) as n from ${wh.dialect.relation(tmp)}`)).rows[0]?.n ?? 0);
  });
  return { code: `SELECT ${rows ?? 0}`, ...(rows === undefined ? {} : { rowsAffected: rows }) };
}

async function incremental(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const target = relationOf(ctx);
  const existing = await relationKind(wh.driver, wh, target);
  if (!existing || ctx.fullRefresh || existing === 'view') return table(ctx);
  const sql = ctx.renderIncremental();
  const keys = ctx.node.config.unique_key === undefined ? [] : Array.isArray(ctx.node.config.unique_key) ? ctx.node.config.unique_key.map(String) : [String(ctx.node.config.unique_key)];
  const rows = await wh.driver.transaction(async (tx) => {
    const tmp = tempRelation(target, 'sparkify_new');
    const leftover = await relationKind(tx, wh, tmp);
    if (leftover) await tx.exec(wh.dialect.drop(tmp, leftover));
    await tx.exec(wh.dialect.createTableAs(tmp, sql, {}));
    if (keys.length) {
      const t = wh.dialect.relation(target);
      const match = keys.map((k) => `${t}.${wh.dialect.quote(k)} = n.${wh.dialect.quote(k)}`).join(' and ');
      await tx.exec(`delete from ${t} using ${wh.dialect.relation(tmp)} as n where ${match}`);
    }
    const cols = (await tx.query(wh.dialect.listColumns(), [tmp.schema, tmp.identifier])).rows.map((r) => wh.dialect.quote(String(r.column_name)));
    const r = await tx.exec(`insert into ${wh.dialect.relation(target)} (${cols.join(', ')}) select ${cols.join(', ')} from ${wh.dialect.relation(tmp)}`);
    await tx.exec(wh.dialect.drop(tmp, 'table'));
    return r.rowCount ?? 0;
  });
  return { code: `INSERT ${rows}`, rowsAffected: rows };
}

/** Resolve a path from model config against the data root (absolute paths and s3:// URLs stay as they are). */
function dataLocation(ctx: MaterializeContext, p: string): string {
  if (p.startsWith('s3://') || path.isAbsolute(p)) return p;
  if (ctx.dataPath.startsWith('s3://')) return `${ctx.dataPath.replace(/\/+$/, '')}/${p}`;
  return path.resolve(ctx.dataPath, p);
}

async function copy(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const c = ctx.node.config;
  const where = { file: ctx.node.original_file_path, line: 1, column: 0 };
  if (typeof c.from !== 'string' || !c.from) {
    throw new SparkifyError(`copy model ${ctx.node.name} has no 'from' (where its files are)`, {
      location: where,
      hint: 'Add {{config materialized="copy" from="log_data"}}; the path is relative to the data_path var.',
    });
  }
  const location = dataLocation(ctx, c.from);
  const source = await fileSourceFor(location);
  const files = await source.list(location);
  const formatText = String(c.format ?? 'auto').trim();
  const format =
    /^auto( ignorecase)?$/i.test(formatText)
      ? { kind: 'auto' as const, ignoreCase: /ignorecase/i.test(formatText) }
      : { kind: 'jsonpaths' as const, file: formatText, text: await (await fileSourceFor(dataLocation(ctx, formatText))).readText(dataLocation(ctx, formatText)) };
  const maxerror = Number(c.maxerror ?? 0);
  if (!Number.isInteger(maxerror) || maxerror < 0) throw new SparkifyError(`maxerror must be a whole number ≥ 0, not '${String(c.maxerror)}'`, { location: where });

  await ensureSchema(wh, relationOf(ctx).schema);
  if (files.length === 0) {
    const exists = await relationKind(wh.driver, wh, relationOf(ctx));
    if (!exists) await wh.driver.exec(wh.dialect.createTable(relationOf(ctx), ctx.sql, tableOptions(ctx)));
    return { code: `COPY 0 (no files under ${c.from}: table unchanged)`, rowsAffected: 0, files: 0, bytes: 0 };
  }
  const result = await buildAndSwap(wh, relationOf(ctx), async (tx, tmp) => {
    await tx.exec(wh.dialect.createTable(tmp, ctx.sql, tableOptions(ctx)));
    const columns = await columnTypes(tx, wh, tmp);
    return loadJson(tx, {
      relation: tmp,
      columns,
      files,
      source,
      format,
      options: {
        timeformat: String(c.timeformat ?? 'auto'),
        blanksasnull: toBool(c.blanksasnull ?? false),
        emptyasnull: toBool(c.emptyasnull ?? false),
        truncatecolumns: toBool(c.truncatecolumns ?? false),
        ...(c.acceptinvchars !== undefined ? { acceptinvchars: c.acceptinvchars === true ? '?' : String(c.acceptinvchars) } : {}),
        maxerror,
      },
    });
  });
  return { code: `COPY ${result.rows}`, rowsAffected: result.rows, rejected: result.rejected, files: result.files, bytes: result.bytes };
}

async function columnTypes(session: Session, wh: Warehouse, r: Relation): Promise<ColumnType[]> {
  const res = await session.query(wh.dialect.listColumns(), [r.schema, r.identifier]);
  return res.rows.map((row) => ({
    name: String(row.column_name),
    dataType: String(row.data_type),
    maxLength: row.character_maximum_length == null ? null : Number(row.character_maximum_length),
  }));
}

/** A seed: a CSV file in seeds/ becomes a table; types are inferred unless column_types says. */
async function seed(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const node = ctx.node;
  let records: string[][];
  try {
    records = parseCsv(node.raw_code, { skip_empty_lines: true, delimiter: String(node.config.delimiter ?? ',') }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new SparkifyError(`invalid CSV: ${e.message}`, { location: { file: node.original_file_path, line: e.lines ?? 1, column: 0 } });
  }
  const [header, ...rows] = records;
  if (!header || header.length === 0) throw new SparkifyError('a seed needs a header row', { location: { file: node.original_file_path, line: 1, column: 0 } });
  const declared = (node.config.column_types ?? {}) as Record<string, string>;
  const types = header.map((h, i) => declared[h] ?? inferType(rows.map((r) => r[i] ?? '')));
  const ddl = header.map((h, i) => `  ${wh.dialect.quote(h)} ${types[i]}`).join(',\n');
  await ensureSchema(wh, relationOf(ctx).schema);
  const n = await buildAndSwap(wh, relationOf(ctx), async (tx, tmp) => {
    await tx.exec(wh.dialect.createTable(tmp, ddl, {}));
    const text = rows.map((r) => header.map((_, i) => (r[i] === undefined || r[i] === '' ? '\\N' : escapeCopy(r[i]!))).join('\t') + '\n').join('');
    return tx.copyIn(tmp, header, (async function* () { yield text; })());
  });
  return { code: `INSERT ${n}`, rowsAffected: n };
}

function inferType(values: string[]): string {
  const present = values.filter((v) => v !== '');
  if (present.length === 0) return 'text';
  if (present.every((v) => /^-?\d{1,9}$/.test(v))) return 'integer';
  if (present.every((v) => /^-?\d+$/.test(v))) return 'bigint';
  if (present.every((v) => /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v))) return 'double precision';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v))) return 'timestamp';
  return 'text';
}
