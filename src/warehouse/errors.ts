import { SparkifyError } from '../core/errors.js';
import type { RejectedRow } from '../core/copy.js';

/** A statement the database refused, normalised across drivers. `position` is 1-based in `statement`. */
export class SqlError extends Error {
  constructor(
    message: string,
    readonly statement: string,
    readonly position?: number,
    readonly code?: string,
    readonly detail?: string,
    readonly dbHint?: string,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

/**
 * A COPY the warehouse ran itself failed because it rejected more rows than MAXERROR allows: `rejected`
 * names them (file, line, column, value, reason), read from the warehouse's load-error log.
 */
export class CopyRejectedError extends Error {
  constructor(
    message: string,
    readonly rejected: RejectedRow[],
    readonly maxerror: number,
  ) {
    super(message);
    this.name = 'CopyRejectedError';
  }
}

interface PgLikeError {
  message: string;
  position?: string | number;
  code?: string;
  detail?: string;
  hint?: string;
}

/** Wrap a Postgres-protocol error (PGlite's or pg's) with the statement that caused it. */
export function toSqlError(err: unknown, statement: string): unknown {
  if (!(err instanceof Error) || err instanceof SqlError) return err;
  const e = err as Error & PgLikeError;
  if (e.code === undefined || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
  const pos = e.position === undefined || e.position === '' ? undefined : Number(e.position);
  return new SqlError(e.message, statement, pos, e.code, e.detail || undefined, e.hint || undefined);
}

/** The run was interrupted (its AbortSignal fired) before this statement started: it was never sent. */
export function notStarted(statement: string): SparkifyError {
  const line = statement.trim().split('\n')[0] ?? '';
  return new SparkifyError(`interrupted: not started: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`, { exitCode: 1 });
}
