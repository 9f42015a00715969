import type { ColumnType } from './convert.js';
import { NULL_FIELD } from './convert.js';
import { MIN_EPOCH_MS, MAX_EPOCH_MS } from './time.js';
import type { CopyOptions } from '../core/copy.js';

/**
 * Postgres' binary COPY format, for loads whose every column has an exact binary form: the database then
 * skips parsing each value's text (timestamps and numbers are the costly ones), about a third of its COPY
 * work. The stream starts with the standard PGCOPY header, by which the warehouse drivers recognise it (a
 * text COPY stream is valid UTF-8 and cannot start with it); then one tuple a row: a 16-bit field count,
 * and each field as a 32-bit length (-1 for NULL) and its bytes, big-endian. No trailer is needed.
 *
 * The values are exactly those of the text format: the same converters decide them (test/load-stream.test.ts
 * loads the same files both ways and compares the tables).
 */

/** "PGCOPY\n\377\r\n\0", flags 0, header extension length 0. */
export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Does a COPY stream (its first chunk) use the binary format? */
export function isBinaryCopy(first: string | Uint8Array): boolean {
  if (typeof first === 'string' || first.length < COPY_BINARY_HEADER.length) return false;
  for (let i = 0; i < 11; i++) if (first[i] !== COPY_BINARY_HEADER[i]) return false;
  return true;
}

export const BIN_TEXT = 1;
export const BIN_INT2 = 2;
export const BIN_INT4 = 3;
export const BIN_INT8 = 4;
export const BIN_FLOAT8 = 5;
export const BIN_BOOL = 6;
export const BIN_TIMESTAMP = 7;

/**
 * A column's binary form, or 0 when it has none we can give exactly (then the whole load uses text):
 * real (float4: rounding a decimal through a double can differ from Postgres' own), numeric, date,
 * json, uuid, timestamps in 'auto' format (Postgres' own parser decides those), and the rest.
 */
export function binaryKind(col: ColumnType, opts: CopyOptions): number {
  const t = col.dataType.toLowerCase();
  if (t === 'character varying' || t === 'character' || t === 'text') return BIN_TEXT;
  if (t === 'smallint') return BIN_INT2;
  if (t === 'integer') return BIN_INT4;
  if (t === 'bigint') return BIN_INT8;
  if (t === 'double precision') return BIN_FLOAT8;
  if (t === 'boolean') return BIN_BOOL;
  const fmt = opts.timeformat.toLowerCase();
  if ((t === 'timestamp without time zone' || t === 'timestamp with time zone') && (fmt === 'epochmillisecs' || fmt === 'epochsecs')) return BIN_TIMESTAMP;
  return 0;
}

/** 2000-01-01T00:00:00Z, Postgres' timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = 946684800000;
const TWO32 = 4294967296;

/** Write Unix milliseconds (integral) as Postgres' binary timestamp: int64 microseconds since 2000-01-01. */
export function writeTimestampUs(out: Uint8Array, p: number, ms: number): number {
  const rel = ms - PG_EPOCH_MS;
  // rel * 1000 can pass 2^53: split it so every step is exact.
  const q = Math.floor(rel / TWO32);
  const r = (rel - q * TWO32) * 1000;
  const carry = Math.floor(r / TWO32);
  return writeInt64(out, p, q * 1000 + carry, r - carry * TWO32);
}

/** An int64 from its high (signed) and low (unsigned) 32-bit halves, big-endian. */
export function writeInt64(out: Uint8Array, p: number, hi: number, lo: number): number {
  out[p] = (hi >> 24) & 255;
  out[p + 1] = (hi >> 16) & 255;
  out[p + 2] = (hi >> 8) & 255;
  out[p + 3] = hi & 255;
  out[p + 4] = (lo >>> 24) & 255;
  out[p + 5] = (lo >>> 16) & 255;
  out[p + 6] = (lo >>> 8) & 255;
  out[p + 7] = lo & 255;
  return p + 8;
}

export function writeInt32(out: Uint8Array, p: number, v: number): number {
  out[p] = (v >> 24) & 255;
  out[p + 1] = (v >> 16) & 255;
  out[p + 2] = (v >> 8) & 255;
  out[p + 3] = v & 255;
  return p + 4;
}

const scratch = new DataView(new ArrayBuffer(8));

export function writeFloat64(out: Uint8Array, p: number, v: number): number {
  scratch.setFloat64(0, v);
  for (let k = 0; k < 8; k++) out[p + k] = scratch.getUint8(k);
  return p + 8;
}

/** A whole number (|v| < 2^53) as int16, int32 or int64 with its length word. */
export function writeIntField(out: Uint8Array, p: number, kind: number, v: number): number {
  if (kind === BIN_INT2) {
    p = writeInt32(out, p, 2);
    out[p] = (v >> 8) & 255;
    out[p + 1] = v & 255;
    return p + 2;
  }
  if (kind === BIN_INT4) return writeInt32(out, writeInt32(out, p, 4), v);
  p = writeInt32(out, p, 8);
  const hi = Math.floor(v / TWO32);
  return writeInt64(out, p, hi, v - hi * TWO32);
}

/**
 * The generic path's field (the COPY text a converter made: escaped, or \N) as a binary field. The
 * converters have already checked the value, so this only re-encodes it.
 */
export function binaryField(kind: number, text: string): Buffer {
  if (text === NULL_FIELD) return Buffer.from([255, 255, 255, 255]);
  switch (kind) {
    case BIN_TEXT: {
      const bytes = Buffer.from(unescapeCopy(text), 'utf8');
      const out = Buffer.allocUnsafe(4 + bytes.length);
      writeInt32(out, 0, bytes.length);
      bytes.copy(out, 4);
      return out;
    }
    case BIN_INT2:
    case BIN_INT4: {
      const out = Buffer.allocUnsafe(kind === BIN_INT2 ? 6 : 8);
      writeIntField(out, 0, kind, Number(text));
      return out;
    }
    case BIN_INT8: {
      const out = Buffer.allocUnsafe(12);
      writeInt32(out, 0, 8);
      out.writeBigInt64BE(BigInt(text), 4);
      return out;
    }
    case BIN_FLOAT8: {
      const out = Buffer.allocUnsafe(12);
      writeInt32(out, 0, 8);
      writeFloat64(out, 4, Number(text));
      return out;
    }
    case BIN_BOOL:
      return Buffer.from([0, 0, 0, 1, text === 't' ? 1 : 0]);
    case BIN_TIMESTAMP: {
      const out = Buffer.allocUnsafe(12);
      writeInt32(out, 0, 8);
      writeTimestampUs(out, 4, isoToEpochMs(text));
      return out;
    }
  }
  throw new Error(`no binary form for column kind ${kind}`);
}

/** Undo escapeCopy: \\, \t, \n, \r. */
export function unescapeCopy(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([\\tnr])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/** 'YYYY-MM-DDTHH:MM:SS.mmm' (with or without a Z), as the epoch converters write it, to Unix ms. */
export function isoToEpochMs(text: string): number {
  const y = +text.slice(0, 4);
  const m = +text.slice(5, 7);
  const d = +text.slice(8, 10);
  // days_from_civil (Howard Hinnant)
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  const ms = days * 86400000 + +text.slice(11, 13) * 3600000 + +text.slice(14, 16) * 60000 + +text.slice(17, 19) * 1000 + +text.slice(20, 23);
  if (!(ms >= MIN_EPOCH_MS && ms <= MAX_EPOCH_MS)) throw new Error(`timestamp out of range: ${text}`);
  return ms;
}
