import type { ColumnType } from '../../load/convert.js';
import type { Relation, Session, Warehouse } from '../../warehouse/types.js';

/** How a table's columns differ from what the model declares: added, removed, retyped, reordered. */
export function columnDiff(have: ColumnType[], wanted: ColumnType[]): string[] {
  const type = (c: ColumnType): string => `${c.dataType}${c.maxLength == null ? '' : `(${c.maxLength})`}`;
  const old = new Map(have.map((c) => [c.name, c]));
  const now = new Map(wanted.map((c) => [c.name, c]));
  const out: string[] = [];
  for (const c of wanted) {
    const o = old.get(c.name);
    if (!o) out.push(`new column ${c.name} ${type(c)}`);
    else if (type(o) !== type(c)) out.push(`column ${c.name} was ${type(o)}, now ${type(c)}`);
  }
  for (const c of have) if (!now.has(c.name)) out.push(`column ${c.name} removed`);
  if (out.length === 0 && have.map((c) => c.name).join(',') !== wanted.map((c) => c.name).join(',')) out.push('columns reordered');
  return out;
}

/** A table's columns as the loader converts to them. */
export async function columnTypes(session: Session, wh: Warehouse, r: Relation): Promise<ColumnType[]> {
  const res = await session.query(wh.dialect.listColumns(), [r.schema, r.identifier]);
  return res.rows.map((row) => ({
    name: String(row.column_name),
    dataType: String(row.data_type),
    maxLength: row.character_maximum_length == null ? null : Number(row.character_maximum_length),
  }));
}
