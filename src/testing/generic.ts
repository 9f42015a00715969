import { SparkifyError, didYouMean } from '../core/errors.js';
import { placeholder } from '../template/engine.js';
import type { SourceLocation } from '../core/location.js';

/**
 * Generic data tests. Each one is a query returning the failing rows; the runner counts them. The SQL uses
 * ref/source placeholders so compile resolves relations the same way as for models.
 */

export interface GenericTestInput {
  test: string;
  /** The model (or 'source.table') the test is declared on, as a placeholder-producing target. */
  model: { kind: 'ref'; name: string } | { kind: 'source'; source: string; table: string };
  column?: string;
  kwargs: Record<string, unknown>;
  /** dbt's `where` test config: test only the rows that match. */
  where?: string;
  /** The warehouse dialect's identifier quoting (the one policy for models, tests and materializations). */
  quote: (identifier: string) => string;
  location: SourceLocation;
}

export interface GenericTestSql {
  name: string;
  sql: string;
  /** Other models this test reads (relationships' `to`). */
  refs: string[];
}

const lit = (v: unknown): string => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

const generators: Record<string, (t: GenericTestInput, rel: string) => GenericTestSql> = {
  unique(t, rel) {
    const c = needColumn(t);
    return {
      name: `unique_${target(t)}_${slug(c)}`,
      sql: `select ${t.quote(c)} as unique_field, count(*) as n_records\nfrom ${rel} as t\nwhere ${t.quote(c)} is not null\ngroup by ${t.quote(c)}\nhaving count(*) > 1`,
      refs: [],
    };
  },
  not_null(t, rel) {
    const c = needColumn(t);
    return { name: `not_null_${target(t)}_${slug(c)}`, sql: `select *\nfrom ${rel} as t\nwhere ${t.quote(c)} is null`, refs: [] };
  },
  accepted_values(t, rel) {
    const c = needColumn(t);
    const values = t.kwargs.values;
    if (!Array.isArray(values) || values.length === 0) {
      throw new SparkifyError('accepted_values needs a non-empty list: values: [a, b]', { location: t.location });
    }
    const quote = t.kwargs.quote !== false;
    const list = values.map((v) => (quote ? lit(String(v)) : String(v))).join(', ');
    return {
      name: `accepted_values_${target(t)}_${slug(c)}__${values.map((v) => slug(String(v))).join('__')}`,
      sql: `select ${t.quote(c)} as value_field, count(*) as n_records\nfrom ${rel} as t\nwhere ${t.quote(c)} is not null and ${t.quote(c)} not in (${list})\ngroup by ${t.quote(c)}`,
      refs: [],
    };
  },
  relationships(t, rel) {
    const c = needColumn(t);
    const to = t.kwargs.to;
    const field = t.kwargs.field;
    if (typeof to !== 'string' || typeof field !== 'string') {
      throw new SparkifyError('relationships needs `to` (a model) and `field` (its column)', {
        location: t.location,
        hint: "relationships:\n      to: ref('dim_users')   # or just dim_users\n      field: user_id",
      });
    }
    const toName = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(to)?.[1] ?? to.trim();
    return {
      name: `relationships_${target(t)}_${slug(c)}__${slug(field)}__${slug(toName)}`,
      sql:
        `select child.${t.quote(c)} as from_field\nfrom ${rel} as child\nleft join ${placeholder.ref(toName)} as parent\n` +
        `  on child.${t.quote(c)} = parent.${t.quote(field)}\nwhere child.${t.quote(c)} is not null and parent.${t.quote(field)} is null`,
      refs: [toName],
    };
  },
};

export const genericTestNames = Object.keys(generators);

export function genericTestSql(t: GenericTestInput): GenericTestSql {
  const gen = generators[t.test];
  if (!gen) {
    throw new SparkifyError(`unknown test '${t.test}'`, {
      location: t.location,
      hint: `Generic tests are ${genericTestNames.join(', ')}; a custom check is a singular test in tests/*.sql. ${didYouMean(t.test, genericTestNames)}`,
    });
  }
  const relation = t.model.kind === 'ref' ? placeholder.ref(t.model.name) : placeholder.source(t.model.source, t.model.table);
  const rel = t.where?.trim() ? `(select * from ${relation} where ${t.where})` : relation;
  return gen(t, rel);
}

function needColumn(t: GenericTestInput): string {
  const c = t.column ?? (typeof t.kwargs.column_name === 'string' ? t.kwargs.column_name : undefined);
  if (!c) {
    throw new SparkifyError(`${t.test} needs a column: declare it under a column, or give column_name`, { location: t.location });
  }
  return c;
}

function target(t: GenericTestInput): string {
  return t.model.kind === 'ref' ? t.model.name : `source_${t.model.source}_${t.model.table}`;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 40);
}
