import { postgresDialect } from './postgres-dialect.js';
import { redshiftDialect } from './redshift/dialect.js';
import type { Dialect } from './types.js';

/** The SQL dialect of a target type, without loading its driver (compile names relations through it). */
export function dialectFor(targetType: string): Dialect {
  return targetType === 'redshift' ? redshiftDialect : postgresDialect;
}
