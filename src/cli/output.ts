import { showJson, showText, type ShowResult } from '../warehouse/values.js';

export type OutputFormat = 'table' | 'json' | 'csv';

/**
 * show's rows in one format; every format uses the values' own text (warehouse/values.ts). JSON is one array
 * of row objects, keys in column order, numbers written with the warehouse's digits.
 */
export function formatRows(result: ShowResult, format: OutputFormat): string {
  const { columns, rows } = result;
  if (format === 'json') {
    const keys = columns.map((c) => JSON.stringify(c));
    return `[${rows.map((r) => `{${r.map((v, i) => `${keys[i]}:${showJson(v)}`).join(',')}}`).join(',')}]`;
  }
  if (format === 'csv') {
    const esc = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map(esc).join(','), ...rows.map((r) => r.map((v) => esc(showText(v))).join(','))].join('\n');
  }
  const cells = rows.map((r) => r.map((v) => (v === null ? 'NULL' : showText(v))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]): string => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(columns), rule, ...cells.map(line)].join('\n');
}
