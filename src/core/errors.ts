import { formatIncludes, formatLocation, type SourceLocation } from './location.js';

/**
 * An error the user can act on. `exitCode` follows the CLI contract:
 * 2 = usage, project or configuration error; 1 = a model, load or test failed.
 */
export class SparkifyError extends Error {
  readonly exitCode: 1 | 2;
  readonly location?: SourceLocation;
  readonly hint?: string;

  constructor(message: string, opts: { location?: SourceLocation; hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SparkifyError';
    this.exitCode = opts.exitCode ?? 2;
    this.location = opts.location;
    this.hint = opts.hint;
  }

  /** `file:line:column: message`, then the include chain of a partial and the hint, each on its own line. */
  format(): string {
    const where = this.location ? `${formatLocation(this.location)}: ` : '';
    const more = [...(this.location ? formatIncludes(this.location) : []), ...(this.hint ? [this.hint] : [])];
    return `${where}${this.message}${more.map((l) => `\n  ${l}`).join('')}`;
  }
}

/** Every problem compile found in a project, reported together (each at its file:line). */
export class SparkifyErrors extends SparkifyError {
  constructor(readonly errors: SparkifyError[]) {
    super(errors.length === 1 ? errors[0]!.message : `${errors.length} errors in the project`, {
      exitCode: errors.some((e) => e.exitCode === 2) ? 2 : 1,
      ...(errors.length === 1 && errors[0]!.location ? { location: errors[0]!.location } : {}),
      ...(errors.length === 1 && errors[0]!.hint ? { hint: errors[0]!.hint } : {}),
    });
    this.name = 'SparkifyErrors';
  }

  override format(): string {
    if (this.errors.length === 1) return this.errors[0]!.format();
    return `${this.errors.length} errors in the project:\n\n${this.errors.map((e) => e.format()).join('\n\n')}`;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof SparkifyError) return err.format();
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Names closest to `name` by edit distance, for "did you mean" hints. */
export function nearest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: [string, number][] = [];
  for (const c of candidates) scored.push([c, editDistance(name.toLowerCase(), c.toLowerCase())]);
  scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const limit = Math.max(2, Math.ceil(name.length / 2));
  return scored.filter(([, d]) => d <= limit).slice(0, max).map(([c]) => c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = nearest(name, candidates);
  return near.length ? `Did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : '';
}
