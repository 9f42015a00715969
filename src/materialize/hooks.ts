import { SparkifyError } from '../core/errors.js';
import type { CompiledHook, Node } from '../graph/types.js';
import type { Session, Warehouse } from '../warehouse/types.js';

/** What of a node its hooks need. */
export type HookedNode = Pick<Node, 'name' | 'resource_type' | 'hooks'>;

/**
 * The node's transaction with its hooks around the work, as dbt runs them: hooks with transaction=true
 * (the default) inside it — pre-hooks first, post-hooks last, after the new relation is in place — so a
 * failing hook rolls the whole build back and the previous relation stays; hooks with transaction=false
 * before it starts and after it commits.
 */
export async function hookedTransaction<T>(wh: Warehouse, node: HookedNode, work: (tx: Session) => Promise<T>): Promise<T> {
  const h = node.hooks;
  if (!h) return wh.driver.transaction(work);
  await runHooks(wh.driver, node, h.pre.filter((x) => !x.transaction), 'pre_hook');
  const result = await wh.driver.transaction(async (tx) => {
    await runHooks(tx, node, h.pre.filter((x) => x.transaction), 'pre_hook');
    const r = await work(tx);
    await runHooks(tx, node, h.post.filter((x) => x.transaction), 'post_hook');
    return r;
  });
  await runHooks(wh.driver, node, h.post.filter((x) => !x.transaction), 'post_hook');
  return result;
}

async function runHooks(session: Session, node: HookedNode, hooks: CompiledHook[], kind: 'pre_hook' | 'post_hook'): Promise<void> {
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
