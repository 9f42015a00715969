import { SparkifyError } from '../core/errors.js';
import type { Node } from '../graph/types.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import type { Column } from './columns.js';

/** How the new rows' columns differ from the table's. */
export interface SchemaDiff {
  added: Column[];
  removed: Column[];
  changed: { name: string; from: string; to: string }[];
}

export function diffColumns(table: Column[], incoming: Column[]): SchemaDiff {
  const byName = new Map(table.map((c) => [c.name, c]));
  const inNew = new Set(incoming.map((c) => c.name));
  return {
    added: incoming.filter((c) => !byName.has(c.name)),
    removed: table.filter((c) => !inNew.has(c.name)),
    changed: incoming.filter((c) => byName.has(c.name) && byName.get(c.name)!.type !== c.type).map((c) => ({ name: c.name, from: byName.get(c.name)!.type, to: c.type })),
  };
}

const isEmpty = (d: SchemaDiff): boolean => !d.added.length && !d.removed.length && !d.changed.length;

function describe(d: SchemaDiff): string[] {
  return [
    ...d.added.map((c) => `added:   ${c.name} (${c.type})`),
    ...d.removed.map((c) => `removed: ${c.name} (${c.type})`),
    ...d.changed.map((c) => `changed: ${c.name} ${c.from} -> ${c.to}`),
  ];
}

/**
 * dbt's on_schema_change, applied inside the run's transaction before the new rows go in. Returns the
 * columns the new rows are written to, and what the user should know.
 *  - ignore: the table keeps its columns; new columns of the model are not added (as in dbt), and a column
 *    of the table that the model no longer selects is an error (dbt's insert would fail on it);
 *  - fail: any difference fails the model, the table untouched;
 *  - append_new_columns: new columns are added (earlier rows hold null); removed ones stay, filled with null;
 *  - sync_all_columns: new columns added, removed ones dropped, changed types converted in place.
 */
export async function applySchemaChange(
  tx: Session,
  wh: Warehouse,
  node: Node,
  target: Relation,
  table: Column[],
  incoming: Column[],
): Promise<{ columns: string[]; notes: string[] }> {
  const mode = node.config.on_schema_change ?? 'ignore';
  const d = diffColumns(table, incoming);
  const q = (c: string): string => wh.dialect.quote(c);
  const t = wh.dialect.relation(target);
  const where = { file: node.original_file_path, line: 1, column: 0 };
  const fail = (message: string, hint: string): SparkifyError => new SparkifyError(message, { exitCode: 1, location: where, hint });
  if (isEmpty(d)) return { columns: table.map((c) => c.name), notes: [] };
  switch (mode) {
    case 'fail':
      throw fail(`the columns of ${node.name} changed and its on_schema_change is 'fail':\n${describe(d).map((l) => `  ${l}`).join('\n')}`, 'The table is unchanged. Rebuild it with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns.');
    case 'ignore': {
      if (d.removed.length) {
        throw fail(
          `${node.name} no longer selects ${d.removed.map((c) => c.name).join(', ')}, which its table has (on_schema_change is 'ignore')`,
          'The table is unchanged. Rebuild it with --full-refresh, or set on_schema_change to sync_all_columns (drops the column) or append_new_columns (keeps it, filled with null).',
        );
      }
      const notes = d.added.length ? [`${node.name}: new columns ${d.added.map((c) => c.name).join(', ')} not added to the table (on_schema_change is 'ignore'; set it to append_new_columns to add them)`] : [];
      return { columns: table.map((c) => c.name), notes };
    }
    case 'append_new_columns': {
      for (const c of d.added) await tx.exec(`alter table ${t} add column ${q(c.name)} ${c.type}`);
      const kept = new Set(incoming.map((c) => c.name));
      return {
        columns: [...table.map((c) => c.name).filter((c) => kept.has(c)), ...d.added.map((c) => c.name)],
        notes: [`${node.name}: columns added: ${d.added.map((c) => c.name).join(', ') || 'none'}${d.removed.length ? `; kept (now null for new rows): ${d.removed.map((c) => c.name).join(', ')}` : ''}`],
      };
    }
    case 'sync_all_columns': {
      for (const c of d.added) await tx.exec(`alter table ${t} add column ${q(c.name)} ${c.type}`);
      for (const c of d.removed) await tx.exec(`alter table ${t} drop column ${q(c.name)}`);
      for (const c of d.changed) {
        // Add, copy with a cast, drop, rename: what Redshift allows too (it alters the type of varchar only).
        const tmp = `${c.name.slice(0, 40)}__sparkify_type`;
        try {
          await tx.exec(`alter table ${t} add column ${q(tmp)} ${c.to}`);
          await tx.exec(`update ${t} set ${q(tmp)} = cast(${q(c.name)} as ${c.to})`);
          await tx.exec(`alter table ${t} drop column ${q(c.name)}`);
          await tx.exec(`alter table ${t} rename column ${q(tmp)} to ${q(c.name)}`);
        } catch (err) {
          throw fail(`${node.name}: on_schema_change could not change column ${c.name} from ${c.from} to ${c.to}: ${(err as Error).message}`, 'The table is unchanged. Rebuild it with --full-refresh, or cast the column in the model to its old type.');
        }
      }
      return { columns: incoming.map((c) => c.name), notes: [`${node.name}: columns synced with the model: ${describe(d).map((l) => l.replace(/ +/, ' ')).join('; ')}`] };
    }
  }
}
