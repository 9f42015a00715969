import { ensureSchema, relationOf } from './relation.js';
import { buildAndSwap } from './swap.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/** A view, created under a temporary name and swapped in. */
export async function view(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  await ensureSchema(wh, relationOf(ctx).schema);
  await buildAndSwap(ctx, relationOf(ctx), 'view', async (tx, tmp) => {
    await tx.exec(wh.dialect.createView(tmp, ctx.sql));
  });
  return { code: 'CREATE VIEW' };
}
