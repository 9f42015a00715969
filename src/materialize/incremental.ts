import { protectedNote, refreshDecision } from './full-refresh.js';
import { relationOf } from './relation.js';
import { relationKind, tempRelation } from './swap.js';
import { table } from './table.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/**
 * An incremental model: built as a table the first time (or on a full refresh, or over a view), then each
 * run inserts what its incremental SQL selects, replacing rows with the same unique_key first.
 */
export async function incremental(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const target = relationOf(ctx);
  const refresh = refreshDecision(ctx);
  const existing = await relationKind(wh.driver, wh, target);
  if (!existing || refresh.fullRefresh || existing === 'view') return table(ctx);
  const sql = ctx.incrementalSql;
  // Compile renders the incremental variant of every incremental model; without it there is nothing to run.
  if (sql === undefined) throw new Error(`incremental model ${ctx.node.name} has no incremental SQL (is_incremental() true) compiled`);
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
  return { code: `INSERT ${rows}`, rowsAffected: rows, ...(refresh.protected ? { notes: [protectedNote(ctx.node.name)] } : {}) };
}
