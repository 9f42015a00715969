import pg from 'pg';

/** Why no PostgreSQL server answers with the PG* variables, or undefined when one does. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The skip reason for a PostgreSQL test file, announced once; in CI (SPARKIFY_REQUIRE_POSTGRES=1) a missing
 * server is a failure, not a skip.
 */
export async function postgresSkipReason(what: string): Promise<string | undefined> {
  const why = await postgresUnreachable();
  if (!why) return undefined;
  if (process.env.SPARKIFY_REQUIRE_POSTGRES === '1') throw new Error(`PostgreSQL is required here (SPARKIFY_REQUIRE_POSTGRES=1) but: ${why}`);
  console.warn(`[skipped] ${what}: no PostgreSQL server reachable with the PG* variables (${why}). Start one and set PGHOST/PGUSER/PGDATABASE to run them.`);
  return why;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client();
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema.replace(/"/g, '""')}" cascade`);
  } finally {
    await client.end();
  }
}
