import type { CopyOptions } from '../../core/copy.js';
import type { NodeConfig } from '../../graph/types.js';
import type { JsonFormat } from '../../load/plan.js';
import { checksum } from './ledger.js';

// A copy model's COPY options, from its config, and the checksum of those that shape every row's value.

export type CopyModelOptions = Pick<CopyOptions, 'timeformat' | 'blanksasnull' | 'emptyasnull' | 'truncatecolumns' | 'acceptinvchars' | 'ignoreheader'>;

/** Compile typed and checked every value (project/config-keys.ts): here they only get their COPY defaults. */
export function copyOptions(c: NodeConfig): { maxerror: number; options: CopyModelOptions } {
  const options = {
    timeformat: c.timeformat ?? 'auto',
    blanksasnull: c.blanksasnull ?? false,
    emptyasnull: c.emptyasnull ?? false,
    truncatecolumns: c.truncatecolumns ?? false,
    // acceptinvchars=true replaces with '?', as Redshift's bare ACCEPTINVCHARS does; false (or absent) is off.
    ...(c.acceptinvchars === undefined || c.acceptinvchars === false ? {} : { acceptinvchars: c.acceptinvchars === true ? '?' : c.acceptinvchars }),
    ...(c.ignoreheader !== undefined ? { ignoreheader: c.ignoreheader } : {}),
  };
  return { maxerror: c.maxerror ?? 0, options };
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

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
