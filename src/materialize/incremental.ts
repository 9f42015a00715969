import { SparkifyError } from '../core/errors.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import { columnsOf } from './columns.js';
import { nodeTransaction } from './hooks.js';
import { protectedNote, refreshDecision } from './full-refresh.js';
import { microbatch } from './microbatch.js';
import { relationOf } from './relation.js';
import { applySchemaChange } from './schema-change.js';
import { relationKind, tempRelation } from './swap.js';
import { table } from './table.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/**
 * An incremental model: built as a table the first time (or on a full refresh, or over a view); later runs
 * put what its incremental SQL selects into the table by its incremental_strategy, after applying its
 * on_schema_change — all in one transaction, so a failure leaves the table as it was.
 *  - append: insert every new row;
 *  - delete+insert: delete the rows whose unique_key the new rows have, then insert (the default with a unique_key);
 *  - merge: update the rows whose unique_key matches (merge_update_columns / merge_exclude_columns), insert the others.
 */
export async function incremental(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const target = relationOf(ctx);
  const refresh = refreshDecision(ctx);
  if (ctx.node.config.incremental_strategy === 'microbatch') return microbatch(ctx);
  const existing = await relationKind(wh.driver, wh, target);
  if (!existing || refresh.fullRefresh || existing === 'view') return table(ctx);
  const sql = ctx.incrementalSql;
  // Compile renders the incremental variant of every incremental model; without it there is nothing to run.
  if (sql === undefined) throw new Error(`incremental model ${ctx.node.name} has no incremental SQL (is_incremental() true) compiled`);
  const c = ctx.node.config;
  const keys = c.unique_key ?? [];
  const strategy = c.incremental_strategy ?? (keys.length ? 'delete+insert' : 'append');
  const { rows, notes } = await nodeTransaction(ctx, target, 'table', async (tx) => {
    const tmp = tempRelation(target, 'sparkify_new');
    const leftover = await relationKind(tx, wh, tmp);
    if (leftover) await tx.exec(wh.dialect.drop(tmp, leftover));
    await tx.exec(wh.dialect.createTableAs(tmp, sql, {}));
    const { columns, notes } = await applySchemaChange(tx, wh, ctx.node, target, await columnsOf(tx, wh, target), await columnsOf(tx, wh, tmp));
    const rows = strategy === 'merge' ? await merge(tx, wh, ctx, target, tmp, keys, columns) : await insert(tx, wh, target, tmp, strategy === 'delete+insert' ? keys : [], columns);
    await tx.exec(wh.dialect.drop(tmp, 'table'));
    return { rows, notes };
  });
  const allNotes = [...notes, ...(refresh.protected ? [protectedNote(ctx.node.name)] : [])];
  return { code: `${strategy === 'merge' ? 'MERGE' : 'INSERT'} ${rows}`, rowsAffected: rows, ...(allNotes.length ? { notes: allNotes } : {}) };
}

async function insert(tx: Session, wh: Warehouse, target: Relation, tmp: Relation, deleteBy: string[], columns: string[]): Promise<number> {
  const t = wh.dialect.relation(target);
  if (deleteBy.length) {
    const match = deleteBy.map((k) => `${t}.${wh.dialect.quote(k)} = n.${wh.dialect.quote(k)}`).join(' and ');
    await tx.exec(`delete from ${t} using ${wh.dialect.relation(tmp)} as n where ${match}`);
  }
  const cols = columns.map((c) => wh.dialect.quote(c)).join(', ');
  const r = await tx.exec(`insert into ${t} (${cols}) select ${cols} from ${wh.dialect.relation(tmp)}`);
  return r.rowCount ?? 0;
}

async function merge(tx: Session, wh: Warehouse, ctx: MaterializeContext, target: Relation, tmp: Relation, keys: string[], columns: string[]): Promise<number> {
  const q = (c: string): string => wh.dialect.quote(c);
  const t = wh.dialect.relation(target);
  const c = ctx.node.config;
  const exclude = new Set(c.merge_exclude_columns ?? []);
  const update = c.merge_update_columns ?? columns.filter((col) => !exclude.has(col));
  const missing = [...update, ...exclude].filter((col) => !columns.includes(col));
  if (missing.length) {
    throw new SparkifyError(`${ctx.node.name}: merge_${c.merge_update_columns ? 'update' : 'exclude'}_columns names ${missing.join(', ')}, which the table does not have`, {
      exitCode: 1,
      location: { file: ctx.node.original_file_path, line: 1, column: 0 },
      hint: `Its columns: ${columns.join(', ')}.`,
    });
  }
  // Redshift's MERGE takes no alias for the target (and needs a WHEN MATCHED clause): name it in full.
  const on = keys.map((k) => `${t}.${q(k)} = n.${q(k)}`).join(' and ');
  const set = (update.length ? update : keys).map((col) => `${q(col)} = n.${q(col)}`).join(', ');
  const cols = columns.map(q).join(', ');
  try {
    const r = await tx.exec(
      `merge into ${t} using ${wh.dialect.relation(tmp)} as n on ${on}\n` +
        `when matched then update set ${set}\n` +
        `when not matched then insert (${cols}) values (${columns.map((col) => `n.${q(col)}`).join(', ')})`,
    );
    return r.rowCount ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code === '21000') {
      throw new SparkifyError(`${ctx.node.name}: the new rows hold the same unique_key (${keys.join(', ')}) more than once, so merge cannot tell which to keep`, {
        exitCode: 1,
        location: { file: ctx.node.original_file_path, line: 1, column: 0 },
        hint: 'The table is unchanged. Make the incremental SQL select one row per key (e.g. with row_number()), or use delete+insert.',
        cause: err,
      });
    }
    throw err;
  }
}
