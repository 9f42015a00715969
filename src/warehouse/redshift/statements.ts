import type { SqlParameter } from '@aws-sdk/client-redshift-data';

// SQL text as the Data API needs it: scripts cut into statements, `$n` placeholders as named parameters.
// (The test stand-in, test/support/redshift-standin.ts, never splits: it receives what this sends.)

interface Segment {
  text: string;
  /** false for string literals, quoted identifiers and comments. */
  code: boolean;
}

/** Cut SQL into code and non-code (literals, quoted names, comments), Redshift's lexical rules. */
export function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number, code: boolean, from = start): void => {
    if (end > from) out.push({ text: sql.slice(from, end), code });
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '\\') j++;
        else if (sql[j] === "'") {
          if (sql[j + 1] === "'") j++;
          else break;
        }
      }
      end = Math.min(j + 1, sql.length);
    } else if (c === '"') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') j++;
          else break;
        }
      }
      end = Math.min(j + 1, sql.length);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length : nl;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (c === '$' && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length : close + tag[0].length;
      }
    }
    if (end < 0) {
      i++;
      continue;
    }
    push(i, true);
    push(end, false, i);
    start = i = end;
  }
  push(sql.length, true);
  return out;
}

/** Statements of a script, split at top-level semicolons; empty and comment-only pieces are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  const flush = (): void => {
    if (hasCode) statements.push(current.trim());
    current = '';
    hasCode = false;
  };
  for (const seg of segments(sql)) {
    if (!seg.code) {
      current += seg.text;
      if (!/^(--|\/\*)/.test(seg.text)) hasCode = true;
      continue;
    }
    const parts = seg.text.split(';');
    parts.forEach((p, i) => {
      if (i > 0) flush();
      current += p;
      if (p.trim()) hasCode = true;
    });
  }
  flush();
  return statements;
}

/**
 * Postgres-style `$1` placeholders as the Data API's named parameters (`:p1`). The Data API takes non-empty
 * text values only, so null is written as `null` and '' as `''` into the statement.
 */
export function toNamedParameters(sql: string, params: unknown[] | undefined): { sql: string; parameters: SqlParameter[] } {
  if (!params || params.length === 0) return { sql, parameters: [] };
  const used = new Set<number>();
  const text = segments(sql)
    .map((seg) =>
      !seg.code
        ? seg.text
        : seg.text.replace(/(?<![A-Za-z0-9_$])\$(\d+)/g, (m, d: string) => {
            const n = Number(d);
            if (n < 1 || n > params.length) return m;
            const v = params[n - 1];
            if (v === null || v === undefined) return 'null';
            const s = parameterText(v);
            if (s === '') return "''";
            used.add(n);
            return `:p${n}`;
          }),
    )
    .join('');
  const parameters = [...used].sort((a, b) => a - b).map((n) => ({ name: `p${n}`, value: parameterText(params[n - 1]) }));
  return { sql: text, parameters };
}

function parameterText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v);
}

/** Rows affected, for the statements whose count Redshift reports reliably (DML). */
export function rowCountOf(sql: string, resultRows: number | undefined): { rowCount?: number } {
  if (resultRows === undefined || resultRows < 0) return {};
  const code = segments(sql)
    .filter((s) => s.code)
    .map((s) => s.text)
    .join(' ')
    .trim()
    .toLowerCase();
  return /^(insert|update|delete|merge|copy)\b/.test(code) ? { rowCount: resultRows } : {};
}

/** The first line of a statement, short enough for a message. */
export function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
