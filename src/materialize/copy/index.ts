import { SparkifyError } from '../../core/errors.js';
import { loadJson, type LoadResult } from '../../load/copy.js';
import type { ColumnType } from '../../load/convert.js';
import type { FileRef } from '../../load/sources/index.js';
import type { Relation, Session } from '../../warehouse/types.js';
import { protectedNote, refreshDecision } from '../full-refresh.js';
import { ensureSchema, relationOf } from '../relation.js';
import { nodeTransaction } from '../hooks.js';
import { buildAndSwap, relationKind, tempRelation } from '../swap.js';
import { tableOptions } from '../table-options.js';
import type { MaterializeContext, MaterializeResult } from '../types.js';
import { columnDiff, columnTypes } from './columns.js';
import { copyFiles, dataLocation, readJsonPaths, type CopyFiles } from './files.js';
import { ERRORS_TABLE, ensureLedgerTables, fileVersion, planFiles, readLedger, recordErrors, recordFiles, type LedgerEntry } from './ledger.js';
import { loadNative, requireS3 } from './native-copy.js';
import { copyOptions, loadDefinition } from './options.js';

/**
 * A staging load with Redshift COPY semantics, incremental by default: the ledger (sparkify_loaded_files)
 * says which files the table holds, and a run loads only the new ones, appending them in one transaction
 * with their ledger rows and rejected rows. The first load, --full-refresh, or files from a new location
 * rebuild the table from every file under a temporary name and swap it in. Either way a failure (or a kill)
 * leaves the table and its ledger exactly as they were.
 */
export async function copy(ctx: MaterializeContext): Promise<MaterializeResult> {
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
  const { maxerror, options } = copyOptions(c);
  const definition = loadDefinition(format, options);
  // dbt's model config: full_refresh=true always rebuilds, false never does (whatever the flag says).
  const refresh = refreshDecision(ctx);
  const fullRefresh = refresh.fullRefresh;

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
        ...(c.gzip === undefined ? {} : { gzip: c.gzip }),
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
        options: { ...options, ...(c.gzip === undefined ? {} : { gzip: c.gzip }), maxerror: maxerror - total.rejected.length },
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
    const r = await buildAndSwap(ctx, target, 'table', async (tx, tmp) => {
      await tx.exec(wh.dialect.createTable(tmp, ctx.sql, tableOptions(ctx)));
      const result = await load(tx, tmp, await columnTypes(tx, wh, tmp), groups);
      await recordFiles(tx, wh, target.schema, model, files, { source: sourceId, definition, loadedAt, replace: true });
      return result;
    });
    const n = `${files.length} file${files.length === 1 ? '' : 's'}`;
    const code = fullRefresh && existing ? `COPY ${r.rows} (full refresh: ${n})` : moved ? `COPY ${r.rows} (${n} from a new location: table replaced)` : `COPY ${r.rows}`;
    const why = moved ? 'reloaded from a new location' : fullRefresh && existing ? 'rebuilt from all its files' : undefined;
    return { ...finish(r, code), ...(why ? { reloaded: why } : {}) };
  }

  // Incremental: append the new files, after checking nothing the table holds has changed under it.
  const plan = planFiles(files, ledger);
  if (plan.gone.length) {
    const names = plan.gone.slice(0, 3).map((e) => `'${e.url}'`).join(', ');
    warnings.push(`${model}: ${plan.gone.length} file${plan.gone.length === 1 ? '' : 's'} loaded earlier ${plan.gone.length === 1 ? 'is' : 'are'} no longer in ${label} (${names}${plan.gone.length > 3 ? ', …' : ''}); ${plan.gone.length === 1 ? 'its' : 'their'} rows stay in the table until --full-refresh`);
  }
  const refreshHint =
    !refresh.configured
      ? `A staging load appends only new files; run with --full-refresh to rebuild ${model} from all files (sparkify run --select ${ctx.node.name} --full-refresh).`
      : `A staging load appends only new files; rebuilding ${model} from all files takes --full-refresh, which its config full_refresh=false turns off: remove that setting for one run.`;
  const r = await nodeTransaction(ctx, target, 'table', async (tx) => {
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
  const notes = refresh.protected ? { notes: [protectedNote(ctx.node.name)] } : {};
  if (!r) return { code: `COPY 0 (${plan.loaded.length} file${plan.loaded.length === 1 ? '' : 's'} already loaded: table unchanged)`, rowsAffected: 0, rejected: [], files: 0, bytes: 0, warnings, ...notes };
  return { ...finish(r, `COPY ${r.rows} (${plan.fresh.length} new file${plan.fresh.length === 1 ? '' : 's'}, ${already})`), ...notes };
}

function describeChange(file: FileRef, was: LedgerEntry): string {
  const parts: string[] = [];
  if (file.size !== was.size) parts.push(`size was ${was.size} bytes, now ${file.size}`);
  const version = fileVersion(file);
  if (version !== was.version) parts.push(`${version.startsWith('etag:') ? 'etag' : 'modified'} was ${was.version.replace(/^\w+:/, '')}, now ${version.replace(/^\w+:/, '')}`);
  return parts.join(', ');
}
