import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import { compileProject, type CompileResult } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { synthesizeTestName } from '../src/testing/generic.js';

// Generic tests are templates, built-in and custom alike: tests/generic/<name>.sql declares its parameters,
// YAML passes arguments, compile checks them against the signature and renders the test where it is declared.

async function compile(files: Record<string, string>): Promise<CompileResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-generic-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  const project = await loadProject(dir);
  const env: RenderEnv = { projectName: project.config.name, target: { name: 'dev', type: 'embedded', schema: 'public' }, vars: project.config.vars, env: {} };
  return compileProject(project, await TemplateEngine.create(env, project.macros, project.dir), env);
}

const IS_BETWEEN = `{{!-- test is_between(model, column_name, min_value, max_value, inclusive=true) --}}
select *
from {{model}}
where not ({{column_name}} {{#if inclusive}}between {{min_value}} and {{max_value}}{{else}}> {{min_value}} and {{column_name}} < {{max_value}}{{/if}})
`;

const base = (tests: string): Record<string, string> => ({
  'project.yml': 'name: p\n',
  'models/m.sql': 'select 1 as id, 5 as score\n',
  'tests/generic/is_between.sql': IS_BETWEEN,
  'models/s.yml': `models:\n  - name: m\n    columns:\n      - name: score\n        tests:\n${tests}`,
});

const formatted = (r: CompileResult): string[] => r.errors.map((e) => e.format());

describe('custom generic tests', () => {
  it('see the tested relation, the column and every argument as variables, and defaults apply', async () => {
    const r = await compile(base('          - is_between: {min_value: 0, max_value: 10}\n          - is_between: {min_value: 1, max_value: 9, inclusive: false}\n'));
    expect(formatted(r)).toEqual([]);
    const a = r.manifest.nodes.get('test.p.is_between_m_score__10__0')!;
    expect(a.compiled_code).toContain('from public.m\nwhere not (score between 0 and 10)');
    expect(a.test_metadata).toEqual({ name: 'is_between', column_name: 'score', kwargs: { min_value: 0, max_value: 10 } });
    expect(a.depends_on.nodes).toEqual(['model.p.m']);
    const b = r.manifest.nodes.get('test.p.is_between_m_score__False__9__1')!;
    expect(b.compiled_code).toContain('where not (score > 1 and score < 9)');
  });

  it('an unknown argument is an error at the YAML line with the nearest names', async () => {
    const r = await compile(base('          - is_between: {min_value: 0, max_valeu: 10}\n'));
    expect(formatted(r)).toEqual([expect.stringMatching(/^models\/s\.yml:6:13: test is_between has no argument 'max_valeu'\n {2}Did you mean 'max_value', 'min_value'\? \(is_between\(model, column_name, min_value, max_value, inclusive=true\) in tests\/generic\/is_between\.sql\)/)]);
    expect(r.errors[0]!.exitCode).toBe(2);
  });

  it('a missing required argument is an error at the YAML line', async () => {
    const r = await compile(base('          - not_null\n          - is_between: {min_value: 0}\n'));
    expect(formatted(r)).toEqual([expect.stringMatching(/^models\/s\.yml:7:13: test is_between is missing argument 'max_value'/)]);
    const model = await compile({ ...base('          - not_null\n'), 'models/s.yml': 'models:\n  - name: m\n    tests:\n      - is_between: {min_value: 0, max_value: 1}\n' });
    expect(formatted(model)).toEqual([expect.stringMatching(/^models\/s\.yml:4:9: test is_between is missing argument 'column_name'\n {2}Declare it under a column, or give column_name/)]);
  });

  it('a template error inside the generic test names its file and line, included from the YAML line', async () => {
    const r = await compile({ ...base('          - is_between: {min_value: 0, max_value: 10}\n'), 'tests/generic/is_between.sql': IS_BETWEEN.replace('{{max_value}}', '{{max_valu}}') });
    expect(formatted(r)).toEqual([expect.stringMatching(/^tests\/generic\/is_between\.sql:4:\d+: template error: "?max_valu"? is not defined\n {2}included from models\/s\.yml:6:13/)]);
    const syntax = await compile({ ...base('          - is_between: {min_value: 0, max_value: 10}\n'), 'tests/generic/is_between.sql': IS_BETWEEN.replace('{{/if}}', '') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(syntax).toBeInstanceOf(SparkifyError);
    expect((syntax as SparkifyError).format()).toMatch(/^tests\/generic\/is_between\.sql:\d+: Handlebars syntax error/);
  });

  it('a generic test without a signature, or with a bad one, is an error in its file', async () => {
    const none = await compile({ ...base('          - is_between: {min_value: 0, max_value: 10}\n'), 'tests/generic/is_between.sql': 'select 1\n' });
    expect(formatted(none)).toEqual([expect.stringMatching(/^tests\/generic\/is_between\.sql:1: generic test is_between does not declare its parameters\n {2}Start the file with its signature/)]);
    const wrong = await compile({ ...base('          - not_null\n'), 'tests/generic/is_between.sql': '{{!-- test between(model) --}}\nselect 1\n' });
    expect(formatted(wrong)).toEqual([expect.stringContaining("tests/generic/is_between.sql:1: tests/generic/is_between.sql declares test 'between'")]);
    const type = await compile({ ...base('          - not_null\n'), 'tests/generic/is_between.sql': '{{!-- test is_between(model, x: colum) --}}\nselect 1\n' });
    expect(formatted(type)).toEqual([expect.stringContaining("unknown parameter type 'colum'\n  Types are column, relation, literal, literals. Did you mean 'column'")]);
  });

  it('an unknown test name is an error naming the generic tests there are', async () => {
    const r = await compile(base('          - is_betwen: {min_value: 0, max_value: 10}\n'));
    expect(formatted(r)).toEqual([expect.stringMatching(/^models\/s\.yml:6:13: unknown test 'is_betwen'\n {2}Did you mean 'is_between'\?/)]);
  });

  it('a project generic test replaces the built-in of the same name; a macro of that name is an error', async () => {
    const own = await compile({ ...base('          - not_null\n'), 'tests/generic/not_null.sql': '{{!-- test not_null(model, column_name) --}}\nselect 1 as mine from {{model}} where {{column_name}} is null\n' });
    expect(formatted(own)).toEqual([]);
    expect(own.manifest.nodes.get('test.p.not_null_m_score')!.compiled_code).toContain('select 1 as mine');
    const clash = await compile({ ...base('          - is_between: {min_value: 0, max_value: 10}\n'), 'macros/is_between.sql': 'x' });
    expect(formatted(clash)).toEqual([expect.stringContaining('macros/is_between.sql:1: macros/is_between.sql has the name of the generic test is_between')]);
  });
});

describe('built-ins are generic test templates too', () => {
  it('accepted_values writes SQL literals (quotes doubled), or values as written with quote: false', async () => {
    const r = await compile(base("          - accepted_values: {values: [\"it's\", b]}\n          - accepted_values: {values: [1, 2], quote: false}\n"));
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.accepted_values_m_score__it_s__b')!.compiled_code).toContain("not in ('it''s', 'b')");
    expect(r.manifest.nodes.get('test.p.accepted_values_m_score__False__1__2')!.compiled_code).toContain('not in (1, 2)');
    const missing = await compile(base('          - accepted_values\n'));
    expect(formatted(missing)).toEqual([expect.stringContaining("models/s.yml:6:13: test accepted_values is missing argument 'values'")]);
  });

  it('relationships to a source, to a ref, and quoting the parent field by the dialect', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'models/m.sql': 'select 1 as id\n',
      'models/s.yml': [
        'sources:',
        '  - name: raw',
        '    schema: raw_data',
        '    tables:',
        '      - name: events',
        'models:',
        '  - name: m',
        '    columns:',
        '      - name: id',
        '        tests:',
        '          - relationships:',
        "              to: source('raw', 'events')",
        '              field: user',
        "          - relationships: {to: ref('m'), field: id, name: id_is_its_own_parent}",
        '',
      ].join('\n'),
    });
    expect(formatted(r)).toEqual([]);
    const src = r.manifest.nodes.get('test.p.relationships_m_id__user__source_raw_events_')!;
    expect(src.compiled_code).toContain('select "user" as to_field\n    from raw_data.events');
    expect(src.depends_on.nodes).toEqual(['model.p.m', 'source.p.raw.events']);
    expect(src.raw_code).toBe(`{{> relationships model="ref('m')" column_name="id" to="source('raw', 'events')" field="\\"user\\""}}`);
    expect(r.manifest.nodes.get('test.p.id_is_its_own_parent')!.compiled_code).toContain('from public.m\n)');
    const bad = await compile({ 'project.yml': 'name: p\n', 'models/m.sql': 'select 1 as id\n', 'models/s.yml': "models:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - relationships: {to: 'select 1', field: id}\n" });
    expect(formatted(bad)).toEqual([expect.stringContaining("models/s.yml:6:13: test relationships: argument 'to' must be ref('model'), source('source', 'table') or a model name")]);
  });

  it("a custom name lets two tests of one kind sit on one column; dbt's test_name form too", async () => {
    const r = await compile(base('          - not_null: {name: score_present, config: {severity: warn}}\n          - name: score_present_strict\n            test_name: not_null\n'));
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.score_present')!.config.severity).toBe('warn');
    expect(r.manifest.nodes.get('test.p.score_present_strict')!.config.severity).toBe('error');
    const twice = await compile(base('          - not_null\n          - not_null: {config: {severity: warn}}\n'));
    expect(formatted(twice)).toEqual([expect.stringMatching(/models\/s\.yml:7:13: test 'not_null_m_score' is declared twice\n {2}Remove the duplicate, or give one of them its own name/)]);
  });

  it('column_name on a model-level test is an SQL expression; quote: false passes a column name as written', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'models/m.sql': 'select 1 as a, 2 as b\n',
      'models/s.yml': "models:\n  - name: m\n    tests:\n      - unique: {column_name: \"a || '-' || b\"}\n    columns:\n      - name: Upper\n        quote: false\n        tests: [not_null]\n      - name: Mixed\n        tests: [not_null]\n",
    });
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.unique_m_a_b')!.compiled_code).toContain("select a || '-' || b as unique_field");
    expect(r.manifest.nodes.get('test.p.not_null_m_Upper')!.compiled_code).toContain('where Upper is null');
    expect(r.manifest.nodes.get('test.p.not_null_m_Mixed')!.compiled_code).toContain('where "Mixed" is null');
  });

  it('tests on seeds and on sources', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'seeds/countries.csv': 'code,name\nfr,France\n',
      'seeds/s.yml': 'seeds:\n  - name: countries\n    columns:\n      - name: code\n        tests: [unique, not_null]\n',
      'models/s.yml': 'sources:\n  - name: raw\n    tables:\n      - name: events\n        columns:\n          - name: id\n            tests: [not_null]\n',
    });
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.unique_countries_code')!.depends_on.nodes).toEqual(['seed.p.countries']);
    expect(r.manifest.nodes.get('test.p.unique_countries_code')!.attached_node).toBe('seed.p.countries');
    expect(r.manifest.nodes.get('test.p.not_null_source_raw_events_id')!.compiled_code).toContain('from "raw".events');
  });

  it("names are dbt's: sorted argument values, and an md5 from 64 characters on", () => {
    expect(synthesizeTestName('relationships', 'fct_songplays', { column_name: 'user_id', to: "ref('dim_users')", field: 'user_id' })).toBe('relationships_fct_songplays_user_id__user_id__ref_dim_users_');
    expect(synthesizeTestName('relationships', 'fct_songplays', { column_name: 'start_time', to: "ref('dim_time')", field: 'start_time' })).toBe('relationships_fct_songplays_cb168f27777479bd1dab871811e7d2ef');
    expect(synthesizeTestName('accepted_values', 'm', { column_name: 'x', values: [0, 1], quote: false })).toBe('accepted_values_m_x__False__0__1');
  });
});

describe('test config is typed at compile time', () => {
  const yml = (config: string): Record<string, string> => base(`          - not_null:\n              config:\n${config}`);

  it("dbt's defaults are in the config; warn_if / error_if take dbt's comparisons", async () => {
    const r = await compile(yml("                warn_if: '>10'\n                error_if: between 100 and 200\n                fail_calc: sum(1)\n"));
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.not_null_m_score')!.config).toMatchObject({ severity: 'error', warn_if: '>10', error_if: 'between 100 and 200', fail_calc: 'sum(1)' });
    const d = await compile(base('          - not_null\n'));
    expect(d.manifest.nodes.get('test.p.not_null_m_score')!.config).toMatchObject({ severity: 'error', warn_if: '!=0', error_if: '!=0', fail_calc: 'count(*)' });
  });

  it('a threshold that is not a comparison is an error at its line', async () => {
    const r = await compile(yml("                warn_if: 'more than 10'\n                error_if: '==0'\n"));
    expect(formatted(r)).toEqual([
      expect.stringMatching(/^models\/s\.yml:8:17: config 'warn_if' is not a comparison: 'more than 10'\n {2}A threshold compares the failure count with a number, as in dbt: '>10'/),
      expect.stringMatching(/^models\/s\.yml:9:17: config 'error_if' is not a comparison: '==0'\n {2}SQL compares with =: write '=0'/),
    ]);
    expect(r.errors.every((e) => e.exitCode === 2)).toBe(true);
    const inSql = await compile({ ...base('          - not_null\n'), 'tests/check.sql': '{{config warn_if="; drop table m"}}\nselect 1\n' });
    expect(formatted(inSql)).toEqual([expect.stringContaining("tests/check.sql:1:10: config 'warn_if' is not a comparison")]);
  });

  it('store_failures_as and its values; where from config or beside the arguments', async () => {
    const r = await compile(base("          - not_null: {where: \"score > 1\", config: {store_failures_as: view}}\n          - unique: {config: {store_failures: true, store_failures_as: ephemeral}}\n"));
    expect(formatted(r)).toEqual([]);
    const nn = r.manifest.nodes.get('test.p.not_null_m_score')!;
    expect(nn.relation).toEqual({ schema: 'public_dbt_test__audit', identifier: 'not_null_m_score' });
    expect(nn.compiled_code).toContain('from (select * from public.m where score > 1) dbt_subquery');
    expect(r.manifest.nodes.get('test.p.unique_m_score')!.relation).toBeUndefined();
    const bad = await compile(base('          - not_null: {config: {store_failures_as: tabel}}\n'));
    expect(formatted(bad)).toEqual([expect.stringMatching(/models\/s\.yml:6:33: unknown store_failures_as 'tabel'\n {2}Use one of: ephemeral, table, view\. Did you mean 'table'/)]);
  });

  it('project.yml sets test config for a folder; a generic test definition sets defaults the YAML overrides', async () => {
    const r = await compile({
      ...base('          - is_between: {min_value: 0, max_value: 10}\n          - not_null: {config: {severity: error}}\n'),
      'project.yml': 'name: p\ntests:\n  p:\n    +severity: warn\n    +store_failures: true\n',
      'tests/generic/is_between.sql': IS_BETWEEN.replace('select *', '{{config warn_if=">5" limit=3}}\nselect *'),
    });
    expect(formatted(r)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.is_between_m_score__10__0')!.config).toMatchObject({ severity: 'warn', warn_if: '>5', limit: 3, store_failures: true });
    expect(r.manifest.nodes.get('test.p.not_null_m_score')!.config.severity).toBe('error');
  });
});
