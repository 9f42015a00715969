import { spawn } from 'node:child_process';
import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/errors.js';
import { SqlError } from '../src/warehouse/errors.js';
import { openRedshiftData, splitStatements, toNamedParameters, type RedshiftDataSettings } from '../src/warehouse/redshift-data.js';
import { redshiftDialect } from '../src/warehouse/redshift-dialect.js';
import type { Warehouse } from '../src/warehouse/types.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { cliPath, makeProject, runCli, type Project } from './support/project.js';
import { startRedshiftStandin, type RedshiftStandin } from './support/redshift-standin.js';

// Redshift through the Redshift Data API, tested against the stand-in of test/support/redshift-standin.ts:
// the real AWS SDK, signed HTTP requests, statements run on the local PostgreSQL (PG* variables).

const unreachable = await postgresSkipReason('Redshift stand-in tests (the stand-in runs statements on PostgreSQL)');

describe('the Redshift dialect', () => {
  const r = { schema: 'sparkify', identifier: 'fct_songplays' };

  it('writes DISTSTYLE KEY DISTKEY and a compound SORTKEY into CREATE TABLE AS', () => {
    expect(redshiftDialect.createTableAs(r, 'select 1 as start_time', { dist: 'start_time', sort: ['start_time', 'user_id'], sortType: 'compound' })).toBe(
      'create table "sparkify"."fct_songplays" diststyle key distkey("start_time") compound sortkey("start_time", "user_id") as (\nselect 1 as start_time\n)',
    );
  });

  it('takes the distribution styles EVEN, ALL and AUTO, and an interleaved sort key', () => {
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'ALL' })).toBe('create table "sparkify"."fct_songplays" diststyle all as (\nselect 1\n)');
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'even', sort: ['a'] })).toContain(' diststyle even sortkey("a") as (');
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'auto', sort: ['a', 'b'], sortType: 'interleaved' })).toContain(
      ' diststyle auto interleaved sortkey("a", "b") as (',
    );
    expect(redshiftDialect.createTableAs(r, 'select 1', {})).toBe('create table "sparkify"."fct_songplays" as (\nselect 1\n)');
  });

  it('puts the attributes after the column list of CREATE TABLE', () => {
    expect(redshiftDialect.createTable(r, '  a int,\n  b text', { dist: 'a', sort: ['b'] })).toBe(
      'create table "sparkify"."fct_songplays" (\n  a int,\n  b text\n) diststyle key distkey("a") sortkey("b")',
    );
  });

  it('explains dist="key" without a column and too long interleaved keys', () => {
    expect(() => redshiftDialect.createTableAs(r, 'select 1', { dist: 'key' })).toThrow(/needs the column/);
    expect(() => redshiftDialect.createTableAs(r, 'select 1', { sort: 'abcdefghi'.split(''), sortType: 'interleaved' })).toThrow(/at most 8/);
  });
});

describe('Data API statements', () => {
  it('turns $n placeholders into named parameters, outside literals and comments', () => {
    const r = toNamedParameters(`select '$1', "$2", $1 -- $2\n, $2, $3, $4 from t where x = $1`, ['a', 2, null, '']);
    expect(r.sql).toBe(`select '$1', "$2", :p1 -- $2\n, :p2, null, '' from t where x = :p1`);
    expect(r.parameters).toEqual([
      { name: 'p1', value: 'a' },
      { name: 'p2', value: '2' },
    ]);
  });

  it('splits a script at semicolons that are code', () => {
    expect(splitStatements(`create table a (x text default ';'); -- a comment; here\ninsert into a values ('x;y');\n/* ; */ ;`)).toEqual([
      `create table a (x text default ';')`,
      `-- a comment; here\ninsert into a values ('x;y')`,
    ]);
    expect(splitStatements('select 1')).toEqual(['select 1']);
  });
});

describe.skipIf(!!unreachable)('Redshift through the Data API stand-in', () => {
  const schema = `sparkify_rs_${process.pid}_${Date.now().toString(36)}`;
  const saved: Record<string, string | undefined> = {};
  let standin: RedshiftStandin;
  let env: Record<string, string>;
  const open: Warehouse[] = [];

  async function openDriver(extra: Partial<RedshiftDataSettings> = {}): Promise<Warehouse> {
    const wh = await openRedshiftData('redshift', { clusterIdentifier: 'standin', database: 'dev', dbUser: 'awsuser', schema, threads: 4, ...extra });
    open.push(wh);
    return wh;
  }

  const sdk = (credentials = { accessKeyId: 'test', secretAccessKey: 'test' }): RedshiftDataClient =>
    new RedshiftDataClient({ region: 'us-east-1', endpoint: standin.endpoint, credentials });

  beforeAll(async () => {
    standin = await startRedshiftStandin();
    env = {
      AWS_ENDPOINT_URL_REDSHIFT_DATA: standin.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      REDSHIFT_CLUSTER: 'standin',
    };
    // The driver gets its endpoint the way a user's would: the SDK reads AWS_ENDPOINT_URL_REDSHIFT_DATA.
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    delete process.env.AWS_PROFILE;
  });

  afterAll(async () => {
    await Promise.all(open.map((wh) => wh.driver.close()));
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await standin?.close();
    await dropSchema(schema);
  });

  describe('the driver', () => {
    it('reaches the endpoint named by AWS_ENDPOINT_URL_REDSHIFT_DATA and creates the schema', async () => {
      const before = standin.calls().ExecuteStatement ?? 0;
      const wh = await openDriver();
      expect(wh.description).toBe(`Redshift Data API, cluster standin, database dev as awsuser, schema ${schema} (region us-east-1, endpoint ${standin.endpoint})`);
      expect(standin.calls().ExecuteStatement).toBeGreaterThan(before);
      const create = standin.statements().find((s) => s.sql === `create schema if not exists "${schema}"`);
      expect(create?.status).toBe('FINISHED');
    });

    it('pages a 10-row result over 3-row pages and converts the Data API fields', async () => {
      const wh = await openDriver();
      const pages = standin.calls().GetStatementResult ?? 0;
      const r = await wh.driver.query(`
        select g as n, g * 1.5::float8 as x, g % 2 = 0 as even, 'row ' || g as label, cast(g as numeric(10, 2)) as amount,
               timestamp '2018-11-01 21:01:46' + g * interval '1 second' as at, case when g = 3 then null else g end as maybe,
               cast(g as bigint) * 1000000000 as big
        from generate_series(1, 10) as g order by g`);
      expect(standin.calls().GetStatementResult! - pages).toBe(4);
      expect(r.rows).toHaveLength(10);
      expect(r.fields.map((f) => f.name)).toEqual(['n', 'x', 'even', 'label', 'amount', 'at', 'maybe', 'big']);
      expect(r.rows[0]).toEqual({ n: 1, x: 1.5, even: false, label: 'row 1', amount: '1.00', at: new Date('2018-11-01T21:01:47Z'), maybe: 1, big: 1000000000 });
      expect(r.rows[2]!.maybe).toBeNull();
      expect(r.rows.map((x) => x.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(r.fields[0]!.typeId).toBe(23);
    });

    it('submits, then polls DescribeStatement through SUBMITTED and STARTED to FINISHED', async () => {
      // A stand-in of its own that keeps statements SUBMITTED long enough to be seen on a busy machine.
      const slow = await startRedshiftStandin({ startDelayMs: 400 });
      const client = new RedshiftDataClient({ region: 'us-east-1', endpoint: slow.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      try {
        const { Id } = await client.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Database: 'dev', DbUser: 'awsuser', Sql: 'select pg_sleep(0.6)' }));
        const seen: string[] = [];
        for (let i = 0; i < 300 && seen[seen.length - 1] !== 'FINISHED'; i++) {
          const d = await client.send(new DescribeStatementCommand({ Id }));
          if (seen[seen.length - 1] !== d.Status) seen.push(d.Status!);
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(seen).toEqual(['SUBMITTED', 'STARTED', 'FINISHED']);
      } finally {
        client.destroy();
        await slow.close();
      }
    });

    it('reports a FAILED statement as a SqlError with the database message', async () => {
      const wh = await openDriver();
      const err = await wh.driver.query('select * from no_such_table_here').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlError);
      expect((err as SqlError).message).toBe('relation "no_such_table_here" does not exist');
      expect((err as SqlError).statement).toBe('select * from no_such_table_here');
      const recorded = standin.statements().find((s) => s.sql === 'select * from no_such_table_here');
      expect(recorded).toMatchObject({ status: 'FAILED', error: 'ERROR: relation "no_such_table_here" does not exist' });
    });

    it('resolves unqualified names in the target schema and passes parameters as named parameters', async () => {
      const wh = await openDriver();
      await wh.driver.exec('create table unqualified_t as select 1 as a');
      const r = await wh.driver.query(wh.dialect.listRelations() + ' and table_name = $2', [schema, 'unqualified_t']);
      expect(r.rows).toEqual([{ identifier: 'unqualified_t', kind: 'table' }]);
      const sent = standin.statements().filter((s) => s.parameters?.some((p) => p.value === 'unqualified_t'));
      expect(sent[0]!.sql).toContain('table_schema = :p1 and table_name = :p2');
      expect(sent[0]!.parameters).toEqual([
        { name: 'p1', value: schema },
        { name: 'p2', value: 'unqualified_t' },
      ]);
    });

    it('reuses idle sessions, and starts a new one when the service has closed them', async () => {
      const wh = await openDriver();
      await wh.driver.query('select 1 as one');
      await wh.driver.query('select 2 as two');
      const sessionOf = (sql: string): string | undefined => standin.statements().find((s) => s.sql === sql)?.sessionId;
      expect(sessionOf('select 2 as two')).toBe(sessionOf('select 1 as one'));
      standin.expireSessions();
      expect((await wh.driver.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
      expect(sessionOf('select 3 as three')).toBeDefined();
      expect(sessionOf('select 3 as three')).not.toBe(sessionOf('select 1 as one'));
    });

    it('commits a transaction, whose statements see each other in one session', async () => {
      const wh = await openDriver();
      const n = await wh.driver.transaction(async (tx) => {
        await tx.exec('create table tx_commit (x int)');
        await tx.exec('insert into tx_commit values (1), (2)');
        return (await tx.query('select count(*) as n from tx_commit')).rows[0]!.n;
      });
      expect(n).toBe(2);
      expect((await wh.driver.query('select count(*) as n from tx_commit')).rows).toEqual([{ n: 2 }]);
      const txStatements = standin.statements().filter((s) => /tx_commit/.test(s.sql));
      expect(new Set(txStatements.slice(0, 3).map((s) => s.sessionId)).size).toBe(1);
    });

    it('rolls back a transaction that throws: nothing of it is visible', async () => {
      const wh = await openDriver();
      const err = await wh.driver
        .transaction(async (tx) => {
          await tx.exec('create table tx_rollback (x int)');
          await tx.exec('insert into tx_rollback values (1)');
          expect((await tx.query('select count(*) as n from tx_rollback')).rows[0]!.n).toBe(1);
          throw new Error('boom');
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).toBe('boom');
      const r = await wh.driver.query('select count(*) as n from information_schema.tables where table_schema = $1 and table_name = $2', [schema, 'tx_rollback']);
      expect(r.rows).toEqual([{ n: 0 }]);
      expect(standin.statements().some((s) => s.sql === 'rollback' && s.status === 'FINISHED')).toBe(true);
    });

    it('swaps a table in atomically through the materializer path (listRelations inside the transaction)', async () => {
      const wh = await openDriver();
      const { buildAndSwap } = await import('../src/materialize/swap.js');
      const target = { schema, identifier: 'swapped' };
      for (const v of [1, 2]) {
        await buildAndSwap(wh, target, async (tx, tmp) => {
          await tx.exec(wh.dialect.createTableAs(tmp, `select ${v} as v`, { dist: 'v', sort: ['v'] }));
        });
      }
      expect((await wh.driver.query('select v from swapped')).rows).toEqual([{ v: 2 }]);
    });

    it('records the DISTKEY and SORTKEY of a CREATE TABLE AS and runs it on Postgres without them', async () => {
      const wh = await openDriver();
      const sql = redshiftDialect.createTableAs({ schema, identifier: 'dist_sort_t' }, 'select 1 as a, 2 as b', { dist: 'a', sort: ['a', 'b'], sortType: 'compound' });
      await wh.driver.exec(sql);
      const recorded = standin.statements().find((s) => s.sql === sql)!;
      expect(recorded.sql).toContain('diststyle key distkey("a") compound sortkey("a", "b") as (');
      expect(recorded.redshiftClauses).toEqual(['diststyle key', 'distkey("a")', 'compound sortkey("a", "b")']);
      expect(recorded.executed).not.toMatch(/distkey|sortkey|diststyle/);
      expect((await wh.driver.query('select a, b from dist_sort_t')).rows).toEqual([{ a: 1, b: 2 }]);
    });

    it('runs the statements of one exec as one BatchExecuteStatement: all or nothing', async () => {
      const wh = await openDriver();
      const r = await wh.driver.exec('create table batch_ok (x int); insert into batch_ok values (1), (2); select count(*) as n from batch_ok');
      expect(r.rows).toEqual([{ n: 2 }]);
      expect(standin.statements().filter((s) => /batch_ok/.test(s.sql)).every((s) => s.operation === 'BatchExecuteStatement')).toBe(true);

      const err = await wh.driver.exec(`create table batch_bad (x int); insert into batch_bad values ('not a number')`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlError);
      expect((err as SqlError).message).toMatch(/invalid input syntax for type integer/);
      expect((err as SqlError).statement).toBe(`insert into batch_bad values ('not a number')`);
      const left = await wh.driver.query(`select count(*) as n from information_schema.tables where table_schema = $1 and table_name = 'batch_bad'`, [schema]);
      expect(left.rows).toEqual([{ n: 0 }]);
    });

    it('refuses loads from this machine with a clear message', async () => {
      const wh = await openDriver();
      const err = await wh.driver.copyIn({ schema, identifier: 'x' }, ['a'], (async function* () {})()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SparkifyError);
      expect((err as Error).message).toMatch(/COPY FROM STDIN\) is not available on Redshift/);
    });

    it('surfaces ActiveStatementsExceededException clearly', async () => {
      const busy = await startRedshiftStandin({ maxActiveStatements: 1 });
      const saved = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
      process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = busy.endpoint;
      try {
        const wh = await openDriver({ busyRetries: 1 });
        const results = await Promise.allSettled([wh.driver.query('select pg_sleep(2)'), wh.driver.query('select pg_sleep(2)')]);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected).toHaveLength(1);
        const err = rejected[0]!.reason as SparkifyError;
        expect(err).toBeInstanceOf(SparkifyError);
        expect(err.message).toMatch(/too many statements are running at once \(ActiveStatementsExceededException: Active statements exceeded the allowed quota \(1\)\.\)/);
        expect(err.hint).toMatch(/--threads/);

        // On the wire: HTTP 400 with the service's error type, as the SDK reports it.
        const client = new RedshiftDataClient({ region: 'us-east-1', endpoint: busy.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
        await client.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Database: 'dev', Sql: 'select pg_sleep(1)' }));
        const refused = await client.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Database: 'dev', Sql: 'select 1' })).catch((e: unknown) => e);
        client.destroy();
        expect((refused as Error).name).toBe('ActiveStatementsExceededException');
        expect((refused as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
      } finally {
        process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = saved;
        await busy.close();
      }
    });

    it('rejects unsigned requests, unknown keys and bad signatures', async () => {
      const body = JSON.stringify({ ClusterIdentifier: 'standin', Database: 'dev', Sql: 'select 1' });
      const unsigned = await fetch(standin.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'RedshiftData.ExecuteStatement' },
        body,
      });
      expect(unsigned.status).toBe(400);
      expect(unsigned.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await unsigned.json()).toEqual({ __type: 'MissingAuthenticationTokenException', Message: 'Missing Authentication Token' });

      const wrongSecret = sdk({ accessKeyId: 'test', secretAccessKey: 'not-the-secret' });
      const bad = await wrongSecret.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Database: 'dev', Sql: 'select 1' })).catch((e: unknown) => e);
      wrongSecret.destroy();
      expect((bad as Error).name).toBe('InvalidSignatureException');

      const unknownKey = sdk({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' });
      const unknown = await unknownKey.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Database: 'dev', Sql: 'select 1' })).catch((e: unknown) => e);
      unknownKey.destroy();
      expect((unknown as Error).name).toBe('UnrecognizedClientException');

      const invalid = sdk();
      const noDatabase = await invalid.send(new ExecuteStatementCommand({ ClusterIdentifier: 'standin', Sql: 'select 1' })).catch((e: unknown) => e);
      invalid.destroy();
      expect((noDatabase as Error).name).toBe('ValidationException');
    });

    it('never shows the secret ARN, not even when the connection fails', async () => {
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sparkify/redshift-AbCdEf';
      const wh = await openDriver({ clusterIdentifier: 'standin', secretArn: arn });
      expect(wh.description).not.toContain('secret:');
      expect(wh.description).toContain('credentials from Secrets Manager');
      const saved = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
      process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = 'http://127.0.0.1:9';
      try {
        const err = await openRedshiftData('redshift', { clusterIdentifier: 'standin', database: 'dev', secretArn: arn, schema, threads: 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SparkifyError);
        expect((err as SparkifyError).format()).toMatch(/cannot use Redshift \(cluster standin, database dev \(credentials from Secrets Manager\)/);
        expect((err as SparkifyError).format()).not.toContain('sparkify/redshift');
      } finally {
        process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = saved;
      }
    });

    it('explains a target that names no cluster, workgroup or secret', async () => {
      await expect(openRedshiftData('redshift', { database: 'dev', schema, threads: 1 })).rejects.toThrow(/does not say which Redshift to use/);
    });
  });

  describe('sparkify on the stand-in', () => {
    let project: Project;
    const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(project.dir, args, env);
    const show = async (sql: string, target: string): Promise<Record<string, unknown>[]> => {
      const r = await cli('show', '--target', target, '--output', 'json', '--inline', sql);
      if (r.code !== 0) throw new Error(`show --target ${target} failed (${r.code}):\n${r.output}`);
      return JSON.parse(r.stdout) as Record<string, unknown>[];
    };
    let build: Awaited<ReturnType<typeof runCli>>;

    beforeAll(async () => {
      project = makeProject({ withDatabase: false });
      project.write('project.yml', project.read('project.yml').replace(/^(    schema: )sparkify$/gm, `$1${schema}`));
      // The staging COPY loads need Redshift's COPY from S3: load them through the pg target into the same
      // schema of the same database, then build everything else on Redshift.
      const staged = await cli('run', '--target', 'pg', '--select', 'stg_events', 'stg_songs');
      expect(staged.code, staged.output).toBe(0);
      standin.clearStatements();
      build = await cli('build', '--target', 'redshift', '--exclude', 'stg_events', 'stg_songs');
    });

    it('builds and tests the marts', () => {
      expect(build.code, build.output).toBe(0);
      expect(build.stdout).toContain(`Redshift Data API, cluster standin, database dev as awsuser, schema ${schema}`);
      expect(build.stdout).toMatch(/Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0/);
    });

    it('creates fct_songplays with its DISTKEY and SORTKEY', () => {
      const create = standin.statements().find((s) => s.sql.startsWith(`create table "${schema}"."fct_songplays__sparkify_tmp"`));
      expect(create?.sql).toContain(`diststyle key distkey("start_time") sortkey("start_time") as (`);
      expect(create?.redshiftClauses).toEqual(['diststyle key', 'distkey("start_time")', 'sortkey("start_time")']);
      expect(create?.status).toBe('FINISHED');
    });

    it('holds the counts the staging data implies', async () => {
      const [counts] = await show(
        `select (select count(*) from fct_songplays) as songplays, (select count(*) from dim_users) as users,
                (select count(*) from dim_time) as times, (select count(*) from dim_songs) as songs,
                (select count(*) from dim_artists) as artists`,
        'redshift',
      );
      const client = new pg.Client();
      await client.connect();
      await client.query(`set search_path to "${schema}"`);
      const { rows } = await client.query(`
        select (select count(*) from stg_events where page = 'NextSong')::int as songplays,
               (select count(distinct user_id) from stg_events where page = 'NextSong' and user_id <> '')::int as users,
               (select count(distinct ts) from stg_events where page = 'NextSong')::int as times,
               (select count(distinct song_id) from stg_songs)::int as songs,
               (select count(distinct artist_id) from stg_songs)::int as artists`);
      await client.end();
      expect(counts).toEqual(rows[0]);
      expect(counts!.songplays).toBeGreaterThan(100);
    });

    it('answers analytics questions exactly as the pg target does on the same tables', async () => {
      const questions = [
        'select level, count(*) as plays from fct_songplays group by level order by level',
        'select t.weekday, count(*) as plays from fct_songplays f join dim_time t using (start_time) group by t.weekday order by t.weekday',
        'select * from fct_songplays order by songplay_id limit 7',
        'select * from dim_artists order by artist_id limit 5',
      ];
      for (const q of questions) {
        const [a, b] = await Promise.all([show(q, 'redshift'), show(q, 'pg')]);
        expect(a, q).toEqual(b);
        expect(a.length, q).toBeGreaterThan(0);
      }
    });

    it('cancels the running statement on Ctrl-C and exits 130', async () => {
      const child = spawn(process.execPath, [cliPath, 'show', '--target', 'redshift', '--inline', 'select pg_sleep(60) as slept'], {
        cwd: project.dir,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const sleeping = (): ReturnType<RedshiftStandin['statements']>[number] | undefined =>
        standin.statements().find((s) => s.sql.includes('pg_sleep(60)') && s.status === 'STARTED');
      for (let i = 0; i < 200 && !sleeping(); i++) await new Promise((r) => setTimeout(r, 50));
      const statement = sleeping();
      expect(statement, output).toBeDefined();
      const t0 = Date.now();
      child.kill('SIGINT');
      expect(await exited, output).toBe(130);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(output).toMatch(/cancelling 1 running Redshift statement/);
      for (let i = 0; i < 40 && standin.statements().find((s) => s.id === statement!.id)?.status === 'STARTED'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(standin.statements().find((s) => s.id === statement!.id)?.status).toBe('ABORTED');
    });
  });
});
