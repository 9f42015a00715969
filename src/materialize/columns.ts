import type { Relation, Session, Warehouse } from '../warehouse/types.js';

/** A column of a relation as the warehouse reports it, with its type written as DDL would write it. */
export interface Column {
  name: string;
  type: string;
}

/** The columns of `r`, in order (empty when it does not exist). */
export async function columnsOf(session: Session, wh: Warehouse, r: Relation): Promise<Column[]> {
  const rows = (await session.query(wh.dialect.listColumns(), [r.schema, r.identifier])).rows;
  return rows.map((row) => ({ name: String(row.column_name), type: typeText(row) }));
}

// information_schema spells a type without its modifiers; put them back so two types compare as DDL does.
function typeText(row: Record<string, unknown>): string {
  const t = String(row.data_type);
  const len = row.character_maximum_length;
  if ((t === 'character varying' || t === 'character') && len !== null && len !== undefined) return `${t}(${String(len)})`;
  if (t === 'numeric' && row.numeric_precision !== null && row.numeric_precision !== undefined) return `numeric(${String(row.numeric_precision)},${String(row.numeric_scale ?? 0)})`;
  return t;
}
