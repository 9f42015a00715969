/**
 * Epoch milliseconds to UTC timestamp text by arithmetic, with no Date objects: the loader's hot path
 * converts one epoch time a row. The text is exactly `Date#toISOString()` without (or with) its 'Z':
 * `YYYY-MM-DDTHH:MM:SS.mmm`. Years 1 to 9999 only (what Postgres takes in that form).
 */

/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in epoch milliseconds. */
export const MIN_EPOCH_MS = -62135596800000;
export const MAX_EPOCH_MS = 253402300799999;

const MS_PER_DAY = 86400000;

/**
 * Write the timestamp of integral epoch milliseconds `ms` into `out` at `pos`; returns the position after
 * it, or -1 when `ms` is outside years 1-9999 (nothing written). `out` needs 24 bytes of room.
 */
export function writeEpochMs(out: Uint8Array, pos: number, ms: number, zone: boolean): number {
  if (!(ms >= MIN_EPOCH_MS && ms <= MAX_EPOCH_MS)) return -1;
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  // civil_from_days (Howard Hinnant): proleptic Gregorian calendar, eras of 400 years.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const mi = Math.floor(rest / 60000);
  rest -= mi * 60000;
  const s = Math.floor(rest / 1000);
  const f = rest - s * 1000;
  out[pos] = 48 + Math.floor(y / 1000);
  out[pos + 1] = 48 + (Math.floor(y / 100) % 10);
  out[pos + 2] = 48 + (Math.floor(y / 10) % 10);
  out[pos + 3] = 48 + (y % 10);
  out[pos + 4] = 45; // -
  out[pos + 5] = 48 + Math.floor(m / 10);
  out[pos + 6] = 48 + (m % 10);
  out[pos + 7] = 45;
  out[pos + 8] = 48 + Math.floor(d / 10);
  out[pos + 9] = 48 + (d % 10);
  out[pos + 10] = 84; // T
  out[pos + 11] = 48 + Math.floor(h / 10);
  out[pos + 12] = 48 + (h % 10);
  out[pos + 13] = 58; // :
  out[pos + 14] = 48 + Math.floor(mi / 10);
  out[pos + 15] = 48 + (mi % 10);
  out[pos + 16] = 58;
  out[pos + 17] = 48 + Math.floor(s / 10);
  out[pos + 18] = 48 + (s % 10);
  out[pos + 19] = 46; // .
  out[pos + 20] = 48 + Math.floor(f / 100);
  out[pos + 21] = 48 + (Math.floor(f / 10) % 10);
  out[pos + 22] = 48 + (f % 10);
  if (!zone) return pos + 23;
  out[pos + 23] = 90; // Z
  return pos + 24;
}

const scratch = Buffer.alloc(24);

/** The timestamp text of integral epoch milliseconds, or undefined outside years 1-9999. */
export function epochMsText(ms: number, zone: boolean): string | undefined {
  const end = writeEpochMs(scratch, 0, ms, zone);
  return end < 0 ? undefined : scratch.toString('latin1', 0, end);
}
