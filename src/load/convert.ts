import type { CopyOptions } from '../core/copy.js';
import { epochMsText } from './time.js';

export type { CopyOptions } from '../core/copy.js';

/**
 * Convert a JSON value to a COPY text field by the target column's type, with Redshift COPY's rules and
 * options. A value that does not convert throws a ConvertError with the reason (a row of stl_load_errors).
 */

export interface ColumnType {
  name: string;
  /** information_schema data_type, e.g. 'integer', 'character varying', 'timestamp without time zone'. */
  dataType: string;
  maxLength: number | null;
}

export class ConvertError extends Error {}

export const NULL_FIELD = '\\N';

type Converter = (v: unknown) => string;

export function converterFor(col: ColumnType, opts: CopyOptions): Converter {
  const t = col.dataType.toLowerCase();
  if (t === 'smallint' || t === 'integer' || t === 'bigint') return integerConverter(t, opts);
  if (t === 'real' || t === 'double precision' || t === 'numeric') return numberConverter(opts, t);
  if (t === 'boolean') return booleanConverter(opts);
  if (t.startsWith('timestamp')) return timestampConverter(opts, t.includes('with time zone'));
  if (t === 'date') return dateConverter(opts);
  if (t === 'character varying' || t === 'character' || t === 'text') return stringConverter(col, opts);
  // json, jsonb, uuid and anything else: pass the text through; Postgres validates it.
  return (v) => (v === null || v === undefined ? NULL_FIELD : escapeCopy(typeof v === 'object' ? JSON.stringify(v) : String(v)));
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};

function integerConverter(type: string, opts: CopyOptions): Converter {
  const [min, max] = INT_RANGE[type]!;
  const small = type !== 'bigint';
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new ConvertError(`${v} is not a whole number for a ${type} column`);
      if (small ? v < Number(min) || v > Number(max) : !Number.isSafeInteger(v) && (BigInt(v) < min || BigInt(v) > max)) {
        throw new ConvertError(`${v} is out of range for a ${type} column`);
      }
      return String(v);
    }
    if (typeof v === 'string') {
      const s = v.trim();
      if (s === '' && (opts.blanksasnull || opts.emptyasnull)) return NULL_FIELD;
      if (!/^[+-]?\d+$/.test(s)) throw new ConvertError(`invalid digit: '${v}' is not an integer`);
      const n = BigInt(s);
      if (n < min || n > max) throw new ConvertError(`${s} is out of range for a ${type} column`);
      return n.toString();
    }
    if (typeof v === 'boolean') return v ? '1' : '0';
    throw new ConvertError(`a JSON ${Array.isArray(v) ? 'array' : 'object'} cannot go into a ${type} column`);
  };
}

function numberConverter(opts: CopyOptions, type: string): Converter {
  // Postgres refuses a float that overflows, or underflows to zero: a reject here, not a failed COPY.
  const float = type === 'real' || type === 'double precision';
  const range = (n: number, text: string): void => {
    const r = type === 'real' ? Math.fround(n) : n;
    if (!Number.isFinite(r) || (r === 0 && /[1-9]/.test(text.replace(/[eE].*$/, '')))) {
      throw new ConvertError(`${text} is out of range for a ${type} column`);
    }
  };
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    if (typeof v === 'number') {
      if (type === 'real' && Number.isFinite(v)) range(v, String(v));
      return String(v);
    }
    if (typeof v === 'string') {
      const s = v.trim();
      if (s === '' && (opts.blanksasnull || opts.emptyasnull)) return NULL_FIELD;
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new ConvertError(`'${v}' is not a number`);
      if (float) range(Number(s), s);
      return s;
    }
    throw new ConvertError(`a JSON ${typeof v} cannot go into a numeric column`);
  };
}

function booleanConverter(opts: CopyOptions): Converter {
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    if (typeof v === 'boolean') return v ? 't' : 'f';
    if (typeof v === 'number' && (v === 0 || v === 1)) return v ? 't' : 'f';
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (s === '' && (opts.blanksasnull || opts.emptyasnull)) return NULL_FIELD;
      if (['t', 'true', '1', 'y', 'yes'].includes(s)) return 't';
      if (['f', 'false', '0', 'n', 'no'].includes(s)) return 'f';
    }
    throw new ConvertError(`'${String(v)}' is not a boolean`);
  };
}

function timestampConverter(opts: CopyOptions, withZone: boolean): Converter {
  const fmt = opts.timeformat.toLowerCase();
  const scale = fmt === 'epochmillisecs' ? 1 : fmt === 'epochsecs' ? 1000 : 0;
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    if (scale && (typeof v === 'number' || (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)))) {
      // As a Date would take it (whole milliseconds, truncated toward zero), but by arithmetic. ISO text
      // with a Z; for a timestamp without time zone, without it (times are UTC).
      const iso = epochMsText(Math.trunc(Number(v) * scale) + 0, withZone);
      if (iso === undefined) throw new ConvertError(`${String(v)} is not a valid epoch time (TIMEFORMAT '${opts.timeformat}')`);
      return iso;
    }
    if (typeof v === 'string') {
      const s = v.trim();
      if (s === '' && (opts.blanksasnull || opts.emptyasnull)) return NULL_FIELD;
      if (scale) throw new ConvertError(`'${v}' is not an epoch time (TIMEFORMAT '${opts.timeformat}')`);
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/.exec(s);
      // Fields out of range (2018-02-30, 25:00, +16:00) would fail the whole COPY in Postgres: reject the row.
      if (!m || !validDate(m[1]!, m[2]!, m[3]!) || +(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59 || +(m[6] ?? 0) > 59 || +(m[7] ?? 0) > 15 || +(m[8] ?? 0) > 59) {
        throw new ConvertError(`'${v}' is not a timestamp (expected YYYY-MM-DD HH:MI:SS)`);
      }
      return escapeCopy(s);
    }
    if (typeof v === 'number') throw new ConvertError(`${v} is a number; set timeformat 'epochmillisecs' or 'epochsecs' to load epoch times`);
    throw new ConvertError(`a JSON ${typeof v} cannot go into a timestamp column`);
  };
}

function dateConverter(opts: CopyOptions): Converter {
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    if (typeof v === 'string') {
      const s = v.trim();
      if (s === '' && (opts.blanksasnull || opts.emptyasnull)) return NULL_FIELD;
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!)) throw new ConvertError(`'${v}' is not a date (expected YYYY-MM-DD)`);
      return s;
    }
    throw new ConvertError(`a JSON ${typeof v} cannot go into a date column`);
  };
}

/** A calendar date Postgres accepts: year 1-9999, a real month and day. */
function validDate(y: string, m: string, d: string): boolean {
  const [year, month, day] = [+y, +m, +d];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && days !== undefined && day >= 1 && day <= days;
}

function stringConverter(col: ColumnType, opts: CopyOptions): Converter {
  const max = col.maxLength;
  return (v) => {
    if (v === null || v === undefined) return NULL_FIELD;
    let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (s === '' && opts.emptyasnull) return NULL_FIELD;
    if (opts.blanksasnull && s.trim() === '') return NULL_FIELD;
    if (!s.isWellFormed()) {
      if (opts.acceptinvchars === undefined) throw new ConvertError('invalid UTF-8 (an unpaired surrogate); set acceptinvchars to replace it');
      const sub = opts.acceptinvchars;
      // Only the unpaired surrogates: a real U+FFFD in the data stays.
      s = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, () => sub);
    }
    if (s.includes('\0')) throw new ConvertError('a NUL character (\\u0000) cannot be stored in a text column');
    // Postgres counts characters (code points), not UTF-16 units: an emoji is one character.
    if (max !== null && s.length > max && [...s].length > max) {
      if (!opts.truncatecolumns) throw new ConvertError(`a value of ${[...s].length} characters is longer than the column's ${max}; widen the column or set truncatecolumns`);
      s = [...s].slice(0, max).join('');
    }
    return escapeCopy(s);
  };
}

/** Escape text for COPY's text format: backslash, tab, newline and carriage return. */
export function escapeCopy(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
