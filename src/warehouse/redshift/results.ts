import type { ColumnMetadata, Field as DataField } from '@aws-sdk/client-redshift-data';
import type { Field } from '../types.js';

// Data API records as the other drivers give rows: numbers, booleans, Dates, text; Postgres type OIDs.

/** Postgres type OIDs for the Data API's type names, as the other drivers report them. */
const TYPE_OIDS: Record<string, number> = {
  bool: 16, boolean: 16, bytea: 17, varbyte: 17, name: 19, int8: 20, bigint: 20, int2: 21, smallint: 21, int4: 23, integer: 23,
  text: 25, float4: 700, real: 700, float8: 701, 'double precision': 701, float: 701, bpchar: 1042, char: 1042, character: 1042,
  varchar: 1043, 'character varying': 1043, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, timetz: 1266,
  numeric: 1700, decimal: 1700,
};

/** A result column's name, as the pg driver would call it. */
export function columnName(c: ColumnMetadata, i: number): string {
  return c.name ?? c.label ?? `?column${i}?`;
}

export function fieldsOf(meta: ColumnMetadata[]): Field[] {
  return meta.map((c, i) => {
    const oid = TYPE_OIDS[(c.typeName ?? '').toLowerCase()];
    return { name: columnName(c, i), ...(oid ? { typeId: oid } : {}) };
  });
}

/** One cell of a Data API record as the pg driver would give it: numbers, booleans, Dates, text. */
export function fieldValue(f: DataField, meta?: ColumnMetadata): unknown {
  if (f.isNull) return null;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return Buffer.from(f.blobValue);
  if (f.stringValue !== undefined) {
    const s = f.stringValue;
    switch ((meta?.typeName ?? '').toLowerCase()) {
      case 'timestamp':
      case 'timestamptz':
        return utcDate(s);
      case 'date':
        return /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00Z`) : s;
      default:
        return s;
    }
  }
  return null;
}

/** Redshift prints timestamps as `2018-11-01 21:01:46.796` (UTC), timestamptz with `+00`. */
function utcDate(s: string): Date | string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2}(?::?\d{2})?|Z)?$/.exec(s.trim());
  if (!m) return s;
  // A timestamp without a zone is UTC on Redshift (its sessions run in UTC).
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const d = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? s : d;
}
