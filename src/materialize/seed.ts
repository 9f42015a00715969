import { parse as parseCsv } from 'csv-parse/sync';
import { SparkifyError } from '../core/errors.js';
import { escapeCopy } from '../load/convert.js';
import { ensureSchema, relationOf } from './relation.js';
import { buildAndSwap } from './swap.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/** A seed: a CSV file in seeds/ becomes a table; types are inferred unless column_types says. */
export async function seed(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const node = ctx.node;
  let records: string[][];
  try {
    records = parseCsv(node.raw_code, { skip_empty_lines: true, delimiter: String(node.config.delimiter ?? ',') }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new SparkifyError(`invalid CSV: ${e.message}`, { location: { file: node.original_file_path, line: e.lines ?? 1, column: 0 } });
  }
  const [header, ...rows] = records;
  if (!header || header.length === 0) throw new SparkifyError('a seed needs a header row', { location: { file: node.original_file_path, line: 1, column: 0 } });
  const declared = (node.config.column_types ?? {}) as Record<string, string>;
  const types = header.map((h, i) => declared[h] ?? inferType(rows.map((r) => r[i] ?? '')));
  const ddl = header.map((h, i) => `  ${wh.dialect.quote(h)} ${types[i]}`).join(',\n');
  await ensureSchema(wh, relationOf(ctx).schema);
  const n = await buildAndSwap(ctx, relationOf(ctx), 'table', async (tx, tmp) => {
    await tx.exec(wh.dialect.createTable(tmp, ddl, {}));
    const text = rows.map((r) => header.map((_, i) => (r[i] === undefined || r[i] === '' ? '\\N' : escapeCopy(r[i]!))).join('\t') + '\n').join('');
    return tx.copyIn(tmp, header, (async function* () { yield text; })());
  });
  return { code: `INSERT ${n}`, rowsAffected: n };
}

function inferType(values: string[]): string {
  const present = values.filter((v) => v !== '');
  if (present.length === 0) return 'text';
  if (present.every((v) => /^-?\d{1,9}$/.test(v))) return 'integer';
  if (present.every((v) => /^-?\d+$/.test(v))) return 'bigint';
  if (present.every((v) => /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v))) return 'double precision';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v))) return 'timestamp';
  return 'text';
}
