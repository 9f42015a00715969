// Ephemeral models are not built: each is inlined, as dbt does, as a CTE named __dbt__cte__<model> at the
// top of every query that refs it (directly or through other ephemerals), innermost first.

export function cteName(model: string): string {
  return `__dbt__cte__${model}`;
}

export interface Cte {
  /** The name as the query writes it (quoted by the dialect where needed). */
  name: string;
  sql: string;
}

/**
 * `sql` with the CTEs in front: merged into its own leading WITH (after `recursive`, if any) when it has one,
 * else as a new WITH. Leading comments and whitespace are skipped to find it.
 */
export function injectCtes(sql: string, ctes: readonly Cte[]): string {
  if (!ctes.length) return sql;
  const defs = ctes.map((c) => `${c.name} as (\n${c.sql.trim().replace(/;$/, '')}\n)`).join(',\n');
  const at = afterLeadingWith(sql);
  return at === undefined ? `with ${defs}\n${sql}` : `${sql.slice(0, at)} ${defs},\n${sql.slice(at).replace(/^\s+/, '')}`;
}

const WITH = /with\s+(recursive\s+)?/iy;

/** The offset just past a query's leading `with` (and `recursive`), or undefined when it does not start with one. */
function afterLeadingWith(sql: string): number | undefined {
  let i = 0;
  while (i < sql.length) {
    if (/\s/.test(sql[i]!)) i++;
    else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else break;
  }
  WITH.lastIndex = i;
  const m = WITH.exec(sql);
  // `with` followed by a name (not `without`, `within`, ...): the regexp needs whitespace after the keyword.
  return m ? i + m[0].trimEnd().length : undefined;
}
