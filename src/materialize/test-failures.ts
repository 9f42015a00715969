import type { Node } from '../graph/types.js';
import type { Relation, Warehouse } from '../warehouse/types.js';
import { buildAndSwap } from './swap.js';

/**
 * The audit schema dbt's store_failures writes to, created when missing (a schema made beforehand, with
 * CREATE granted on it, needs no right to create schemas).
 */
export async function ensureAuditSchema(wh: Warehouse, schema: string): Promise<void> {
  const exists = async (): Promise<boolean> => (await wh.driver.query(wh.dialect.schemaExists(), [schema])).rows.length > 0;
  if (await exists()) return;
  try {
    await wh.driver.exec(wh.dialect.createSchema(schema));
  } catch (err) {
    // Tests running at once race to create it (Postgres: a unique violation in pg_namespace); one wins.
    if (!(await exists())) throw err;
  }
}

/**
 * dbt's store_failures: a test's failing rows as a table (or a view of the test query) in the audit schema,
 * replacing the previous run's in one transaction, even when nothing fails.
 */
export async function storeFailures(wh: Warehouse, node: Node, relation: Relation, sql: string, as: 'table' | 'view'): Promise<void> {
  // Hooks, grants and docs are not test config (compile refuses them), so this is only the swap.
  await buildAndSwap({ warehouse: wh, node }, relation, as, async (tx, tmp) => {
    await tx.exec(as === 'view' ? wh.dialect.createView(tmp, sql) : wh.dialect.createTableAs(tmp, sql, {}));
  });
}
