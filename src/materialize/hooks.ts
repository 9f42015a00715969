import { SparkifyError } from '../core/errors.js';
import type { CompiledHook, Node } from '../graph/types.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import { persistDocs } from './docs.js';
import { applyGrants } from './grants.js';

/** What a node's transaction needs: the warehouse, the node, and where its warnings go. */
export interface NodeWork {
  warehouse: Warehouse;
  node: Node;
  warn?: (message: string) => void;
}

/**
 * The node's transaction, as dbt runs a materialization: hooks with transaction=true (the default) inside
 * it — pre-hooks first, then the work, post-hooks once the new relation is in place, then grants and
 * persist_docs on `target` — so a failing hook rolls the whole build back and the previous relation stays;
 * hooks with transaction=false before it starts and after it commits.
 */
export async function nodeTransaction<T>(w: NodeWork, target: Relation, kind: 'table' | 'view', work: (tx: Session) => Promise<T>): Promise<T> {
  const { warehouse: wh, node } = w;
  const h = node.hooks ?? { pre: [], post: [] };
  await runHooks(wh.driver, node, h.pre.filter((x) => !x.transaction), 'pre_hook');
  const result = await wh.driver.transaction(async (tx) => {
    await runHooks(tx, node, h.pre.filter((x) => x.transaction), 'pre_hook');
    const r = await work(tx);
    await runHooks(tx, node, h.post.filter((x) => x.transaction), 'post_hook');
    for (const warning of await applyGrants(tx, wh, node, target)) w.warn?.(warning);
    await persistDocs(tx, wh, node, target, kind);
    return r;
  });
  await runHooks(wh.driver, node, h.post.filter((x) => !x.transaction), 'post_hook');
  return result;
}

/** Run hooks in order; a failing one is an error at the line that wrote it. */
export async function runHooks(session: Session, node: Node, hooks: CompiledHook[], kind: 'pre_hook' | 'post_hook'): Promise<void> {
  for (const hook of hooks) {
    if (!hook.sql.trim()) continue;
    try {
      await session.exec(hook.sql);
    } catch (err) {
      throw new SparkifyError(`${kind} of ${node.name} failed: ${(err as Error).message.split('\n')[0]}`, {
        exitCode: 1,
        location: hook.location,
        hint: hook.transaction ? `The ${node.resource_type}'s previous relation is unchanged: the hook ran in its transaction, which was rolled back.\n  ${hook.sql.trim()}` : hook.sql.trim(),
        cause: err,
      });
    }
  }
}
