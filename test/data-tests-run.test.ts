import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { makeProject, runCli, type CliResult, type Project } from './support/project.js';

// Data tests as they run: custom generic tests, test config (thresholds, fail_calc, where, limit, stored
// failures), tests on seeds and sources, and build's test edges, on the embedded database and on PostgreSQL,
// each against data that makes it fail (or warn), and read back from target/run_results.json.

const unreachable = await postgresSkipReason('data tests on PostgreSQL');

/** A small project where every kind of test has something to find; `schema` is the target's schema. */
function project(schema: string, withDatabase: boolean): Project {
  const p = makeProject({ from: 'empty', withDatabase });
  p.write('project.yml', `name: p\ndefault-target: dev\ntargets:\n  dev: { type: embedded, schema: public }\n  pg: { type: postgres, schema: ${schema} }\n`);
  p.write('seeds/countries.csv', 'code,name\nfr,France\nfr,Francia\nde,Germany\n');
  p.write('seeds/s.yml', 'seeds:\n  - name: countries\n    columns:\n      - name: code\n        tests: [unique]\n      - name: name\n        tests: [not_null]\n');
  p.write('models/events.sql', "select * from (values (1, 'fr', 5), (2, 'xx', 50), (3, 'de', null), (4, 'fr', -1)) as t(id, country, score)\n");
  p.write('tests/generic/is_between.sql', '{{!-- test is_between(model, column_name, min_value, max_value) --}}\nselect *\nfrom {{model}}\nwhere {{column_name}} < {{min_value}} or {{column_name}} > {{max_value}}\n');
  p.write('models/events.yml', [
    'sources:',
    '  - name: ref_data',
    `    schema: ${schema}`,
    '    tables:',
    '      - name: countries',
    '        columns:',
    '          - name: code',
    '            tests:',
    '              - unique: {name: source_codes_unique}',
    'models:',
    '  - name: events',
    '    tests:',
    '      - unique: {column_name: "lower(country)"}',
    '    columns:',
    '      - name: country',
    '        tests:',
    '          - relationships:',
    "              to: source('ref_data', 'countries')",
    '              field: code',
    '          - unique: {name: country_dupes, config: {fail_calc: sum(n_records), error_if: ">1"}}',
    '          - unique: {name: country_dupe_groups, config: {error_if: ">1"}}',
    '          - accepted_values: {values: [fr, de], where: "id < 2"}',
    '      - name: score',
    '        tests:',
    '          - is_between: {min_value: 0, max_value: 10}',
    '          - is_between: {name: score_in_range_where, min_value: 0, max_value: 10, config: {where: "id <> 2"}}',
    '          - is_between: {name: score_limited, min_value: 0, max_value: 10, config: {limit: 1}}',
    '          - is_between: {name: score_stored, min_value: 0, max_value: 10, config: {store_failures: true}}',
    '          - is_between: {name: score_stored_view, min_value: 0, max_value: 10, config: {store_failures_as: view}}',
    "          - not_null: {name: score_present_warn, config: {warn_if: '>0', error_if: '>5'}}",
    "          - not_null: {name: score_present_strict, config: {error_if: '>=1'}}",
    '  - name: g',
    '    columns:',
    '      - name: id',
    '        tests: [unique]',
    '  - name: w',
    '    columns:',
    '      - name: id',
    '        tests:',
    '          - unique: {config: {severity: warn}}',
    '',
  ].join('\n'));
  // Models that only read one tested node each: what build runs or skips says which test blocked it.
  p.write('models/g.sql', 'select 1 as id union all select 1\n');
  p.write('models/g_child.sql', 'select * from {{ref "g"}}\n');
  p.write('models/s.sql', 'select 1 as id\n');
  p.write('tests/s_is_empty.sql', 'select * from {{ref "s"}}\n');
  p.write('models/s_child.sql', 'select * from {{ref "s"}}\n');
  p.write('models/w.sql', 'select 1 as id union all select 1\n');
  p.write('models/w_child.sql', 'select * from {{ref "w"}}\n');
  p.write('models/countries_child.sql', 'select * from {{ref "countries"}}\n');
  p.write('models/from_source.sql', `select * from {{source "ref_data" "countries"}}\n`);
  return p;
}

interface Result {
  unique_id: string;
  status: string;
  failures: number | null;
  message: string;
  relation_name: string | null;
}

function results(p: Project): Map<string, Result> {
  const rr = JSON.parse(p.read('target/run_results.json')) as { results: Result[] };
  return new Map(rr.results.map((r) => [r.unique_id.replace(/^(test|model|seed)\.[a-z_]+\./, '$1.'), r]));
}

/** What every target must show after `build`. */
function expectBuild(r: CliResult, p: Project, schema: string): void {
  expect(r.code, r.output).toBe(1);
  const res = results(p);
  const errors = [...res.values()].filter((x) => x.status === 'error').map((x) => `${x.unique_id}: ${x.message}`);
  expect(errors).toEqual([]);
  const status = (id: string): [string, number | null] => [res.get(id)?.status ?? 'missing', res.get(id)?.failures ?? null];
  // A custom generic test: two scores outside 0..10 (null is not outside).
  expect(status('test.is_between_events_score__10__0')).toEqual(['fail', 2]);
  // where (config, and beside the arguments), limit.
  expect(status('test.score_in_range_where')).toEqual(['fail', 1]);
  expect(status('test.accepted_values_events_country__fr__de')).toEqual(['pass', 0]);
  expect(status('test.score_limited')).toEqual(['fail', 1]);
  // fail_calc: two rows share a country (one group): sum(n_records) is 2 > 1 (fail); count(*) is 1, not > 1
  // (and warn_if's default, != 0, makes it a warning, as in dbt).
  expect(status('test.country_dupes')).toEqual(['fail', 2]);
  expect(status('test.country_dupe_groups')).toEqual(['warn', 1]);
  // Thresholds: one null score warns (> 0) without failing (not > 5); >= 1 fails.
  expect(status('test.score_present_warn')).toEqual(['warn', 1]);
  expect(res.get('test.score_present_warn')!.message).toMatch(/^Got 1 result, configured to warn if >0\. See the failing rows: target\/compiled\//);
  expect(status('test.score_present_strict')).toEqual(['fail', 1]);
  expect(res.get('test.score_present_strict')!.message).toMatch(/^Got 1 result, configured to fail if >=1\./);
  // column_name as an SQL expression, on a model-level test: 'fr' twice.
  expect(status('test.unique_events_lower_country_')).toEqual(['fail', 1]);
  // relationships to a source: 'xx' is no country.
  expect(status('test.relationships_events_country__code__source_ref_data_countries_')).toEqual(['fail', 1]);
  // Tests on a seed and on a source.
  expect(status('test.unique_countries_code')).toEqual(['fail', 1]);
  expect(status('test.not_null_countries_name')).toEqual(['pass', 0]);
  expect(status('test.source_codes_unique')).toEqual(['fail', 1]);
  // Stored failures: named in run_results and in the output.
  const audit = `${schema}_dbt_test__audit`;
  expect(res.get('test.score_stored')).toMatchObject({ status: 'fail', failures: 2, relation_name: `${audit}.score_stored` });
  expect(res.get('test.score_stored')!.message).toContain(`See the failing rows: select * from ${audit}.score_stored`);
  expect(r.output).toContain(`select * from ${audit}.score_stored_view`);
  // build: a failing test of any kind skips what depends on what it tests; a warning does not.
  expect(status('model.g_child')[0]).toBe('skipped');
  expect(status('model.s_child')[0]).toBe('skipped');
  expect(status('test.s_is_empty')).toEqual(['fail', 1]);
  expect(status('model.countries_child')[0]).toBe('skipped');
  expect(status('model.from_source')[0]).toBe('skipped');
  expect(status('test.unique_w_id')).toEqual(['warn', 1]);
  expect(status('model.w_child')[0]).toBe('success');
}

describe('data tests on the embedded database', () => {
  let p: Project;
  let build: CliResult;
  beforeAll(async () => {
    p = project('public', true);
    expect((await p.run('seed')).code).toBe(0);
    build = await p.run('build');
  });

  it('each test finds what it should, as run_results.json says, and build skips behind failures', () => {
    expectBuild(build, p, 'public');
  });

  it('failing rows are stored in the audit schema (a table, and a view), replaced by the next run', async () => {
    expect(await p.query('select score from public_dbt_test__audit.score_stored order by score')).toEqual([{ score: -1 }, { score: 50 }]);
    expect(await p.query('select count(*) as n from public_dbt_test__audit.score_stored_view')).toEqual([{ n: 2 }]);
    expect(await p.query("select table_type from information_schema.tables where table_schema = 'public_dbt_test__audit' and table_name = 'score_stored_view'")).toEqual([{ table_type: 'VIEW' }]);
    p.write('models/events.sql', "select * from (values (1, 'fr', 5)) as t(id, country, score)\n");
    const r = await p.run('build', '--select', 'events+');
    expect(results(p).get('test.score_stored')).toMatchObject({ status: 'pass', failures: 0 });
    expect(r.output).toContain('PASS test score_stored');
    expect(await p.query('select count(*) as n from public_dbt_test__audit.score_stored')).toEqual([{ n: 0 }]);
  });

  it("a test reading two models blocks only what is built from both (dbt's test edges), and --select narrows it", async () => {
    const q = makeProject({ from: 'empty' });
    q.write('project.yml', 'name: q\n');
    q.write('models/a.sql', 'select 1 as id union all select 2\n');
    q.write('models/b.sql', 'select 1 as id\n');
    q.write('models/s.yml', "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - relationships: {to: ref('b'), field: id}\n");
    q.write('models/a_child.sql', 'select * from {{ref "a"}}\n');
    q.write('models/ab_child.sql', 'select * from {{ref "a"}} join {{ref "b"}} using (id)\n');
    q.write('models/ab_grandchild.sql', 'select * from {{ref "ab_child"}}\n');
    const r = await q.run('build');
    expect(r.code, r.output).toBe(1);
    const res = results(q);
    expect(res.get('test.relationships_a_id__id__ref_b_')?.status).toBe('fail');
    expect(res.get('model.a_child')?.status).toBe('success');
    expect(res.get('model.ab_child')?.status).toBe('skipped');
    expect(res.get('model.ab_child')?.message).toBe('skipped because relationships_a_id__id__ref_b_ failed');
    expect(res.get('model.ab_grandchild')?.status).toBe('skipped');
    // Without the test in the selection there is no edge.
    expect((await q.run('build', '--exclude', 'test_name:relationships')).code).toBe(0);
  });

  it('test alone reports the same statuses, and exits 0 when only warnings remain', async () => {
    const q = makeProject({ from: 'empty' });
    q.write('project.yml', 'name: q\n');
    q.write('models/m.sql', 'select 1 as id union all select 1\n');
    q.write('models/s.yml', "models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - unique: {config: {warn_if: '>0', error_if: '>1'}}\n");
    expect((await q.run('run')).code).toBe(0);
    const r = await q.run('test');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/WARN test unique_m_id .*\[WARN 1 /);
    q.write('models/s.yml', "models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - unique: {config: {warn_if: '>0', error_if: '>0'}}\n");
    expect((await q.run('test')).code).toBe(1);
    // An aggregate fail_calc over no failing rows is null: an error that says how to write it (dbt errors too).
    q.write('models/m.sql', 'select 1 as id\n');
    q.write('models/s.yml', 'models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - unique: {config: {fail_calc: sum(n_records)}}\n');
    expect((await q.run('run')).code).toBe(0);
    const nul = await q.run('test');
    expect(nul.code).toBe(1);
    expect(nul.output).toContain("fail_calc 'sum(n_records)' gave no number (null)");
    expect(results(q).get('test.unique_m_id')?.status).toBe('error');
  });

  it('a bad threshold or argument stops the command before anything runs (exit 2, file:line)', async () => {
    const q = makeProject({ from: 'empty' });
    q.write('project.yml', 'name: q\n');
    q.write('models/m.sql', 'select 1 as id\n');
    q.write('models/s.yml', "models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - unique: {config: {warn_if: 'lots'}}\n          - accepted_values: {value: [1]}\n");
    const r = await q.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("models/s.yml:6:31: config 'warn_if' is not a comparison: 'lots'");
    expect(r.stderr).toContain("models/s.yml:7:13: test accepted_values has no argument 'value'");
    expect(r.stdout).not.toContain('START');
    q.write('models/s.yml', 'models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - is_positive\n          - relationships: {field: id}\n');
    q.write('tests/generic/is_positive.sql', '{{!-- test is_positive(model, column_name) --}}\nselect * from {{model}}\nwhere {{colum_name}} <= 0\n');
    const missing = await q.run('build');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("models/s.yml:7:13: test relationships is missing argument 'to'");
    expect(missing.stderr).toMatch(/tests\/generic\/is_positive\.sql:3:\d+: template error: "?colum_name"? is not defined\n {2}included from models\/s\.yml:6:13/);
    q.write('tests/generic/is_positive.sql', '{{!-- test is_positive(model, column_name) --}}\nselect * from {{model}}\n{{#if column_name}}where {{column_name}} <= 0\n');
    const syntax = await q.run('build');
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/tests\/generic\/is_positive\.sql:\d+: Handlebars syntax error/);
  });
});

describe.skipIf(!!unreachable)('data tests on PostgreSQL', () => {
  const schema = `sparkify_dt_${process.pid}_${Date.now().toString(36)}`;
  const role = `sparkify_noschema_${process.pid}`;
  let p: Project;
  let build: CliResult;
  beforeAll(async () => {
    p = project(schema, false);
    // The source is the seed's table: it exists before build starts, as a source does.
    expect((await p.run('seed', '--target', 'pg')).code).toBe(0);
    build = await p.run('build', '--target', 'pg', '--threads', '4');
  });
  afterAll(async () => {
    await dropSchema(schema);
    await dropSchema(`${schema}_dbt_test__audit`);
    const c = new pg.Client();
    await c.connect();
    await c.query(`drop owned by ${role}`).catch(() => undefined);
    await c.query(`drop role if exists ${role}`);
    await c.end();
  });

  it('each test finds what it should, as run_results.json says, and build skips behind failures', () => {
    expectBuild(build, p, schema);
  });

  it('failing rows are stored in the audit schema', async () => {
    const c = new pg.Client();
    await c.connect();
    const rows = await c.query(`select score from "${schema}_dbt_test__audit".score_stored order by score`);
    const view = await c.query(`select count(*)::int as n from "${schema}_dbt_test__audit".score_stored_view`);
    await c.end();
    expect(rows.rows).toEqual([{ score: -1 }, { score: 50 }]);
    expect(view.rows).toEqual([{ n: 2 }]);
  });

  it('store_failures where the audit schema cannot be created: the test errors at its YAML line, exit 1', async () => {
    const c = new pg.Client();
    await c.connect();
    await c.query(`create role ${role} login`);
    await c.query(`grant usage, create on schema "${schema}" to ${role}`);
    await c.query(`grant select on all tables in schema "${schema}" to ${role}`);
    await c.query(`drop schema "${schema}_dbt_test__audit" cascade`);
    await c.end();
    const r = await runCli(p.dir, ['test', '--target', 'pg', '--select', 'score_stored'], { PGUSER: role });
    expect(r.code, r.output).toBe(1);
    const line = p.read('models/events.yml').split('\n').findIndex((l) => l.includes('name: score_stored,')) + 1;
    expect(r.output).toMatch(new RegExp(`models/events\\.yml:${line}:13: store_failures: cannot create the audit schema ${schema}_dbt_test__audit: permission denied`));
    expect(r.output).toContain('set store_failures: false');
    const rr = results(p).get('test.score_stored')!;
    expect(rr.status).toBe('error');
  });
});
