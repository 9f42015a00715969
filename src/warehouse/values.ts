// Values as the warehouse holds them, for `show`: the same on every target and in every TZ of this machine.
//
// The drivers' ordinary results are JavaScript values (pg and PGlite turn a `date` into a Date at local or
// UTC midnight, a `timestamp` into a Date read in the machine's zone). `show` must print what the database
// holds instead, so each driver fetches show's rows as the database's own text (pg and PGlite: every type
// parser replaced by the identity for that one query; the Data API: its fields, whose dates and timestamps
// are already text) and turns them into ShowValues here, by column type:
//
//   boolean                               → true / false
//   smallint, integer, bigint, oid,
//   numeric / decimal                     → ExactNumber: the warehouse's digits, written into JSON as a
//                                           number exactly (12.30 stays 12.30, 2^63-1 keeps every digit)
//   real, double precision                → a JSON number (the shortest text that reads back the same double)
//   NaN, Infinity (float or numeric)      → their text, as JSON has no such numbers
//   everything else (date, timestamp, timestamptz, time, interval, text, json, uuid, arrays, ...)
//                                         → the warehouse's text in Postgres output format, DateStyle ISO:
//                                           2018-11-01, 2018-11-01 21:01:46.796, 2018-11-01 21:01:46.796+00
//   bytea / varbyte                       → \x and hex, as Postgres prints bytea
//
// The session's TimeZone is UTC while show's query runs (SHOW_TIME_ZONE), so timestamptz text is UTC on every
// target. Postgres and PGlite set it for show's transaction only; Redshift's sessions are UTC already unless a
// user's default says otherwise.

/** A number as the warehouse printed it; JSON carries its digits unchanged. */
export class ExactNumber {
  constructor(readonly digits: string) {}
  toString(): string {
    return this.digits;
  }
}

export type ShowValue = null | boolean | number | string | ExactNumber;

/** Rows as arrays (two columns may share a name), with the columns' names in order. */
export interface ShowResult {
  columns: string[];
  rows: ShowValue[][];
}

/** Statements that make the session's time zone UTC: `set local` inside a transaction (Postgres, PGlite). */
export const SHOW_TIME_ZONE_LOCAL = "set local time zone 'UTC'";
/** Redshift's form; it lasts for the session (Redshift's own default is UTC). */
export const SHOW_TIME_ZONE_SESSION = "set timezone to 'UTC'";

const BOOL = 16;
const INTEGERS = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOATS = new Set([700, 701]);
const NUMERIC = 1700;

/** What a JSON number may be written as (Postgres prints integers and numerics in this form). */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A value the way Postgres prints it in text format (null for SQL NULL), as show prints it. */
export function fromPostgresText(text: string | null, typeId: number): ShowValue {
  if (text === null) return null;
  if (typeId === BOOL) return text === 't';
  if (INTEGERS.has(typeId) || typeId === NUMERIC) return JSON_NUMBER.test(text) ? new ExactNumber(text) : text;
  if (FLOATS.has(typeId)) return floatValue(Number(text), text);
  // bytea is already \x-hex in Postgres's default bytea_output; everything else is its own text.
  return text;
}

/** The fields of a Redshift Data API record; see GetStatementResult's Field. */
export interface DataApiField {
  isNull?: boolean;
  booleanValue?: boolean;
  longValue?: number;
  doubleValue?: number;
  stringValue?: string;
  blobValue?: Uint8Array;
}

/**
 * A Data API cell as show prints it. Redshift returns integers as longValue, floats as doubleValue, booleans
 * as booleanValue, and numeric, dates, timestamps and text as stringValue in its text format.
 */
export function fromDataApiField(f: DataApiField, typeName: string | undefined): ShowValue {
  if (f.isNull) return null;
  if (f.booleanValue !== undefined) return f.booleanValue;
  // The Data API sends a long as a JSON number, which the AWS SDK reads as a double: an int8 beyond 2^53
  // arrives already rounded.
  if (f.longValue !== undefined) return new ExactNumber(String(f.longValue));
  if (f.doubleValue !== undefined) return floatValue(f.doubleValue, String(f.doubleValue));
  if (f.blobValue !== undefined) return `\\x${Buffer.from(f.blobValue).toString('hex')}`;
  if (f.stringValue !== undefined) {
    const s = f.stringValue;
    const type = (typeName ?? '').toLowerCase();
    if ((type === 'numeric' || type === 'decimal') && JSON_NUMBER.test(s)) return new ExactNumber(s);
    if (type === 'bool' || type === 'boolean') return s === 't' || s === 'true';
    return s;
  }
  return null;
}

function floatValue(n: number, text: string): ShowValue {
  return Number.isFinite(n) ? n : text;
}

/** The text a value prints as in a table or CSV cell (JSON's text for numbers and booleans). */
export function showText(v: ShowValue): string {
  if (v === null) return '';
  return String(v);
}

/** The value as a JSON literal. */
export function showJson(v: ShowValue): string {
  if (v instanceof ExactNumber) return v.digits;
  return JSON.stringify(v);
}

/**
 * PGlite's per-query parsers, every one the identity: PGlite falls back to its own parser for any type the
 * query's parsers do not name, so they must name every type it has a parser for.
 */
export function identityParsers(...known: object[]): Record<number, (text: string) => string> {
  const out: Record<number, (text: string) => string> = {};
  for (const k of known.flatMap((o) => Object.keys(o))) {
    const oid = Number(k);
    if (Number.isInteger(oid)) out[oid] = (text) => text;
  }
  return out;
}
