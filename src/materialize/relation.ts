import type { Relation, Warehouse } from '../warehouse/types.js';
import type { MaterializeContext } from './types.js';

/** The relation the model builds (compile names every model's relation). */
export function relationOf(ctx: MaterializeContext): Relation {
  return ctx.node.relation!;
}

/** Create the model's schema when it is not the target's own (which the connection already has). */
export async function ensureSchema(wh: Warehouse, schema: string): Promise<void> {
  if (schema !== wh.schema) await wh.driver.exec(wh.dialect.createSchema(schema));
}
