import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { makeProject, runCli, type CliResult, type Project } from './support/project.js';
import { startRedshiftStandin, type RedshiftStandin } from './support/redshift-standin.js';

// `show` prints values as the warehouse holds them: the same text on the embedded database, PostgreSQL and
// Redshift (the Data API stand-in), whatever TZ the machine runs in. Every run is the built CLI.

const unreachable = await postgresSkipReason('show on pg and the Redshift stand-in');

const TARGETS = ['dev', 'pg', 'redshift'] as const;
const ZONES = ['UTC', 'Asia/Tokyo', 'America/Los_Angeles'];

// A table with the types whose printing differs between drivers and zones. 00:30 and 23:30 are the times a
// zone shift moves to another day; 2^53 - 1 is the largest bigint every target carries exactly (the Data API
// sends a long as a JSON number).
const TYPED_MODEL = `{{config materialized="table"}}
select 1 as k, date '2018-01-01' as d, timestamp '2018-01-01 00:30:00' as ts, timestamp '2018-11-01 21:01:46.796' as ts_ms,
       cast('2018-11-01 23:30:00.5+00' as timestamptz) as tz, cast(12.30 as numeric(12, 2)) as amount,
       cast(12345678901234567890.12 as numeric(22, 2)) as wide, cast(9007199254740991 as bigint) as big, true as flag,
       cast(null as integer) as nothing, cast('Tokyo, "quoted"' as varchar(32)) as label, cast(0.1 as float8) as ratio
union all
select 2, null, null, null, null, null, null, null, false, 7, null, null
`;

const EXPECTED = JSON.stringify([
  {
    k: 1, d: '2018-01-01', ts: '2018-01-01 00:30:00', ts_ms: '2018-11-01 21:01:46.796', tz: '2018-11-01 23:30:00.5+00', amount: 1230, wide: 0, big: 9007199254740991,
    flag: true, nothing: null, label: 'Tokyo, "quoted"', ratio: 0.1,
  },
  { k: 2, d: null, ts: null, ts_ms: null, tz: null, amount: null, wide: null, big: null, flag: false, nothing: 7, label: null, ratio: null },
])
  // numeric keeps the warehouse's digits in JSON (JSON.stringify cannot write them): 12.30, not 12.3.
  .replace('"amount":1230', '"amount":12.30')
  .replace('"wide":0', '"wide":12345678901234567890.12');

describe.skipIf(unreachable)('show prints values as the warehouse holds them', () => {
  const schema = `show_${process.pid}`;
  let standin: RedshiftStandin;
  let p: Project;
  let env: Record<string, string>;

  const cli = async (args: string[], tz = 'UTC'): Promise<CliResult> => runCli(p.dir, args, { ...env, TZ: tz });

  beforeAll(async () => {
    standin = await startRedshiftStandin({ idleSessionCapSeconds: 10 });
    env = {
      AWS_ENDPOINT_URL_REDSHIFT_DATA: standin.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      REDSHIFT_CLUSTER: 'standin',
    };
    p = makeProject();
    // The pg and redshift targets build into schemas of their own (both on the local PostgreSQL).
    const schemas = [`${schema}_pg`, `${schema}_rs`];
    p.write('project.yml', p.read('project.yml').replace(/^(    schema: )sparkify$/gm, (_m, head: string) => `${head}${schemas.shift()!}`));
    expect(p.read('project.yml')).toContain(`schema: ${schema}_rs`);
    p.write('models/marts/typed.sql', TYPED_MODEL);
    for (const target of TARGETS) {
      const r = await cli(['run', '--select', 'typed', '--target', target]);
      expect(r.code, r.output).toBe(0);
    }
  });

  afterAll(async () => {
    await standin?.close();
    await Promise.all([dropSchema(`${schema}_pg`), dropSchema(`${schema}_rs`)]);
  });

  it('--output json: the same JSON array, and nothing else, on every target and in every TZ', async () => {
    const runs = TARGETS.flatMap((target) => ZONES.map((tz) => ({ target, tz })));
    const results = await Promise.all(
      runs.map(({ target, tz }) => cli(['show', '--target', target, '--output', 'json', '--inline', 'select * from {{ref "typed"}} order by k'], tz)),
    );
    results.forEach((r, i) => {
      const { target, tz } = runs[i]!;
      expect(r.code, `${target} TZ=${tz}\n${r.output}`).toBe(0);
      expect(r.stdout, `${target} TZ=${tz}`).toBe(`${EXPECTED}\n`);
      expect(JSON.parse(r.stdout), `${target} TZ=${tz}`).toHaveLength(2);
    });
  });

  it('table and CSV print the same text on every target', async () => {
    for (const format of ['table', 'csv']) {
      const outs = await Promise.all(
        TARGETS.map((target) => cli(['show', '--target', target, '--output', format, '--select', 'typed'], 'Asia/Tokyo')),
      );
      for (const r of outs) expect(r.code, r.output).toBe(0);
      const [dev, ...others] = outs.map((r) => r.stdout.split('\n').sort().join('\n'));
      for (const o of others) expect(o).toBe(dev);
    }
    const csv = await cli(['show', '--output', 'csv', '--inline', 'select * from {{ref "typed"}} order by k'], 'America/Los_Angeles');
    expect(csv.stdout).toBe(
      'k,d,ts,ts_ms,tz,amount,wide,big,flag,nothing,label,ratio\n' +
        '1,2018-01-01,2018-01-01 00:30:00,2018-11-01 21:01:46.796,2018-11-01 23:30:00.5+00,12.30,12345678901234567890.12,9007199254740991,true,,"Tokyo, ""quoted""",0.1\n' +
        '2,,,,,,,,false,7,,\n',
    );
  });

  it('prints bigints beyond 2^53 with every digit, and NaN, Infinity, bytea, intervals and arrays as their text (embedded and pg)', async () => {
    const sql = `select cast(9223372036854775807 as bigint) as max, cast('NaN' as float8) as nan, cast('-Infinity' as float8) as ninf,
      cast('NaN' as numeric) as nnan, cast('\\xdead' as bytea) as bytes, interval '1 day 2 hours' as span, time '21:01:46' as at,
      array[1, 2] as arr, cast('{"a": 1}' as jsonb) as doc, cast(-0.5 as numeric) as half`;
    const expected = '[{"max":9223372036854775807,"nan":"NaN","ninf":"-Infinity","nnan":"NaN","bytes":"\\\\xdead","span":"1 day 02:00:00","at":"21:01:46","arr":"{1,2}","doc":"{\\"a\\": 1}","half":-0.5}]\n';
    for (const target of ['dev', 'pg']) {
      const r = await cli(['show', '--target', target, '--output', 'json', '--inline', sql], 'Asia/Tokyo');
      expect(r.code, r.output).toBe(0);
      expect(r.stdout, target).toBe(expected);
    }
  });
});
