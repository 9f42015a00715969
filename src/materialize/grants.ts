import type { Node } from '../graph/types.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';

/**
 * dbt's grants config applied to the node's relation, in its transaction: each privilege granted to the
 * grantees the config lists, and revoked from those it no longer lists (whoever else holds it: the role
 * that builds owns the relation and is left alone). A grantee that does not exist on this target is not
 * granted, and the returned warning says so.
 */
export async function applyGrants(tx: Session, wh: Warehouse, node: Node, target: Relation): Promise<string[]> {
  const wanted = node.config.grants;
  if (!wanted) return [];
  const roles = new Set((await tx.query(wh.dialect.listRoles())).rows.map((r) => String(r.name)));
  const held = (await tx.query(wh.dialect.listGrants(), [target.schema, target.identifier])).rows.map((r) => ({ grantee: String(r.grantee), privilege: String(r.privilege_type).toLowerCase() }));
  const me = String((await tx.query('select current_user as me')).rows[0]?.me ?? '');
  const rel = wh.dialect.relation(target);
  const warnings: string[] = [];
  for (const privilege of new Set([...Object.keys(wanted), ...held.map((h) => h.privilege)])) {
    const grantees = wanted[privilege] ?? [];
    for (const g of held) {
      if (g.privilege === privilege && g.grantee !== me && !grantees.includes(g.grantee)) await tx.exec(`revoke ${privilege} on ${rel} from ${wh.dialect.quote(g.grantee)}`);
    }
    const missing = grantees.filter((g) => !roles.has(g));
    if (missing.length) warnings.push(`${node.name}: grants: ${missing.map((g) => `'${g}'`).join(', ')} ${missing.length === 1 ? 'is not a role' : 'are not roles'} on this target: ${privilege} not granted to ${missing.length === 1 ? 'it' : 'them'}`);
    const toGrant = grantees.filter((g) => roles.has(g) && !held.some((h) => h.grantee === g && h.privilege === privilege));
    if (toGrant.length) await tx.exec(`grant ${privilege} on ${rel} to ${toGrant.map((g) => wh.dialect.quote(g)).join(', ')}`);
  }
  return warnings;
}
