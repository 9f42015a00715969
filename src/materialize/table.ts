import { ensureSchema, relationOf } from './relation.js';
import { buildAndSwap } from './swap.js';
import { tableOptions } from './table-options.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/** A table built from the model's SQL under a temporary name and swapped in. */
export async function table(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  await ensureSchema(wh, relationOf(ctx).schema);
  const rows = await buildAndSwap(ctx, relationOf(ctx), 'table', async (tx, tmp) => {
    const r = await tx.exec(wh.dialect.createTableAs(tmp, ctx.sql, tableOptions(ctx)));
    return r.rowCount ?? Number((await tx.query(`select count(*) as n from ${wh.dialect.relation(tmp)}`)).rows[0]?.n ?? 0);
  });
  return { code: `SELECT ${rows ?? 0}`, ...(rows === undefined ? {} : { rowsAffected: rows }) };
}
