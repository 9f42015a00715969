// `show`'s query on each driver: rows as the warehouse's text, turned into ShowValues (values.ts), with the
// session's time zone UTC. Only types are imported from the database libraries, so loading this file loads
// none of them (each driver that calls in has already loaded its own).
import type { PGlite } from '@electric-sql/pglite';
import type { ColumnMetadata, Field as DataField } from '@aws-sdk/client-redshift-data';
import type pg from 'pg';
import { toSqlError } from './errors.js';
import { fromDataApiField, fromPostgresText, identityParsers, SHOW_TIME_ZONE_LOCAL, type ShowResult } from './values.js';

/** The embedded database: PGlite's parsers for this one query all return the text Postgres sent. */
export function showOnPglite(db: Pick<PGlite, 'transaction' | 'parsers'>, sql: string): Promise<ShowResult> {
  const parsers = identityParsers(db.parsers);
  return db
    .transaction(async (tx) => {
      await tx.exec(SHOW_TIME_ZONE_LOCAL);
      const r = await tx.query<(string | null)[]>(sql, [], { rowMode: 'array', parsers });
      const types = r.fields.map((f) => f.dataTypeID);
      return { columns: r.fields.map((f) => f.name), rows: r.rows.map((row) => row.map((v, i) => fromPostgresText(v, types[i]!))) };
    })
    .catch((err: unknown) => {
      throw toSqlError(err, sql);
    });
}

/** A PostgreSQL server: one pooled client, in a transaction; no type parsing for this query (not pg.types). */
export async function showOnPostgres(pool: pg.Pool, sql: string): Promise<ShowResult> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(SHOW_TIME_ZONE_LOCAL);
    const r = await client
      .query<(string | null)[]>({ text: sql, rowMode: 'array', types: { getTypeParser: () => (text: string) => text } })
      .catch((err: unknown) => {
        throw toSqlError(err, sql);
      });
    await client.query('commit');
    const types = r.fields.map((f) => f.dataTypeID);
    return { columns: r.fields.map((f) => f.name), rows: r.rows.map((row) => row.map((v, i) => fromPostgresText(v, types[i]!))) };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** One page of a Data API result: GetStatementResult's answer. */
export interface DataApiPage {
  ColumnMetadata?: ColumnMetadata[];
  Records?: DataField[][];
  NextToken?: string;
}

/** A finished Data API statement's result, every page (`page` fetches one: GetStatementResult). */
export async function showOfDataApi(page: (token: string | undefined) => Promise<DataApiPage>): Promise<ShowResult> {
  let meta: ColumnMetadata[] = [];
  const rows: ShowResult['rows'] = [];
  let token: string | undefined;
  do {
    const p = await page(token);
    if (!meta.length && p.ColumnMetadata?.length) meta = p.ColumnMetadata;
    for (const record of p.Records ?? []) rows.push(record.map((f, i) => fromDataApiField(f, meta[i]?.typeName)));
    token = p.NextToken || undefined;
  } while (token);
  return { columns: meta.map((c, i) => c.name ?? c.label ?? `?column${i}?`), rows };
}
