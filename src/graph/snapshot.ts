import { SparkifyError } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';

/** What a dbt 1.9 YAML snapshot records: `relation: ref('model')` or `relation: source('source', 'table')`. */
export type SnapshotRelation = { kind: 'ref'; name: string } | { kind: 'source'; source: string; table: string };

const ARG = String.raw`\s*(?:'([^']*)'|"([^"]*)")\s*`;
const REF = new RegExp(String.raw`^\s*ref\(${ARG}\)\s*$`);
const SOURCE = new RegExp(String.raw`^\s*source\(${ARG},${ARG}\)\s*$`);
const TEMPLATED = /^\s*\{\{\s*(.*?)\s*\}\}\s*$/s;

export function parseSnapshotRelation(text: string, location: SourceLocation): SnapshotRelation {
  // dbt's docs write it bare (ref('x')); some projects write it as a Jinja expression ("{{ ref('x') }}").
  const bare = TEMPLATED.exec(text)?.[1] ?? text;
  const r = REF.exec(bare);
  if (r) return { kind: 'ref', name: r[1] ?? r[2]! };
  const s = SOURCE.exec(bare);
  if (s) return { kind: 'source', source: s[1] ?? s[2]!, table: s[3] ?? s[4]! };
  throw new SparkifyError(`a snapshot's relation must be ref('model') or source('source', 'table'), not '${text}'`, {
    location,
    hint: /^\s*ref\(.*,/.test(bare)
      ? 'Refs to other packages are not supported: ref the model by its name.'
      : "For example relation: ref('dim_users'). To record a query rather than a relation, write snapshots/<name>.sql with the select.",
  });
}
