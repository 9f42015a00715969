import type { TableOptions } from '../warehouse/types.js';
import type { MaterializeContext } from './types.js';

/** The physical options of a model's table (Redshift's dist and sort keys; other dialects ignore them). */
export function tableOptions(ctx: MaterializeContext): TableOptions {
  const c = ctx.node.config;
  return {
    ...(typeof c.dist === 'string' ? { dist: c.dist } : {}),
    ...(Array.isArray(c.sort) ? { sort: c.sort } : {}),
    ...(c.sort_type ? { sortType: c.sort_type } : {}),
  };
}
