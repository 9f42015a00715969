import type { Node } from '../graph/types.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import { columnsOf } from './columns.js';

/** dbt's persist_docs: the YAML descriptions of the relation and its columns become COMMENT ON, in the node's transaction. */
export async function persistDocs(tx: Session, wh: Warehouse, node: Node, target: Relation, kind: 'table' | 'view'): Promise<void> {
  const want = node.config.persist_docs;
  if (!want) return;
  const rel = wh.dialect.relation(target);
  const text = (s: string): string => (s ? `'${s.replace(/'/g, "''")}'` : 'null');
  if (want.relation) await tx.exec(`comment on ${kind} ${rel} is ${text(node.description)}`);
  if (want.columns) {
    const present = new Set((await columnsOf(tx, wh, target)).map((c) => c.name));
    for (const c of Object.values(node.columns)) {
      if (present.has(c.name)) await tx.exec(`comment on column ${rel}.${wh.dialect.quote(c.name)} is ${text(c.description)}`);
    }
  }
}
