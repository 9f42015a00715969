import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import { nodeTransaction, type NodeWork } from './hooks.js';

export type RelationKind = 'table' | 'view';

export async function relationKind(session: Session, wh: Warehouse, r: Relation): Promise<RelationKind | undefined> {
  const res = await session.query(wh.dialect.listRelations() + ' and table_name = $2', [r.schema, r.identifier]);
  const kind = res.rows[0]?.kind;
  return kind === 'table' || kind === 'view' ? kind : undefined;
}

export function tempRelation(r: Relation, suffix = 'sparkify_tmp'): Relation {
  // Postgres truncates identifiers at 63 bytes: keep the suffix.
  return { schema: r.schema, identifier: `${r.identifier.slice(0, 63 - suffix.length - 2)}__${suffix}` };
}

/**
 * Build a relation under a temporary name and swap it in, all in one transaction (with the node's hooks):
 * readers see the old relation until the commit, and a failure anywhere leaves the old one exactly as it was.
 */
export async function buildAndSwap<T>(
  w: NodeWork,
  target: Relation,
  kind: RelationKind,
  build: (tx: Session, tmp: Relation) => Promise<T>,
): Promise<T> {
  const wh = w.warehouse;
  const tmp = tempRelation(target);
  return nodeTransaction(w, target, kind, async (tx) => {
    const leftover = await relationKind(tx, wh, tmp);
    if (leftover) await tx.exec(wh.dialect.drop(tmp, leftover));
    const result = await build(tx, tmp);
    const old = await relationKind(tx, wh, target);
    if (old) await tx.exec(wh.dialect.drop(target, old));
    await tx.exec(wh.dialect.rename(tmp, target.identifier));
    return result;
  });
}
