import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import type { FileRef } from '../src/load/sources/types.js';
import { prefixCover } from '../src/materialize/copy/native-copy.js';
import { formatRows } from '../src/cli/output.js';
import { SqlError } from '../src/warehouse/errors.js';
import { openWarehouse } from '../src/warehouse/index.js';
import { openRedshiftData, type RedshiftDataSettings } from '../src/warehouse/redshift/index.js';
import { redshiftDialect } from '../src/warehouse/redshift/dialect.js';
import { splitStatements, toNamedParameters } from '../src/warehouse/redshift/statements.js';
import type { Warehouse } from '../src/warehouse/types.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { cliPath, hasRealSample, makeProject, realSample, repoRoot, runCli, type CliResult, type Project } from './support/project.js';
import { startRedshiftStandin, type RedshiftStandin } from './support/redshift-standin.js';
import { putObjects, startS3Server, uploadDirectory, type S3Server } from './support/s3-server.js';

// Redshift through the Redshift Data API, tested against the stand-in of test/support/redshift-standin.ts:
// the real AWS SDK, signed HTTP requests, statements run on the local PostgreSQL (PG* variables).

const unreachable = await postgresSkipReason('Redshift stand-in tests (the stand-in runs statements on PostgreSQL)');

/** The IAM role the tests' redshift target COPYs with: it must never appear in an output or an artifact. */
const ROLE = 'arn:aws:iam::123456789012:role/sparkify-test-loader';

describe('the Redshift dialect', () => {
  const r = { schema: 'sparkify', identifier: 'fct_songplays' };

  it('writes DISTSTYLE KEY DISTKEY and a compound SORTKEY into CREATE TABLE AS', () => {
    expect(redshiftDialect.createTableAs(r, 'select 1 as start_time', { dist: 'start_time', sort: ['start_time', 'user_id'], sortType: 'compound' })).toBe(
      'create table sparkify.fct_songplays diststyle key distkey(start_time) compound sortkey(start_time, user_id) as (\nselect 1 as start_time\n)',
    );
  });

  it('takes the distribution styles EVEN, ALL and AUTO, and an interleaved sort key', () => {
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'ALL' })).toBe('create table sparkify.fct_songplays diststyle all as (\nselect 1\n)');
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'even', sort: ['a'] })).toContain(' diststyle even sortkey(a) as (');
    expect(redshiftDialect.createTableAs(r, 'select 1', { dist: 'auto', sort: ['a', 'b'], sortType: 'interleaved' })).toContain(
      ' diststyle auto interleaved sortkey(a, b) as (',
    );
    expect(redshiftDialect.createTableAs(r, 'select 1', {})).toBe('create table sparkify.fct_songplays as (\nselect 1\n)');
  });

  it('puts the attributes after the column list of CREATE TABLE', () => {
    expect(redshiftDialect.createTable(r, '  a int,\n  b text', { dist: 'a', sort: ['b'] })).toBe(
      'create table sparkify.fct_songplays (\n  a int,\n  b text\n) diststyle key distkey(a) sortkey(b)',
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

describe("Redshift's COPY from S3", () => {
  const spec = {
    relation: { schema: 'sparkify', identifier: 'stg_events' },
    columns: ['artist', 'ts'],
    from: 's3://udacity-dend/log_data',
    manifest: false,
    format: { kind: 'jsonpaths' as const, url: "s3://udacity-dend/log_json_path.json" },
    timeformat: 'epochmillisecs',
    blanksasnull: false,
    emptyasnull: false,
    truncatecolumns: false,
    maxerror: 0,
    gzip: false,
  };

  it('is written as Redshift documents it, one clause a line', () => {
    expect(redshiftDialect.copyFromS3!(spec, { iamRole: 'arn:aws:iam::123456789012:role/loader', region: 'us-west-2' })).toBe(
      [
        `copy sparkify.stg_events (artist, ts)`,
        `from 's3://udacity-dend/log_data'`,
        `iam_role 'arn:aws:iam::123456789012:role/loader'`,
        `format as json 's3://udacity-dend/log_json_path.json'`,
        `timeformat 'epochmillisecs'`,
        `region 'us-west-2'`,
        `maxerror 0`,
      ].join('\n'),
    );
    const all = redshiftDialect.copyFromS3!(
      { ...spec, format: { kind: 'auto', ignoreCase: true }, from: "s3://b/it's.manifest", manifest: true, gzip: true, blanksasnull: true, emptyasnull: true, truncatecolumns: true, acceptinvchars: '?', ignoreheader: 2, maxerror: 10, region: 'eu-west-1' },
      { iamRole: 'default', region: 'us-west-2' },
    );
    expect(all.split('\n').slice(1)).toEqual([
      `from 's3://b/it''s.manifest'`,
      'iam_role default',
      `format as json 'auto ignorecase'`,
      `timeformat 'epochmillisecs'`,
      `region 'eu-west-1'`,
      'gzip',
      'blanksasnull',
      'emptyasnull',
      'truncatecolumns',
      `acceptinvchars as '?'`,
      'ignoreheader 2',
      'maxerror 10',
      'manifest',
    ]);
  });

  it('reads exactly the new keys: whole folders where it can, single keys where it must, never a key that starts an old one', () => {
    const ref = (key: string): FileRef => ({ url: `s3://b/${key}`, display: key, size: 1, mtimeMs: 0 });
    const listed = ['log/2018/11/a.json', 'log/2018/11/b.json', 'log/2018/12/c.json', 'log/2018/12/d.json', 'log/2019/01/e.json', 'log/2019/01/f.json', 'log/g.json', 'log/g.json.bak'].map(ref);
    const pick = (...keys: string[]): FileRef[] => listed.filter((f) => keys.includes(f.display));
    const units = (fresh: FileRef[]): string[] => prefixCover('s3://b/log', listed, fresh).units.map((u) => u.from);
    expect(units(listed)).toEqual(['s3://b/log']);
    expect(units(pick('log/2019/01/e.json', 'log/2019/01/f.json'))).toEqual(['s3://b/log/2019/']);
    expect(units(pick('log/2018/12/d.json', 'log/2019/01/e.json', 'log/2019/01/f.json'))).toEqual(['s3://b/log/2018/12/d.json', 's3://b/log/2019/']);
    expect(units(pick('log/g.json.bak'))).toEqual(['s3://b/log/g.json.bak']);
    // g.json alone cannot be read: COPY FROM '.../g.json' reads g.json.bak too.
    expect(prefixCover('s3://b/log', listed, pick('log/g.json')).ambiguous).toEqual([{ key: 's3://b/log/g.json', other: 's3://b/log/g.json.bak' }]);
    // ... unless both are new: then the two go together.
    expect(units(pick('log/g.json', 'log/g.json.bak'))).toEqual(['s3://b/log/g.json']);
    const cover = prefixCover('s3://b/log', listed, pick('log/2018/11/b.json', 'log/2018/12/c.json', 'log/2018/12/d.json'));
    expect(cover.units.map((u) => [u.from, u.files.map((f) => f.display)])).toEqual([
      ['s3://b/log/2018/11/b.json', ['log/2018/11/b.json']],
      ['s3://b/log/2018/12/', ['log/2018/12/c.json', 'log/2018/12/d.json']],
    ]);
  });
});

describe.skipIf(!!unreachable)('Redshift through the Data API stand-in', () => {
  const schema = `sparkify_rs_${process.pid}_${Date.now().toString(36)}`;
  /** Schemas of the CLI projects below, dropped at the end. */
  const schemas: string[] = [];
  const newSchema = (what: string): string => {
    schemas.push(`${schema}_${what}`);
    return `${schema}_${what}`;
  };
  const saved: Record<string, string | undefined> = {};
  let standin: RedshiftStandin;
  let s3: S3Server;
  let env: Record<string, string>;
  const open: Warehouse[] = [];
  /** Every CLI output of these tests, and every project: none may show the IAM role. */
  const outputs: string[] = [];
  const projects: Project[] = [];

  async function openDriver(extra: Partial<RedshiftDataSettings> = {}): Promise<Warehouse> {
    const wh = await openRedshiftData('redshift', { clusterIdentifier: 'standin', database: 'dev', dbUser: 'awsuser', schema, threads: 4, ...extra });
    open.push(wh);
    return wh;
  }

  const sdk = (credentials = { accessKeyId: 'test', secretAccessKey: 'test' }): RedshiftDataClient =>
    new RedshiftDataClient({ region: 'us-east-1', endpoint: standin.endpoint, credentials });

  beforeAll(async () => {
    // The S3 stand-in (s3rver) that COPY reads; sparkify and the Data API stand-in share its keys.
    s3 = await startS3Server();
    standin = await startRedshiftStandin({
      credentials: { test: 'test', S3RVER: 'S3RVER' },
      s3: { endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
      // Several CLI runs at once, each with its sessions: room for them, and idle sessions closed soon.
      maxActiveStatements: 200,
      idleSessionCapSeconds: 10,
    });
    env = {
      AWS_ENDPOINT_URL_REDSHIFT_DATA: standin.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      REDSHIFT_CLUSTER: 'standin',
      REDSHIFT_IAM_ROLE: ROLE,
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
    await s3?.close();
    await Promise.all([schema, ...schemas].map((x) => dropSchema(x)));
  });

  /** A copy of the Sparkify project whose `target` target builds into `schemaName`. */
  function project(target: 'redshift' | 'pg', schemaName: string, opts: { withDatabase?: boolean } = {}): Project {
    const p = makeProject({ withDatabase: opts.withDatabase ?? false });
    const yml = p.read('project.yml');
    const block = new RegExp(`(\\n  ${target}:\\n(?:    .*\\n)*?    schema: )sparkify\\n`);
    expect(yml).toMatch(block);
    p.write('project.yml', yml.replace(block, `$1${schemaName}\n`));
    projects.push(p);
    return p;
  }

  async function cli(p: Project, ...args: string[]): Promise<CliResult> {
    const r = await runCli(p.dir, args, env);
    outputs.push(r.output);
    return r;
  }

  async function show(p: Project, target: string, sql: string): Promise<Record<string, unknown>[]> {
    const r = await cli(p, 'show', '--target', target, '--output', 'json', '--inline', sql);
    if (r.code !== 0) throw new Error(`show --target ${target} failed (${r.code}):\n${r.output}`);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  }

  /** Every file a project wrote under target/ (its artifacts and compiled SQL). */
  function artifacts(p: Project): string[] {
    const dir = path.join(p.dir, 'target');
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'));
  }

  describe('the driver', () => {
    it('reaches the endpoint named by AWS_ENDPOINT_URL_REDSHIFT_DATA and creates the schema', async () => {
      const before = standin.calls().ExecuteStatement ?? 0;
      const wh = await openDriver();
      expect(wh.description).toBe(`Redshift Data API, cluster standin, database dev as awsuser, schema ${schema} (region us-east-1, endpoint ${standin.endpoint})`);
      expect(standin.calls().ExecuteStatement).toBeGreaterThan(before);
      const create = standin.statements().find((s) => s.sql === `create schema if not exists ${schema}`);
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
        await buildAndSwap({ warehouse: wh, node: { name: 'swapped', resource_type: 'model', config: { materialized: 'table', tags: [], enabled: true } } as never }, target, 'table', async (tx, tmp) => {
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
      expect(recorded.sql).toContain('diststyle key distkey(a) compound sortkey(a, b) as (');
      expect(recorded.redshiftClauses).toEqual(['diststyle key', 'distkey(a)', 'compound sortkey(a, b)']);
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
      expect((err as SparkifyError).hint).toMatch(/from S3/);
    });

    it('fails a COPY as Redshift does (no IAM_ROLE, no bucket, no key under the prefix) and keeps pg_last_copy_id() per session', async () => {
      const wh = await openDriver();
      await wh.driver.exec('create table copy_target (a varchar(10))');
      await putObjects(s3.endpoint, 'rs-copy-errors', { 'data/x.json': '{"a": "x"}\n{"a": "y"}\n' });
      const copy = (from: string, rest: string): string => `copy copy_target (a) from '${from}' ${rest}`;
      const fails = (sql: string): Promise<string> => wh.driver.exec(sql).then(() => 'ok', (e: Error) => e.message);
      expect(await fails(copy('s3://rs-copy-errors/data', `format as json 'auto'`))).toMatch(/^Invalid credentials\. Must be of the format: credentials 'aws_iam_role=\.\.\.'/);
      expect(await fails(copy('s3://rs-copy-errors/data', `iam_role 'not-a-role' format as json 'auto'`))).toMatch(/^Invalid IAM_ROLE/);
      expect(await fails(copy('s3://no-such-bucket/data', `iam_role '${ROLE}' format as json 'auto'`))).toMatch(/^S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket/);
      expect(await fails(copy('s3://rs-copy-errors/nothing-here', `iam_role '${ROLE}' format as json 'auto'`))).toBe("The specified S3 prefix 'nothing-here' does not exist");
      expect(await fails(copy('s3://rs-copy-errors/data', `iam_role '${ROLE}' format as json 's3://rs-copy-errors/no-such.json'`))).toMatch(/Error NoSuchKey/);
      expect(await fails(copy('s3://rs-copy-errors/data', `iam_role '${ROLE}' delimiter ','`))).toMatch(/does not implement the COPY parameter DELIMITER/);
      const last = await wh.driver.transaction(async (tx) => {
        expect((await tx.query('select pg_last_copy_id() as id')).rows).toEqual([{ id: -1 }]);
        await tx.exec(copy('s3://rs-copy-errors/data', `iam_role '${ROLE}' format as json 'auto' region 'us-east-1'`));
        return (await tx.query('select pg_last_copy_id() as id, pg_last_copy_count() as n')).rows[0]!;
      });
      const ran = standin.statements().filter((x) => x.copy && x.sql.includes('copy_target') && x.status === 'FINISHED');
      expect(ran).toHaveLength(1);
      expect(last).toEqual({ id: ran[0]!.queryId, n: 2 });
      expect(ran[0]!.copy!.keys).toEqual(['s3://rs-copy-errors/data/x.json']);
      expect((await wh.driver.query('select a from copy_target order by a')).rows).toEqual([{ a: 'x' }, { a: 'y' }]);
      // IGNOREHEADER skips that many lines of each file.
      await putObjects(s3.endpoint, 'rs-copy-errors', { 'header/h.json': 'exported by tool X\n{"a": "h1"}\n{"a": "h2"}\n' });
      await wh.driver.exec(`truncate copy_target; ${copy('s3://rs-copy-errors/header', `iam_role '${ROLE}' format as json 'auto' ignoreheader 1`)}`);
      expect((await wh.driver.query('select a from copy_target order by a')).rows).toEqual([{ a: 'h1' }, { a: 'h2' }]);
    });

    it("the stand-in's COPY follows Redshift's documented rules (expectations written by hand, not by the engine)", async () => {
      // The stand-in is what the engine's Redshift loads are checked against, so it is checked here on its own:
      // JSONPaths (nested, array index, object values as JSON text), BLANKSASNULL, EMPTYASNULL, TRUNCATECOLUMNS
      // (VARCHAR lengths are bytes on Redshift), blank non-character fields as NULL, NUMERIC truncated to its
      // scale, epoch milliseconds, an object over two lines, MAXERROR, and the rows of stl_load_errors.
      const wh = await openDriver();
      await wh.driver.exec('create table copy_rules (n int, id int, name varchar(6), note varchar(20), flag boolean, at timestamp, amount numeric(6,2), nested varchar(40))');
      const b = 'rs-copy-rules';
      await putObjects(s3.endpoint, b, {
        'paths.json': JSON.stringify({ jsonpaths: ["$['n']", "$['id']", "$['name']", "$['note']", "$['flag']", "$['at']", "$['amount']", "$['obj']['inner'][1]"] }),
        'data/a.json': [
          '{"n": 1, "id": 7, "name": "  ", "note": "", "flag": true, "at": 1541105830796, "amount": 12.345, "obj": {"inner": [0, "x"]}}',
          '{"n": 2, "id": "", "name": "abcdefgh", "note": {"k": [1, 2]}, "flag": "no", "at": "1541105830796", "amount": "-0.999", "obj": {"inner": [0]}}',
          '{"n": 3, "id": "12abc", "name": "a"}',
          '{"n": 4,',
          ' "name": "\u00e9\u00e9\u00e9\u00e9"}',
          'not json',
          '{"n": 7, "id": 1.5}',
          '',
        ].join('\n'),
      });
      const copy = (options: string): Promise<{ id: number; n: number } | string> =>
        wh.driver
          .transaction(async (tx) => {
            await tx.exec('truncate copy_rules');
            await tx.exec(`copy copy_rules from 's3://${b}/data' iam_role '${ROLE}' format as json 's3://${b}/paths.json' timeformat 'epochmillisecs' ${options}`);
            return (await tx.query('select pg_last_copy_id() as id, pg_last_copy_count() as n')).rows[0] as { id: number; n: number };
          })
          .catch((e: Error) => e.message);
      const rows = async (): Promise<unknown[]> => (await wh.driver.query('select * from copy_rules order by n')).rows;
      const errors = async (query: number): Promise<unknown[]> => {
        const c = new pg.Client();
        await c.connect();
        try {
          const sql = `select line_number::int as line, trim(colname) as col, trim(raw_field_value) as raw, err_code as code, trim(err_reason) as reason
                       from stl_load_errors where query = $1 order by line_number`;
          return (await c.query(sql, [query])).rows;
        } finally {
          await c.end();
        }
      };
      const at = new Date('2018-11-01T20:57:10.796Z');
      const empty = { id: null, name: null, note: null, flag: null, at: null, amount: null, nested: null };
      const digit = (line: number, raw: string, c: string, pos: number) => ({ line, col: 'id', raw, code: 1207, reason: `Invalid digit, Value '${c}', Pos ${pos}, Type: Integer` });
      const notJson = { line: 6, col: '', raw: '', code: 1224, reason: expect.stringMatching(/^Invalid JSON/) };

      const withOptions = await copy('blanksasnull emptyasnull truncatecolumns maxerror 10');
      expect(withOptions).toMatchObject({ n: 3 });
      expect(await rows()).toEqual([
        { n: 1, id: 7, name: null, note: null, flag: true, at, amount: '12.34', nested: 'x' },
        { n: 2, id: null, name: 'abcdef', note: '{"k":[1,2]}', flag: false, at, amount: '-0.99', nested: null },
        // Four characters, eight bytes: three fit in VARCHAR(6).
        { ...empty, n: 4, name: '\u00e9\u00e9\u00e9' },
      ]);
      expect(await errors((withOptions as { id: number }).id)).toEqual([digit(3, '12abc', 'a', 2), notJson, digit(7, '1.5', '.', 1)]);

      // Without the options: blanks and empty strings stay; too long is a reject, in bytes.
      const plain = await copy('maxerror 10');
      expect(plain).toMatchObject({ n: 1 });
      expect(await rows()).toEqual([{ n: 1, id: 7, name: '  ', note: '', flag: true, at, amount: '12.34', nested: 'x' }]);
      const tooLong = (line: number, raw: string) => ({ line, col: 'name', raw, code: 1204, reason: 'String length exceeds DDL length' });
      expect(await errors((plain as { id: number }).id)).toEqual([tooLong(2, 'abcdefgh'), digit(3, '12abc', 'a', 2), tooLong(4, '\u00e9\u00e9\u00e9\u00e9'), notJson, digit(7, '1.5', '.', 1)]);

      // Five rejects, MAXERROR 4: the COPY fails and its transaction with it.
      const failed = standin.statements().length;
      expect(await copy('maxerror 4')).toBe("Load into table 'copy_rules' failed.  Check 'stl_load_errors' system table for details.");
      expect(await rows()).toEqual([{ n: 1, id: 7, name: '  ', note: '', flag: true, at, amount: '12.34', nested: 'x' }]);
      const failedCopy = standin.statements().slice(failed).find((x) => x.copy)!;
      expect((await errors(failedCopy.queryId)).length).toBe(5);

      // A manifest (an optional entry missing), GZIP, 'auto ignorecase', a column list.
      await putObjects(s3.endpoint, b, {
        'gz/a.json.gz': gzipSync('{"N": 10, "Name": "up", "other": 1}\n{"n": 11}\n'),
        'm.manifest': JSON.stringify({ entries: [{ url: `s3://${b}/gz/a.json.gz`, mandatory: true }, { url: `s3://${b}/gz/missing.json` }] }),
      });
      await wh.driver.exec(`truncate copy_rules; copy copy_rules (n, name) from 's3://${b}/m.manifest' iam_role '${ROLE}' manifest gzip format as json 'auto ignorecase'`);
      expect(await rows()).toEqual([
        { ...empty, n: 10, name: 'up' },
        { ...empty, n: 11 },
      ]);
      expect(standin.statements().findLast((x) => x.copy)!.copy!.keys).toEqual([`s3://${b}/gz/a.json.gz`]);
    });

    it('a run that died gives the run lock up once its heartbeat is stale', async () => {
      const lockSchema = newSchema('lockdead');
      const dead = await openRedshiftData('redshift', { clusterIdentifier: 'standin', database: 'dev', dbUser: 'awsuser', schema: lockSchema, threads: 1 });
      await dead.driver.runLock!({ wait: false });
      // Killed: no release, no more heartbeats.
      await dead.driver.close();
      // Stale 3 s after the last heartbeat: the refusal and the start of the wait below must both come before
      // that (with 1 s, a loaded machine sometimes took longer to get there, and the wait never happened).
      const next = await openRedshiftData('redshift', { clusterIdentifier: 'standin', database: 'dev', dbUser: 'awsuser', schema: lockSchema, threads: 1, runLockStaleSeconds: 3 });
      open.push(next);
      const refused = await next.driver.runLock!({ wait: false }).catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(new RegExp(`another sparkify run holds the lock on schema ${lockSchema} of this Redshift database: .*@.* pid ${process.pid} since \\d{4}-`));
      const waits: (string | undefined)[] = [];
      const t0 = Date.now();
      const release = await next.driver.runLock!({ wait: true, onWait: (holder) => waits.push(holder) });
      expect(waits).toHaveLength(1);
      expect(waits[0]).toContain(`pid ${process.pid}`);
      expect(Date.now() - t0).toBeLessThan(15_000);
      const rows = await next.driver.query(`select holder from ${lockSchema}.sparkify_run_lock`);
      expect(rows.rows).toHaveLength(1);
      await release();
      expect((await next.driver.query(`select holder from ${lockSchema}.sparkify_run_lock`)).rows).toEqual([]);
    });

    it('surfaces ActiveStatementsExceededException clearly', async () => {
      const busy = await startRedshiftStandin({ maxActiveStatements: 1, credentials: { test: 'test', S3RVER: 'S3RVER' } });
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

  /** Questions an analyst asks of the star schema, each answered in a deterministic order. */
  const QUESTIONS: Record<string, string> = {
    counts: `select (select count(*) from fct_songplays) as songplays, (select count(*) from dim_users) as users,
               (select count(*) from dim_time) as times, (select count(*) from dim_songs) as songs,
               (select count(*) from dim_artists) as artists, (select count(*) from fct_songplays where song_id is not null) as linked`,
    plays_by_level: 'select level, count(*) as plays from fct_songplays group by level order by level',
    plays_by_weekday: 'select t.weekday, count(*) as plays from fct_songplays f join dim_time t using (start_time) group by t.weekday order by t.weekday',
    top_users: `select u.user_id, u.first_name, u.last_name, u.level, count(*) as plays from fct_songplays f join dim_users u using (user_id)
                group by u.user_id, u.first_name, u.last_name, u.level order by plays desc, u.user_id limit 5`,
    busiest_hours: 'select t.hour, count(*) as plays from fct_songplays f join dim_time t using (start_time) group by t.hour order by plays desc, t.hour limit 3',
    linked_play: `select f.songplay_id, f.start_time, f.user_id, f.level, f.song_id, f.artist_id, f.session_id, f.location, s.title, s.duration, a.name
                  from fct_songplays f join dim_songs s using (song_id) join dim_artists a on a.artist_id = f.artist_id order by f.songplay_id`,
    first_songplays: 'select * from fct_songplays order by songplay_id limit 5',
    first_users: 'select * from dim_users order by user_id limit 5',
    first_songs: 'select * from dim_songs order by song_id limit 5',
    first_artists: 'select * from dim_artists order by artist_id limit 5',
    first_times: 'select * from dim_time order by start_time limit 5',
  };

  // The two groups below run side by side: each has its own projects, schemas and buckets.
  describe.concurrent('sparkify on the stand-in', () => {
    describe('the warehouse, its staging loaded by COPY from S3', () => {
      const data = hasRealSample ? realSample : path.join(repoRoot, 'sample-data');
      const bucket = 'sparkify-real';
      let rsSchema: string;
      let pgSchema: string;
      let rs: Project;
      let pgp: Project;
      let emb: Project;
      let build: CliResult;
      const others: CliResult[] = [];

      beforeAll(async () => {
        rsSchema = newSchema('wh');
        rs = project('redshift', rsSchema);
        pgSchema = newSchema('pg');
        pgp = project('pg', pgSchema);
        emb = makeProject();
        const local = JSON.stringify({ data_path: data });
        // The same raw files three ways: embedded and pg load them from disk, Redshift's COPY from S3.
        const [e, p, r] = await Promise.all([
          cli(emb, 'build', '--vars', local),
          cli(pgp, 'build', '--target', 'pg', '--vars', local),
          (async () => {
            await uploadDirectory(s3.endpoint, bucket, data);
            return cli(rs, 'build', '--target', 'redshift', '--vars', JSON.stringify({ data_path: `s3://${bucket}` }));
          })(),
        ]);
        build = r!;
        others.push(e!, p!);
      });

      it('builds and tests the warehouse on Redshift, staging loaded by COPY from S3', () => {
        expect(build.code, build.output).toBe(0);
        for (const o of others) expect(o.code, o.output).toBe(0);
        expect(build.stdout).toContain(`Redshift Data API, cluster standin, database dev as awsuser, schema ${rsSchema}`);
        expect(build.stdout).toMatch(/Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0/);
        if (hasRealSample) {
          expect(build.stdout).toMatch(new RegExp(`OK created copy model ${rsSchema}\\.stg_events \\.+ \\[COPY 8056 in`));
          expect(build.stdout).toMatch(new RegExp(`OK created copy model ${rsSchema}\\.stg_songs \\.+ \\[COPY 71 in`));
        }
      });

      it.skipIf(!hasRealSample)("holds exactly the real sample's numbers, one songplay linked to a song", async () => {
        const [counts] = await show(rs, 'redshift', QUESTIONS.counts!);
        expect(counts).toEqual({ songplays: 6820, users: 96, times: 6813, songs: 71, artists: 69, linked: 1 });
      });

      it('answers the same analytics questions identically on embedded, pg and Redshift', async () => {
        // Through the product's own warehouses and its `show --output json` formatting, in this process: one
        // connection each, not a CLI process per question.
        const targets = {
          dev: await openWarehouse('dev', { type: 'embedded', schema: 'public' }, emb.dir),
          pg: await openWarehouse('pg', { type: 'postgres', schema: pgSchema }, pgp.dir),
          redshift: await openWarehouse('redshift', { type: 'redshift', cluster_identifier: 'standin', database: 'dev', db_user: 'awsuser', iam_role: ROLE, schema: rsSchema }, rs.dir),
        };
        try {
          const ask = async (wh: Warehouse, sql: string): Promise<unknown[]> => {
            return JSON.parse(formatRows(await wh.driver.show(sql), 'json')) as unknown[];
          };
          for (const [name, sql] of Object.entries(QUESTIONS)) {
            const [dev, onPg, onRedshift] = await Promise.all([ask(targets.dev, sql), ask(targets.pg, sql), ask(targets.redshift, sql)]);
            expect(dev!.length, name).toBeGreaterThan(0);
            expect(onPg, `${name} on pg`).toEqual(dev);
            expect(onRedshift, `${name} on redshift`).toEqual(dev);
            if (name === 'linked_play' && hasRealSample) expect(onRedshift).toHaveLength(1);
          }
        } finally {
          await Promise.all(Object.values(targets).map((wh) => wh.driver.close()));
        }
      });

      it("sends Redshift's COPY: IAM_ROLE, FORMAT AS JSON with the JSONPaths file on S3, TIMEFORMAT, REGION, MAXERROR", () => {
        const copies = standin.statements().filter((x) => x.copy && x.sql.startsWith(`copy ${rsSchema}.`));
        expect(copies).toHaveLength(2);
        const events = copies.find((x) => x.sql.includes('.stg_events__sparkify_tmp '))!;
        expect(events.status).toBe('FINISHED');
        expect(events.sql).toBe(
          [
            `copy ${rsSchema}.stg_events__sparkify_tmp (artist, auth, first_name, gender, item_in_session, last_name, length, level, location, method, page, registration, session_id, song, status, ts, user_agent, user_id)`,
            `from 's3://${bucket}/log_data'`,
            `iam_role '${ROLE}'`,
            `format as json 's3://${bucket}/log_json_path.json'`,
            `timeformat 'epochmillisecs'`,
            `region 'us-east-1'`,
            'maxerror 0',
          ].join('\n'),
        );
        expect(events.redshiftClauses).toEqual([`iam_role '${ROLE}'`, `format as json 's3://${bucket}/log_json_path.json'`, "timeformat 'epochmillisecs'", "region 'us-east-1'", 'maxerror 0']);
        const logFiles = fs.readdirSync(path.join(data, 'log_data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
        expect(events.copy!.keys).toHaveLength(logFiles);
        const songs = copies.find((x) => x.sql.includes('.stg_songs__sparkify_tmp '))!;
        expect(songs.copy).toMatchObject({ from: `s3://${bucket}/song_data`, format: 'auto', iamRole: ROLE, region: 'us-east-1', maxerror: 0, manifest: false });
      });

      it('creates fct_songplays with its DISTKEY and SORTKEY', () => {
        const create = standin.statements().find((x) => x.sql.startsWith(`create table ${rsSchema}.fct_songplays__sparkify_tmp`));
        expect(create?.sql).toContain(`diststyle key distkey(start_time) sortkey(start_time) as (`);
        expect(create?.redshiftClauses).toEqual(['diststyle key', 'distkey(start_time)', 'sortkey(start_time)']);
        expect(create?.status).toBe('FINISHED');
      });

      it('never shows the IAM role, not even when Redshift refuses it', async () => {
        const refusing = await startRedshiftStandin({
          credentials: { S3RVER: 'S3RVER' },
          s3: { endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
          iamRoles: ['arn:aws:iam::123456789012:role/another-role'],
          idleSessionCapSeconds: 5,
        });
        try {
          const p = project('redshift', newSchema('role'));
          const r = await runCli(p.dir, ['run', '--target', 'redshift', '--select', 'stg_songs', '--vars', JSON.stringify({ data_path: `s3://${bucket}` })], {
            ...env,
            AWS_ENDPOINT_URL_REDSHIFT_DATA: refusing.endpoint,
          });
          outputs.push(r.output);
          expect(r.code, r.output).toBe(1);
          // Redshift's message names the role; sparkify masks it.
          expect(refusing.statements().find((x) => x.copy || /^copy/.test(x.sql))?.error).toContain(`Not authorized to get credentials of role ${ROLE}`);
          expect(r.output).toContain('Not authorized to get credentials of role ****');
          const debug = await cli(p, 'debug', '--target', 'redshift');
          expect(debug.code, debug.output).toBe(0);
          expect(debug.stdout).toContain('iam_role: ****');
          for (const text of [...outputs, ...artifacts(p), ...artifacts(rs)]) expect(text).not.toContain(ROLE);
        } finally {
          await refusing.close();
        }
      });

      it('cancels the running statement on Ctrl-C and exits 130', async () => {
        const child = spawn(process.execPath, [cliPath, 'show', '--target', 'redshift', '--inline', 'select pg_sleep(60) as slept'], {
          cwd: rs.dir,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const sleeping = (): ReturnType<RedshiftStandin['statements']>[number] | undefined =>
          standin.statements().find((x) => x.sql.includes('pg_sleep(60)') && x.status === 'STARTED');
        for (let i = 0; i < 200 && !sleeping(); i++) await new Promise((r) => setTimeout(r, 50));
        const statement = sleeping();
        expect(statement, output).toBeDefined();
        const t0 = Date.now();
        child.kill('SIGINT');
        expect(await exited, output).toBe(130);
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(output).toMatch(/Interrupted: cancelling the running statements/);
        for (let i = 0; i < 40 && standin.statements().find((x) => x.id === statement!.id)?.status === 'STARTED'; i++) await new Promise((r) => setTimeout(r, 50));
        expect(standin.statements().find((x) => x.id === statement!.id)?.status).toBe('ABORTED');
      });
    });

    /** A log event as the raw data has it; `n` makes it distinct. */
    const ev = (n: number, over: Record<string, unknown> = {}): string =>
      JSON.stringify({
        artist: 'Artist', auth: 'Logged In', firstName: 'Ann', gender: 'F', itemInSession: n, lastName: 'Lee', length: 200.5, level: 'free',
        location: 'Town', method: 'PUT', page: 'NextSong', registration: 1540919166796.0, sessionId: 100 + n, song: 'Song', status: 200,
        ts: 1541105830796 + n * 1000, userAgent: 'UA', userId: String(n), ...over,
      });
    const lines = (...events: string[]): string => events.map((e) => `${e}\n`).join('');
    const jsonPaths = (): string => fs.readFileSync(path.join(repoRoot, 'sample-data', 'log_json_path.json'), 'utf8');
    const copiesInto = (schemaName: string): ReturnType<RedshiftStandin['statements']> =>
      standin.statements().filter((x) => x.copy !== undefined && x.sql.startsWith(`copy ${schemaName}.`));

    /** A CLI run in the background, to watch its output as it goes. */
    function background(p: Project, args: string[]): { pid: number; exited: Promise<number>; output(): string; until(re: RegExp): Promise<void> } {
      const child = spawn(process.execPath, [cliPath, ...args], { cwd: p.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const waiters: { re: RegExp; resolve: () => void }[] = [];
      const onData = (d: Buffer): void => {
        out += d.toString();
        for (const w of [...waiters]) {
          if (w.re.test(out)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const exited = new Promise<number>((resolve) =>
        child.on('close', (code) => {
          outputs.push(out);
          resolve(code ?? -1);
        }),
      );
      return {
        pid: child.pid!,
        exited,
        output: () => out,
        until: (re) =>
          re.test(out)
            ? Promise.resolve()
            : new Promise<void>((resolve, reject) => {
                waiters.push({ re, resolve });
                void exited.then(() => reject(new Error(`the run ended before ${re}:\n${out}`)));
              }),
      };
    }

    describe('staging loads and runs', () => {
      it('a second run COPYs only the new keys: a new folder as one prefix, a lone new key by its name', async () => {
        const bucket = 'rs-incremental';
        const sch = newSchema('inc');
        const p = project('redshift', sch);
        const vars = JSON.stringify({ data_path: `s3://${bucket}` });
        await putObjects(s3.endpoint, bucket, {
          'log_json_path.json': jsonPaths(),
          'log_data/2018/11/a.json': lines(ev(1), ev(2), ev(3)),
          'log_data/2018/11/b.json': lines(ev(4), ev(5)),
        });
        const first = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(first.code, first.output).toBe(0);
        expect(first.stdout).toMatch(/\[COPY 5 in/);

        await putObjects(s3.endpoint, bucket, { 'log_data/2018/12/c.json': lines(ev(6), ev(7), ev(8)) });
        const second = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(second.code, second.output).toBe(0);
        expect(second.stdout).toContain('[COPY 3 (1 new file, 2 already loaded)');

        await putObjects(s3.endpoint, bucket, { 'log_data/2018/12/d.json': lines(ev(9)) });
        const third = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(third.code, third.output).toBe(0);
        expect(third.stdout).toContain('[COPY 1 (1 new file, 3 already loaded)');

        const copies = copiesInto(sch);
        expect(copies.map((x) => [x.copy!.from, x.copy!.keys.map((k) => k.slice(`s3://${bucket}/log_data/`.length))])).toEqual([
          [`s3://${bucket}/log_data`, ['2018/11/a.json', '2018/11/b.json']],
          // The whole new folder: every key under it is new.
          [`s3://${bucket}/log_data/2018/12/`, ['2018/12/c.json']],
          // 2018/12/ holds c.json, loaded already: d.json alone, by its full name.
          [`s3://${bucket}/log_data/2018/12/d.json`, ['2018/12/d.json']],
        ]);
        expect(copies.every((x) => x.status === 'FINISHED')).toBe(true);
        expect(await show(p, 'redshift', 'select (select count(*) from stg_events) as n, (select count(*) from sparkify_loaded_files) as files')).toEqual([{ n: 9, files: 4 }]);
      });

      it('MAXERROR n: rejected rows land in sparkify_load_errors and run_results.json as local loads put them; past MAXERROR the load fails naming them', async () => {
        const bucket = 'rs-rejects';
        const rsSchema = newSchema('rej');
        const r = project('redshift', rsSchema);
        const q = project('pg', newSchema('rejpg'));
        const maxerror = (p: Project, n: number): void =>
          p.write('models/staging/stg_events.sql', p.read('models/staging/stg_events.sql').replace(/timeformat="epochmillisecs"( maxerror=\d+)?/, `timeformat="epochmillisecs" maxerror=${n}`));
        maxerror(r, 5);
        maxerror(q, 5);
        await putObjects(s3.endpoint, bucket, {
          'log_json_path.json': jsonPaths(),
          'log_data/bad.json': lines(ev(3), ev(4, { sessionId: 'abc' }), ev(5)),
          'log_data/good.json': lines(ev(1), ev(2)),
        });
        const vars = JSON.stringify({ data_path: `s3://${bucket}` });
        // The same files, loaded by Redshift's COPY and by the engine's loader (pg, reading S3 itself).
        const [a, b] = await Promise.all([
          cli(r, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars),
          cli(q, 'run', '--target', 'pg', '--select', 'stg_events', '--vars', vars),
        ]);
        expect(a.code, a.output).toBe(0);
        expect(b.code, b.output).toBe(0);
        expect(a.stdout).toMatch(/\[COPY 4 in /);
        expect(a.output).toContain(`stg_events: 1 row rejected (maxerror 5), recorded in ${rsSchema}.sparkify_load_errors and target/run_results.json:`);
        const loadErrors = (p: Project): unknown =>
          (JSON.parse(p.read('target/run_results.json')) as { results: { unique_id: string; load_errors?: unknown }[] }).results.find((x) => x.unique_id === 'model.sparkify.stg_events')
            ?.load_errors;
        // The same row, file, line, column and value on both; the reason in each loader's own words (Redshift's
        // as its COPY writes it to stl_load_errors, the engine's as its loader says it).
        const redshiftReason = "Invalid digit, Value 'a', Pos 0, Type: Integer";
        expect(loadErrors(r)).toEqual([{ file: 'bad.json', line: 2, column: 'session_id', raw: 'abc', reason: redshiftReason }]);
        expect(loadErrors(q)).toEqual([{ file: 'bad.json', line: 2, column: 'session_id', raw: 'abc', reason: expect.stringMatching(/abc/) }]);
        const recorded = 'select model, filename, line_number, colname, raw_field_value, err_reason from sparkify_load_errors order by filename, line_number';
        const [onRedshift, onPg] = await Promise.all([show(r, 'redshift', recorded), show(q, 'pg', recorded)]);
        const row = { model: 'stg_events', filename: 'bad.json', line_number: 2, colname: 'session_id', raw_field_value: 'abc' };
        expect(onRedshift).toEqual([{ ...row, err_reason: redshiftReason }]);
        expect(onPg).toEqual([{ ...row, err_reason: (loadErrors(q) as { reason: string }[])[0]!.reason }]);
        expect(copiesInto(rsSchema)[0]!.sql).toMatch(/\nmaxerror 5$/);

        // MAXERROR 0 and a new file with a bad row: the append fails, naming the row; nothing changes.
        maxerror(r, 0);
        await putObjects(s3.endpoint, bucket, { 'log_data/worse.json': lines(ev(6), ev(7, { itemInSession: 'x7' })) });
        const state = 'select (select count(*) from stg_events) as n, (select count(*) from sparkify_loaded_files) as files, (select count(*) from sparkify_load_errors) as errors';
        const before = await show(r, 'redshift', state);
        expect(before).toEqual([{ n: 4, files: 2, errors: 1 }]);
        const fail = await cli(r, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(fail.code, fail.output).toBe(1);
        expect(fail.output).toContain('load failed: 1 row rejected (maxerror 0)');
        expect(fail.output).toMatch(/worse\.json:2 column item_in_session: .+ \(value: "x7"\)/);
        expect(fail.output).toContain('The staging table is unchanged.');
        expect(await show(r, 'redshift', state)).toEqual(before);
        // Redshift's load-error log kept the row through the rollback.
        const failed = copiesInto(rsSchema).pop()!;
        expect(failed.status).toBe('FAILED');
        expect(failed.error).toMatch(/Load into table 'stg_events' failed/);
        const c = new pg.Client();
        await c.connect();
        try {
          const { rows } = await c.query('select trim(filename) as file, line_number::int as line, trim(colname) as col from stl_load_errors where query = $1', [failed.queryId]);
          expect(rows).toEqual([{ file: `s3://${bucket}/log_data/worse.json`, line: 2, col: 'item_in_session' }]);
        } finally {
          await c.end();
        }
      });

      it('a manifest model: one COPY ... MANIFEST for the whole manifest, then each new entry on its own', async () => {
        const bucket = 'rs-manifest';
        const sch = newSchema('man');
        const p = project('redshift', sch);
        p.write('models/staging/stg_events.sql', p.read('models/staging/stg_events.sql').replace('from="log_data"', 'manifest="events.manifest"'));
        const manifest = (...keys: string[]): string => JSON.stringify({ entries: keys.map((k) => ({ url: `s3://${bucket}/${k}`, mandatory: true })) });
        const vars = JSON.stringify({ data_path: `s3://${bucket}` });
        await putObjects(s3.endpoint, bucket, {
          'log_json_path.json': jsonPaths(),
          'log_data/a.json': lines(ev(1), ev(2)),
          'log_data/b.json': lines(ev(3)),
          'events.manifest': manifest('log_data/a.json', 'log_data/b.json'),
        });
        const first = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(first.code, first.output).toBe(0);
        expect(first.stdout).toMatch(/\[COPY 3 in/);
        await putObjects(s3.endpoint, bucket, { 'log_data/c.json': lines(ev(4), ev(5)), 'events.manifest': manifest('log_data/a.json', 'log_data/b.json', 'log_data/c.json') });
        const second = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_events', '--vars', vars);
        expect(second.code, second.output).toBe(0);
        expect(second.stdout).toContain('[COPY 2 (1 new file, 2 already loaded)');
        expect(copiesInto(sch).map((x) => [x.copy!.from, x.copy!.manifest, x.copy!.keys.length])).toEqual([
          [`s3://${bucket}/events.manifest`, true, 2],
          [`s3://${bucket}/log_data/c.json`, false, 1],
        ]);
        expect(copiesInto(sch)[0]!.sql).toMatch(/\nmaxerror 0\nmanifest$/);
      });

      it('local files on a Redshift target: an error that names them and says to put them on S3', async () => {
        const sch = newSchema('local');
        const p = project('redshift', sch);
        const local = path.join(repoRoot, 'sample-data');
        const r = await cli(p, 'run', '--target', 'redshift', '--select', 'stg_songs', '--vars', JSON.stringify({ data_path: local }));
        expect(r.code, r.output).toBe(1);
        expect(r.output).toContain(`cannot read ${path.join(local, 'song_data')} on this machine`);
        expect(r.output).toContain(`Put the raw data on S3 (e.g. aws s3 sync ${local} s3://<bucket>/<prefix>)`);
        expect(standin.statements().some((x) => x.sql.includes(`${sch}.stg_songs`))).toBe(false);
      });

      it('a second run waits for the first, or with --no-wait fails naming it', async () => {
        const sch = newSchema('lock');
        const p = project('redshift', sch);
        // A model that blocks until the test lets it go (an advisory lock the test holds), holding the run lock.
        const key = 424242 + (process.pid % 1000);
        p.write('models/marts/slow.sql', `{{config materialized="table"}}\nselect 1 as x from pg_advisory_xact_lock(${key}) as l\n`);
        const gate = new pg.Client();
        await gate.connect();
        try {
          await gate.query('select pg_advisory_lock($1)', [key]);
          const first = background(p, ['run', '--target', 'redshift', '--select', 'slow']);
          await first.until(/START table model .*slow/);
          const noWait = await cli(p, 'run', '--target', 'redshift', '--select', 'slow', '--no-wait');
          expect(noWait.code, noWait.output).toBe(2);
          expect(noWait.stderr).toMatch(new RegExp(`another sparkify run holds the lock on schema ${sch} of this Redshift database: \\S+@\\S+ pid ${first.pid} since \\d{4}-\\d\\d-\\d\\d`));
          const second = background(p, ['run', '--target', 'redshift', '--select', 'slow']);
          await second.until(/waiting for it to finish/);
          expect(second.output()).toMatch(new RegExp(`Another sparkify run holds this target \\(\\S+@\\S+ pid ${first.pid} since [^)]+\\); waiting for it to finish`));
          expect(second.output()).not.toContain('START');
          await gate.query('select pg_advisory_unlock($1)', [key]);
          expect(await first.exited, first.output()).toBe(0);
          expect(await second.exited, second.output()).toBe(0);
          expect(second.output()).toMatch(/OK created table model .*slow/);
          expect(await show(p, 'redshift', 'select count(*) as holders from sparkify_run_lock')).toEqual([{ holders: 0 }]);
        } finally {
          await gate.end();
        }
      });
    });
  });

  describe('secrets', () => {
    it('no output of these runs and no file under their target/ shows the IAM role', () => {
      expect(outputs.length).toBeGreaterThan(10);
      const files = projects.flatMap(artifacts);
      expect(files.length).toBeGreaterThan(10);
      for (const text of [...outputs, ...files]) expect(text).not.toContain(ROLE);
    });
  });
});
