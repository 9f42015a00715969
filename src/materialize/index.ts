import { SparkifyError } from '../core/errors.js';
import { copy } from './copy/index.js';
import { incremental } from './incremental.js';
import { seed } from './seed.js';
import { snapshot } from './snapshot.js';
import { table } from './table.js';
import type { MaterializeContext, MaterializeResult } from './types.js';
import { view } from './view.js';

export type { MaterializeContext, MaterializeResult } from './types.js';

type Materializer = (ctx: MaterializeContext) => Promise<MaterializeResult>;

/** The registry: materialization name → materializer (compile refuses any other name). */
const materializers: Record<string, Materializer> = { view, table, incremental, copy, seed, snapshot };

export async function materialize(ctx: MaterializeContext): Promise<MaterializeResult> {
  const m = materializers[ctx.node.config.materialized];
  if (!m) throw new SparkifyError(`materialization '${ctx.node.config.materialized}' cannot be built`, { exitCode: 2 });
  const warnings: string[] = [];
  const r = await m({ ...ctx, warn: (w) => warnings.push(w) });
  return warnings.length ? { ...r, warnings: [...(r.warnings ?? []), ...warnings] } : r;
}
