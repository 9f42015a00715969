import type { CopyOptions } from '../../core/copy.js';
import { SparkifyError } from '../../core/errors.js';
import type { SourceLocation } from '../../core/location.js';
import type { NodeConfig } from '../../graph/types.js';
import type { JsonFormat } from '../../load/plan.js';
import { toBool } from '../../project/config.js';
import { checksum } from './ledger.js';

// A copy model's COPY options, from its config, and the checksum of those that shape every row's value.

export type CopyModelOptions = Pick<CopyOptions, 'timeformat' | 'blanksasnull' | 'emptyasnull' | 'truncatecolumns' | 'acceptinvchars' | 'ignoreheader'>;

export function copyOptions(c: NodeConfig, where: SourceLocation): { maxerror: number; options: CopyModelOptions } {
  const maxerror = wholeNumber(c.maxerror ?? 0, 'maxerror', where);
  const options = {
    timeformat: String(c.timeformat ?? 'auto'),
    blanksasnull: toBool(c.blanksasnull ?? false),
    emptyasnull: toBool(c.emptyasnull ?? false),
    truncatecolumns: toBool(c.truncatecolumns ?? false),
    // acceptinvchars=true replaces with '?', as Redshift's bare ACCEPTINVCHARS does; false (or absent) is off.
    ...(c.acceptinvchars !== undefined && c.acceptinvchars !== false && c.acceptinvchars !== 'false'
      ? { acceptinvchars: c.acceptinvchars === true || c.acceptinvchars === 'true' ? '?' : String(c.acceptinvchars) }
      : {}),
    ...(c.ignoreheader !== undefined ? { ignoreheader: wholeNumber(c.ignoreheader, 'ignoreheader', where) } : {}),
  };
  return { maxerror, options };
}

/** What shapes the value of every row: rows loaded under other options would not match new ones. */
export function loadDefinition(format: JsonFormat, options: CopyModelOptions): string {
  return checksum({
    format: format.kind === 'auto' ? `auto${format.ignoreCase ? ' ignorecase' : ''}` : jsonOrText(format.text),
    timeformat: options.timeformat.toLowerCase(),
    blanksasnull: options.blanksasnull,
    emptyasnull: options.emptyasnull,
    // Only when set, so tables loaded before the option existed keep their checksum.
    ...(options.ignoreheader ? { ignoreheader: options.ignoreheader } : {}),
  });
}

function wholeNumber(v: unknown, key: string, where: SourceLocation): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new SparkifyError(`${key} must be a whole number ≥ 0, not '${String(v)}'`, { location: where });
  return n;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
