import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { errorMessage, SparkifyError } from '../core/errors.js';
import { loadJson, type LoadResult } from '../load/copy.js';
import { escapeCopy, type ColumnType } from '../load/convert.js';
import { fileSourceFor, type FileRef, type FileSource } from '../load/files.js';
import { ERRORS_TABLE, checksum, ensureLedgerTables, fileVersion, planFiles, readLedger, recordErrors, recordFiles, type LedgerEntry } from '../load/ledger.js';
import { resolveManifest } from '../load/manifest.js';
import type { Relation, Session, TableOptions, Warehouse } from '../warehouse/types.js';
import { loadNative, requireS3, type CopyOrigin } from './native-copy.js';
import { buildAndSwap, relationKind, tempRelation } from './swap.js';
import type { MaterializeContext, MaterializeResult } from './types.js';
import type { SourceLocation } from '../core/location.js';

export type { MaterializeContext, MaterializeResult } from './types.js';

type Materializer = (ctx: MaterializeContext) => Promise<MaterializeResult>;

/** Compile typed every flag (NodeConfig): unset means off. */
const toBool = (v: boolean | undefined): boolean => v === true;

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

/** The files a copy model reads, grouped by the source that reads them, and what identifies where they came from. */
interface CopyFiles {
  groups: { source: FileSource; files: FileRef[] }[];
  files: FileRef[];
  /** Stored in the ledger: a load from another place is another data set. */
  sourceId: string;
  /** The prefix or the manifest, as a warehouse that reads S3 itself is told. */
  origin: CopyOrigin;
  /** For messages: the `from` or `manifest` config. */
  label: string;
}

async function copyFiles(ctx: MaterializeContext, warnings: string[]): Promise<CopyFiles> {
  const c = ctx.node.config;
  const where = { file: ctx.node.original_file_path, line: 1, column: 0 };
  const from = typeof c.from === 'string' && c.from ? c.from : undefined;
  const manifest = typeof c.manifest === 'string' && c.manifest ? c.manifest : undefined;
  if (!from && !manifest) {
    throw new SparkifyError(`copy model ${ctx.node.name} has no 'from' (where its files are)`, {
      location: where,
      hint: 'Add {{config materialized="copy" from="log_data"}} (a prefix) or manifest="manifests/x.manifest"; paths are relative to the data_path var.',
    });
  }
  if (from && manifest) {
    throw new SparkifyError(`copy model ${ctx.node.name} sets both 'from' and 'manifest'`, {
      location: where,
      hint: 'A load reads every file under a prefix (from) or exactly the files a manifest lists (manifest): keep one.',
    });
  }
  if (manifest) {
    const location = dataLocation(ctx, manifest);
    const m = await resolveManifest(location, ctx.dataPath, manifest);
    for (const s of m.skipped) warnings.push(`${ctx.node.name}: manifest ${manifest}: entry '${s}' does not exist and is not mandatory: skipped`);
    for (const d of m.duplicates) warnings.push(`${ctx.node.name}: manifest ${manifest}: entry '${d}' is listed more than once: loaded once`);
    return { groups: m.groups, files: m.files, sourceId: `manifest ${location}`, origin: { kind: 'manifest', url: location }, label: `manifest ${manifest}` };
  }
  const location = dataLocation(ctx, from!);
  // A warehouse that loads files itself reads only S3: say so before looking for local files.
  if (ctx.warehouse.driver.copyFromS3) requireS3(ctx.node.name, where, ctx.dataPath, [location]);
  const source = await fileSourceFor(location);
  const files = await source.list(location);
  return { groups: files.length ? [{ source, files }] : [], files, sourceId: location, origin: { kind: 'prefix', url: location }, label: from! };
}

function wholeNumber(v: unknown, key: string, where: SourceLocation): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new SparkifyError(`${key} must be a whole number ≥ 0, not '${String(v)}'`, { location: where });
  return n;
}

/** The model's JSONPaths file; a missing one is named with the model line that asks for it. */
async function readJsonPaths(ctx: MaterializeContext, name: string): Promise<string> {
  const location = dataLocation(ctx, name);
  try {
    return await (await fileSourceFor(location)).readText(location);
  } catch (err) {
    const lines = ctx.node.raw_code.split('\n');
    const line = Math.max(0, lines.findIndex((l) => /\bformat\s*=/.test(l))) + 1;
    throw new SparkifyError(`the JSONPaths file of ${ctx.node.name} cannot be read: ${errorMessage(err).split('\n')[0]}`, {
      location: { file: ctx.node.original_file_path, line, column: 0 },
      hint: `format="${name}" names a JSONPaths file relative to data_path (${ctx.dataPath}); fix the name, add the file, or use format="auto".`,
    });
  }
}

/**
 * A staging load with Redshift COPY semantics, incremental by default: the ledger (sparkify_loaded_files)
 * says which files the table holds, and a run loads only the new ones, appending them in one transaction
 * with their ledger rows and rejected rows. The first load, --full-refresh, or files from a new location
 * rebuild the table from every file under a temporary name and swap it in. Either way a failure (or a kill)
 * leaves the table and its ledger exactly as they were.
 */
async function copy(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const c = ctx.node.config;
  const target = relationOf(ctx);
  const model = target.identifier;
  const where = { file: ctx.node.original_file_path, line: 1, column: 0 };
  const warnings: string[] = [];
  const { groups, files, sourceId, origin, label } = await copyFiles(ctx, warnings);
  const formatText = String(c.format ?? 'auto').trim();
  // A warehouse with its own COPY from S3 reads the files, the manifest and the JSONPaths file itself.
  const native = wh.driver.copyFromS3 !== undefined;
  if (native) {
    requireS3(ctx.node.name, where, ctx.dataPath, [origin.url, ...files.map((f) => f.url), ...(/^auto( ignorecase)?$/i.test(formatText) ? [] : [dataLocation(ctx, formatText)])]);
  }
  const format =
    /^auto( ignorecase)?$/i.test(formatText)
      ? { kind: 'auto' as const, ignoreCase: /ignorecase/i.test(formatText) }
      : { kind: 'jsonpaths' as const, file: formatText, text: await readJsonPaths(ctx, formatText) };
  const maxerror = wholeNumber(c.maxerror ?? 0, 'maxerror', where);
  const options = {
    timeformat: String(c.timeformat ?? 'auto'),
    blanksasnull: toBool(c.blanksasnull ?? false),
    emptyasnull: toBool(c.emptyasnull ?? false),
    truncatecolumns: toBool(c.truncatecolumns ?? false),
    // acceptinvchars=true replaces with '?', as Redshift's bare ACCEPTINVCHARS does; false (or absent) is off.
    ...(c.acceptinvchars !== undefined && c.acceptinvchars !== false && c.acceptinvchars !== 'false'
      ? { acceptinvchars: c.acceptinvchars === true || c.acceptinvchars === 'true' ? '?' : String(c.acceptinvchars) }
      : {}),
    ...(c.ignoreheader !== undefined ? { ignoreheader: wholeNumber(c.ignoreheader, 'ignoreheader', where) } : {}),
  };
  // What shapes the value of every row: rows loaded under other options would not match new ones.
  const definition = checksum({
    format: format.kind === 'auto' ? `auto${format.ignoreCase ? ' ignorecase' : ''}` : jsonOrText(format.text),
    timeformat: options.timeformat.toLowerCase(),
    blanksasnull: options.blanksasnull,
    emptyasnull: options.emptyasnull,
    // Only when set, so tables loaded before the option existed keep their checksum.
    ...(options.ignoreheader ? { ignoreheader: options.ignoreheader } : {}),
  });
  // dbt's model config: full_refresh=true always rebuilds, false never does (whatever the flag says).
  const fullRefresh = c.full_refresh === undefined || c.full_refresh === null ? ctx.fullRefresh : toBool(c.full_refresh);

  await ensureSchema(wh, target.schema);
  await ensureLedgerTables(wh, target.schema);
  const existing = await relationKind(wh.driver, wh, target);
  if (files.length === 0) {
    warnings.push(`${model}: no files ${label.startsWith('manifest ') ? `to load in ${label}` : `under ${label} (${sourceId})`}: nothing loaded, table unchanged`);
    if (!existing) await wh.driver.exec(wh.dialect.createTable(target, ctx.sql, tableOptions(ctx)));
    return { code: `COPY 0 (no files under ${label}: table unchanged)`, rowsAffected: 0, files: 0, bytes: 0, warnings };
  }
  const ledger = existing === 'table' ? await readLedger(wh.driver, wh, target.schema, model) : [];
  const loadedAt = new Date().toISOString();

  const load = async (tx: Session, into: Relation, columns: ColumnType[], parts: CopyFiles['groups']): Promise<LoadResult> => {
    if (native) {
      // The warehouse reads the files (see native-copy.ts); rejected rows come back in the loader's shape.
      const r = await loadNative(tx, {
        model,
        relation: into,
        columns: columns.map((col) => col.name),
        files: parts.flatMap((g) => g.files),
        listed: files,
        origin,
        format: format.kind === 'auto' ? format : { kind: 'jsonpaths', url: dataLocation(ctx, formatText) },
        options,
        ...(c.gzip === undefined ? {} : { gzip: toBool(c.gzip) }),
        ...(typeof c.region === 'string' && c.region.trim() ? { region: c.region.trim() } : {}),
        maxerror,
      });
      await recordErrors(tx, wh, target.schema, model, r.rejected, loadedAt);
      return r;
    }
    const total: LoadResult = { files: 0, rows: 0, bytes: 0, rejected: [] };
    // One load per source (a manifest may mix local files and S3); maxerror counts across them.
    for (const g of parts) {
      const r = await loadJson(tx, {
        relation: into,
        columns,
        files: g.files,
        source: g.source,
        format,
        options: { ...options, ...(c.gzip === undefined ? {} : { gzip: toBool(c.gzip) }), maxerror: maxerror - total.rejected.length },
        ...(ctx.onLoadProgress ? { onProgress: ctx.onLoadProgress } : {}),
      });
      total.files += r.files;
      total.rows += r.rows;
      total.bytes += r.bytes;
      total.rejected.push(...r.rejected);
    }
    await recordErrors(tx, wh, target.schema, model, total.rejected, loadedAt);
    return total;
  };
  const finish = (r: LoadResult, code: string): MaterializeResult => {
    if (r.rejected.length) {
      const shown = r.rejected.slice(0, 5).map((e) => `\n  ${e.file}:${e.line}${e.column ? ` column ${e.column}` : ''}: ${e.reason}${e.raw ? ` (value: ${JSON.stringify(e.raw)})` : ''}`);
      const more = r.rejected.length > shown.length ? `\n  … and ${r.rejected.length - shown.length} more` : '';
      warnings.push(
        `${model}: ${r.rejected.length} row${r.rejected.length === 1 ? '' : 's'} rejected (maxerror ${maxerror}), recorded in ${target.schema}.${ERRORS_TABLE} and target/run_results.json:${shown.join('')}${more}`,
      );
    }
    return { code, rowsAffected: r.rows, rejected: r.rejected, files: r.files, bytes: r.bytes, warnings };
  };

  const moved = !fullRefresh && ledger.length > 0 && ledger.some((e) => e.source !== sourceId);
  if (fullRefresh || existing !== 'table' || ledger.length === 0 || moved) {
    // Build the whole table from every file, and swap it in with a ledger of exactly those files.
    if (moved) warnings.push(`${model}: its files now come from ${sourceId} (last loaded from ${ledger[0]!.source}): reloading the table from the new location`);
    const r = await buildAndSwap(wh, target, async (tx, tmp) => {
      await tx.exec(wh.dialect.createTable(tmp, ctx.sql, tableOptions(ctx)));
      const result = await load(tx, tmp, await columnTypes(tx, wh, tmp), groups);
      await recordFiles(tx, wh, target.schema, model, files, { source: sourceId, definition, loadedAt, replace: true });
      return result;
    });
    const n = `${files.length} file${files.length === 1 ? '' : 's'}`;
    const code = fullRefresh && existing ? `COPY ${r.rows} (full refresh: ${n})` : moved ? `COPY ${r.rows} (${n} from a new location: table replaced)` : `COPY ${r.rows}`;
    return finish(r, code);
  }

  // Incremental: append the new files, after checking nothing the table holds has changed under it.
  const plan = planFiles(files, ledger);
  if (plan.gone.length) {
    const names = plan.gone.slice(0, 3).map((e) => `'${e.url}'`).join(', ');
    warnings.push(`${model}: ${plan.gone.length} file${plan.gone.length === 1 ? '' : 's'} loaded earlier ${plan.gone.length === 1 ? 'is' : 'are'} no longer in ${label} (${names}${plan.gone.length > 3 ? ', …' : ''}); ${plan.gone.length === 1 ? 'its' : 'their'} rows stay in the table until --full-refresh`);
  }
  const refreshHint =
    c.full_refresh === undefined || c.full_refresh === null
      ? `A staging load appends only new files; run with --full-refresh to rebuild ${model} from all files (sparkify run --select ${ctx.node.name} --full-refresh).`
      : `A staging load appends only new files; rebuilding ${model} from all files takes --full-refresh, which its config full_refresh=false turns off: remove that setting for one run.`;
  const r = await wh.driver.transaction(async (tx) => {
    // What the model's columns would create now, against what the table has.
    const probe = tempRelation(target, 'sparkify_new');
    const leftover = await relationKind(tx, wh, probe);
    if (leftover) await tx.exec(wh.dialect.drop(probe, leftover));
    await tx.exec(wh.dialect.createTable(probe, ctx.sql, tableOptions(ctx)));
    const wanted = await columnTypes(tx, wh, probe);
    await tx.exec(wh.dialect.drop(probe, 'table'));
    const have = await columnTypes(tx, wh, target);
    const diff = columnDiff(have, wanted);
    if (diff.length) {
      throw new SparkifyError(`the columns of ${model} changed since its files were loaded (${diff.join('; ')})`, { exitCode: 1, location: where, hint: refreshHint });
    }
    if (ledger.some((e) => e.definition !== definition)) {
      throw new SparkifyError(`the load options of ${model} (format, jsonpaths, timeformat, blanksasnull, emptyasnull, ignoreheader) changed since its files were loaded`, {
        exitCode: 1,
        location: where,
        hint: refreshHint,
      });
    }
    if (plan.changed.length) {
      const lines = plan.changed.slice(0, 10).map(({ file, was }) => `\n  ${file.display}: ${describeChange(file, was)} (loaded ${was.loadedAt.replace('T', ' ').slice(0, 19)})`);
      const more = plan.changed.length > 10 ? `\n  … and ${plan.changed.length - 10} more` : '';
      throw new SparkifyError(
        `${plan.changed.length} file${plan.changed.length === 1 ? '' : 's'} of ${model} changed since ${plan.changed.length === 1 ? 'it was' : 'they were'} loaded:${lines.join('')}${more}`,
        { exitCode: 1, hint: `Nothing was loaded; ${model} is unchanged. ${refreshHint}` },
      );
    }
    if (plan.fresh.length === 0) return undefined;
    const fresh = new Set(plan.fresh);
    const parts = groups.map((g) => ({ source: g.source, files: g.files.filter((f) => fresh.has(f)) })).filter((g) => g.files.length);
    const result = await load(tx, target, have, parts);
    await recordFiles(tx, wh, target.schema, model, plan.fresh, { source: sourceId, definition, loadedAt, replace: false });
    return result;
  });
  const already = `${plan.loaded.length} already loaded`;
  if (!r) return { code: `COPY 0 (${plan.loaded.length} file${plan.loaded.length === 1 ? '' : 's'} already loaded: table unchanged)`, rowsAffected: 0, rejected: [], files: 0, bytes: 0, warnings };
  return finish(r, `COPY ${r.rows} (${plan.fresh.length} new file${plan.fresh.length === 1 ? '' : 's'}, ${already})`);
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** How a table's columns differ from what the model declares: added, removed, retyped, reordered. */
function columnDiff(have: ColumnType[], wanted: ColumnType[]): string[] {
  const type = (c: ColumnType): string => `${c.dataType}${c.maxLength == null ? '' : `(${c.maxLength})`}`;
  const old = new Map(have.map((c) => [c.name, c]));
  const now = new Map(wanted.map((c) => [c.name, c]));
  const out: string[] = [];
  for (const c of wanted) {
    const o = old.get(c.name);
    if (!o) out.push(`new column ${c.name} ${type(c)}`);
    else if (type(o) !== type(c)) out.push(`column ${c.name} was ${type(o)}, now ${type(c)}`);
  }
  for (const c of have) if (!now.has(c.name)) out.push(`column ${c.name} removed`);
  if (out.length === 0 && have.map((c) => c.name).join(',') !== wanted.map((c) => c.name).join(',')) out.push('columns reordered');
  return out;
}

function describeChange(file: FileRef, was: LedgerEntry): string {
  const parts: string[] = [];
  if (file.size !== was.size) parts.push(`size was ${was.size} bytes, now ${file.size}`);
  const version = fileVersion(file);
  if (version !== was.version) parts.push(`${version.startsWith('etag:') ? 'etag' : 'modified'} was ${was.version.replace(/^\w+:/, '')}, now ${version.replace(/^\w+:/, '')}`);
  return parts.join(', ');
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
