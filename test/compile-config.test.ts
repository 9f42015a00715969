import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SparkifyError } from '../src/core/errors.js';
import { compileProject, type CompileResult } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';

// "What the engine accepts, it does": every config key and value is typed and checked at compile time, and a
// key or value the engine does not build is an error at its file:line, never accepted and ignored.

async function compile(files: Record<string, string>, targetType = 'embedded'): Promise<CompileResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-config-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  const project = await loadProject(dir);
  const env: RenderEnv = { projectName: project.config.name, target: { name: 'dev', type: targetType, schema: 'public' }, vars: project.config.vars, env: {} };
  return compileProject(project, await TemplateEngine.create(env, project.macros, project.dir), env);
}

const formatted = (errors: SparkifyError[]): string[] => errors.map((e) => e.format());
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('generic tests quote identifiers by the dialect', () => {
  it('a column named by a reserved word is quoted, so the test reads the column, not current_user', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'models/m.sql': 'select 1 as id\n',
      'models/s.yml': 'models:\n  - name: m\n    columns:\n' + ['user', 'order', 'select', 'group', 'id'].map((c) => `      - name: ${c}\n        tests: [not_null, unique]\n`).join(''),
    });
    expect(r.errors).toEqual([]);
    for (const c of ['user', 'order', 'select', 'group']) {
      expect(r.manifest.nodes.get(`test.p.not_null_m_${c}`)!.compiled_code).toContain(`where "${c}" is null`);
      expect(r.manifest.nodes.get(`test.p.unique_m_${c}`)!.compiled_code).toContain(`group by "${c}"`);
    }
    expect(r.manifest.nodes.get('test.p.not_null_m_id')!.compiled_code).toContain('where id is null');
  });

  it('relations are named by the same policy', async () => {
    const r = await compile({ 'project.yml': 'name: p\n', 'models/order.sql': 'select 1 as x\n', 'models/b.sql': 'select * from {{ref "order"}}\n' });
    expect(r.manifest.nodes.get('model.p.b')!.compiled_code).toBe('select * from public."order"\n');
  });
});

describe("project.yml's resource paths", () => {
  it('config naming one model or seed applies to it alone, as in dbt', async () => {
    const r = await compile({
      'project.yml': 'name: p\nmodels:\n  p:\n    customers:\n      +materialized: table\nseeds:\n  p:\n    raw_payments:\n      +column_types: {amount: numeric}\n',
      'models/customers.sql': 'select 1 as id\n',
      'models/orders.sql': 'select 1 as id\n',
      'seeds/raw_payments.csv': 'id,amount\n1,2\n',
      'seeds/raw_orders.csv': 'id\n1\n',
    });
    expect(r.errors).toEqual([]);
    expect(r.manifest.nodes.get('model.p.customers')!.config.materialized).toBe('table');
    expect(r.manifest.nodes.get('model.p.orders')!.config.materialized).toBe('view');
    expect(r.manifest.nodes.get('seed.p.raw_payments')!.config.column_types).toEqual({ amount: 'numeric' });
    expect(r.manifest.nodes.get('seed.p.raw_orders')!.config.column_types).toBeUndefined();
  });

  it('a misspelt folder is an error at its line with the nearest names', async () => {
    const yml = 'name: p\nmodels:\n  p:\n    mart:\n      +materialized: table\n';
    const r = await compile({ 'project.yml': yml, 'models/marts/a.sql': 'select 1 as x\n', 'models/staging/b.sql': 'select 1 as x\n' });
    expect(formatted(r.errors)).toEqual([
      expect.stringContaining(`project.yml:${lineOf(yml, 'mart:')}:5: 'mart' under models.p names no folder or model, and is not a config key`),
    ]);
    expect(r.errors[0]!.hint).toContain("Did you mean 'marts'");
  });

  it("a top level that is not the project's name is an error", async () => {
    const r = await compile({ 'project.yml': 'name: p\nmodels:\n  p:\n    +materialized: table\n  q:\n    +materialized: view\n', 'models/a.sql': 'select 1 as x\n' });
    expect(formatted(r.errors)).toEqual([expect.stringContaining("project.yml:5:3: 'q' under models is not this project's name")]);
  });

  it('known config keys without + are config, as dbt reads them; unknown ones are errors', async () => {
    const ok = await compile({ 'project.yml': 'name: p\nmodels:\n  p:\n    marts:\n      materialized: table\n      tags: [m]\n', 'models/marts/a.sql': 'select 1 as x\n' });
    expect(ok.errors).toEqual([]);
    expect(ok.manifest.nodes.get('model.p.a')!.config).toMatchObject({ materialized: 'table', tags: ['m'] });
    const bad = await compile({ 'project.yml': 'name: p\nmodels:\n  p:\n    marts:\n      materialised: table\n', 'models/marts/a.sql': 'select 1 as x\n' });
    expect(formatted(bad.errors)).toEqual([expect.stringContaining("project.yml:5:7: 'materialised' under models.p.marts names no folder or model")]);
    expect(bad.errors[0]!.hint).toContain("Did you mean '+materialized'");
  });

  it('a folder written with a scalar value says its config goes below it', async () => {
    const r = await compile({ 'project.yml': 'name: p\nmodels:\n  p:\n    marts: table\n', 'models/marts/a.sql': 'select 1 as x\n' });
    expect(formatted(r.errors)).toEqual([expect.stringContaining("project.yml:4:5: 'marts' under models.p is a folder or model: its config goes below it")]);
  });
});

describe('lists in {{config}}', () => {
  it('(list ...) gives a list; a comma-separated string too', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'models/a.sql': '{{config materialized="incremental" unique_key=(list "id" "ts") tags="x, y"}}\nselect 1 as id, now() as ts\n',
    });
    expect(r.errors).toEqual([]);
    expect(r.manifest.nodes.get('model.p.a')!.config).toMatchObject({ unique_key: ['id', 'ts'], tags: ['x', 'y'] });
  });

  it('["id"] (a Handlebars path, not a list) is an error showing the supported form', async () => {
    const r = await compile({ 'project.yml': 'name: p\n', 'models/a.sql': '{{config materialized="incremental"\n  unique_key=["id"]}}\nselect 1 as id\n' });
    expect(formatted(r.errors)).toEqual([expect.stringContaining('models/a.sql:2:3: config unique_key=["id"] is not a value: Handlebars reads it as a path, not a list')]);
    expect(r.errors[0]!.hint).toContain('unique_key=(list "id")');
  });

  it('an unquoted string is an error too (it would be a path that finds nothing)', async () => {
    const r = await compile({ 'project.yml': 'name: p\n', 'models/a.sql': '{{config materialized=table}}\nselect 1 as id\n' });
    expect(formatted(r.errors)).toEqual([expect.stringContaining('models/a.sql:1:10: config materialized=table is not a value')]);
    expect(r.errors[0]!.hint).toContain('materialized="table"');
  });
});

describe('values that would be accepted and never used are errors', () => {
  const model = (config: string): Record<string, string> => ({ 'project.yml': 'name: p\n', 'models/a.sql': `{{config ${config}}}\nselect 1 as id\n` });

  it('an unknown incremental_strategy, and the dbt strategies not built yet', async () => {
    const unknown = await compile(model('materialized="incremental" unique_key="id" incremental_strategy="delete_insert"'));
    expect(formatted(unknown.errors)).toEqual([expect.stringContaining("models/a.sql:1:53: unknown incremental_strategy 'delete_insert'")]);
    expect(unknown.errors[0]!.hint).toContain("Did you mean 'delete+insert'");
    const overwrite = await compile(model('materialized="incremental" unique_key="id" incremental_strategy="insert_overwrite"'));
    expect(formatted(overwrite.errors)).toEqual([expect.stringContaining("incremental_strategy 'insert_overwrite' is not supported yet")]);
    const merge = await compile(model('materialized="incremental" unique_key="id" incremental_strategy="merge"'));
    expect(merge.errors).toEqual([]);
    const ok = await compile(model('materialized="incremental" unique_key="id" incremental_strategy="delete+insert"'));
    expect(ok.errors).toEqual([]);
    const noKey = await compile(model('materialized="incremental" incremental_strategy="delete+insert"'));
    expect(formatted(noKey.errors)).toEqual([expect.stringContaining("incremental_strategy 'delete+insert' needs unique_key")]);
  });

  it('values of the wrong type, at their line', async () => {
    const r = await compile({
      'project.yml': 'name: p\nmodels:\n  p:\n    +enabled: "yes"\n',
      'models/a.sql': '{{config materialized="copy" from="x" maxerror=-1 gzip="true" timeformat="epochmilisecs"}}\nid integer\n',
    });
    expect(formatted(r.errors)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("project.yml:4:5: config 'enabled' must be true or false, not 'yes'"),
        expect.stringContaining("models/a.sql:1:39: config 'maxerror' must be a whole number ≥ 0, not -1"),
        expect.stringContaining("models/a.sql:1:51: config 'gzip' must be true or false, not 'true'"),
        expect.stringContaining("models/a.sql:1:63: unknown timeformat 'epochmilisecs'"),
      ]),
    );
    expect(r.errors).toHaveLength(4);
  });

  it('a key that means nothing for the materialization', async () => {
    const r = await compile(model('materialized="table" unique_key="id"'));
    expect(formatted(r.errors)).toEqual([expect.stringContaining("models/a.sql:1:31: 'unique_key' applies to incremental models; this one is a table")]);
  });

  it('dbt config the engine does not run yet says so', async () => {
    const r = await compile({ 'project.yml': 'name: p\nmodels:\n  p:\n    +group: finance\n    +access: public\n', 'models/a.sql': 'select 1 as id\n' });
    expect(formatted(r.errors)).toEqual([
      expect.stringContaining("project.yml:4:5: 'group' is dbt config that sparkify does not support yet"),
      expect.stringContaining("project.yml:5:5: 'access' is dbt config that sparkify does not support yet"),
    ]);
  });

  it('test config: where and limit shape the test query; store_failures names the audit relation', async () => {
    const yml = [
      'models:',
      '  - name: m',
      '    columns:',
      '      - name: id',
      '        tests:',
      '          - not_null:',
      '              config: {where: "id > 1", limit: 5}',
      '          - unique:',
      '              config: {store_failures: true}',
      '',
    ].join('\n');
    const r = await compile({ 'project.yml': 'name: p\n', 'models/m.sql': 'select 1 as id\n', 'models/s.yml': yml });
    expect(formatted(r.errors)).toEqual([]);
    expect(r.manifest.nodes.get('test.p.unique_m_id')!.relation).toEqual({ schema: 'public_dbt_test__audit', identifier: 'unique_m_id' });
    expect(r.manifest.nodes.get('test.p.not_null_m_id')!.relation).toBeUndefined();
    const sql = r.manifest.nodes.get('test.p.not_null_m_id')!.compiled_code!;
    expect(sql).toContain('(select * from public.m where id > 1) dbt_subquery');
    expect(sql).toMatch(/limit 5$/);
    const bad = await compile({ 'project.yml': 'name: p\n', 'models/m.sql': 'select 1 as id\n', 'models/s.yml': yml.replace('limit: 5', 'limt: 5').replace('{store_failures: true}', '{}') });
    expect(formatted(bad.errors)).toEqual([expect.stringContaining("unknown config key 'limt' for a test")]);
    expect(bad.errors[0]!.hint).toContain("Did you mean 'limit'");
  });
});

describe('every variant is rendered at compile time', () => {
  const files = (branch: string): Record<string, string> => ({
    'project.yml': 'name: p\n',
    'models/a.sql': `{{config materialized="incremental" unique_key="id"}}\nselect 1 as id\n{{#if (is_incremental)}}where id > (select max(id) from {{this}}) ${branch}{{/if}}\n`,
  });

  it('an incremental model carries both renderings, and an edit inside is_incremental changes its checksum', async () => {
    const a = await compile(files('and true'));
    const b = await compile(files('and false'));
    const na = a.manifest.nodes.get('model.p.a')!;
    const nb = b.manifest.nodes.get('model.p.a')!;
    expect(na.compiled_code).not.toContain('where');
    expect(na.compiled_incremental_code).toContain('where id > (select max(id) from public.a) and true');
    expect(na.compiled_code).toBe(nb.compiled_code); // the plain rendering is the same ...
    expect(na.checksum).not.toBe(nb.checksum); // ... and state:modified still sees the edit
  });

  it('an error only the incremental rendering reaches is found at compile time', async () => {
    const r = await compile({
      'project.yml': 'name: p\n',
      'models/a.sql': '{{config materialized="incremental" unique_key="id"}}\nselect 1 as id\n{{#if (is_incremental)}}\nfrom {{ref "missing_model"}}{{/if}}\n',
    });
    expect(formatted(r.errors)).toEqual([expect.stringContaining("models/a.sql:4:6: ref 'missing_model' does not match any model or seed")]);
  });
});

describe('merging and collisions', () => {
  it("a seed's column_types merge key by key across project.yml and the schema YAML", async () => {
    const r = await compile({
      'project.yml': 'name: p\nseeds:\n  p:\n    +column_types: {a: bigint, b: text}\n',
      'seeds/s.csv': 'a,b,c\n1,2,3\n',
      'seeds/s.yml': 'seeds:\n  - name: s\n    config:\n      column_types: {b: varchar(8), c: smallint}\n',
    });
    expect(r.errors).toEqual([]);
    expect(r.manifest.nodes.get('seed.p.s')!.config.column_types).toEqual({ a: 'bigint', b: 'varchar(8)', c: 'smallint' });
  });

  it('a description in config is the model description', async () => {
    const r = await compile({ 'project.yml': 'name: p\n', 'models/a.sql': '{{config description="Plays, one a row"}}\nselect 1 as x\n', 'models/b.sql': 'select 1 as x\n', 'models/s.yml': 'models:\n  - name: b\n    description: from yaml\n' });
    expect(r.errors).toEqual([]);
    expect(r.manifest.nodes.get('model.p.a')!.description).toBe('Plays, one a row');
    expect(r.manifest.nodes.get('model.p.b')!.description).toBe('from yaml');
  });

  it('two models building one relation is an error naming both', async () => {
    const r = await compile({ 'project.yml': 'name: p\n', 'models/a.sql': '{{config alias="b"}}\nselect 1 as x\n', 'models/b.sql': 'select 2 as x\n' });
    expect(formatted(r.errors)).toEqual([expect.stringContaining('model a (models/a.sql) and model b (models/b.sql) would both build public.b')]);
  });

  it('all the errors of a project are reported together', async () => {
    const r = await compile({
      'project.yml': 'name: p\nmodels:\n  p:\n    mart:\n      +materialized: table\n',
      'models/a.sql': '{{config materialised="table"}}\nselect 1 as x\n',
      'models/b.sql': 'select * from {{ref "c"}}\n',
      'models/marts/d.sql': '{{config materialized="incremental" unique_key=["x"]}}\nselect 1 as x\n',
    });
    expect(formatted(r.errors).map((e) => e.split(':').slice(0, 2).join(':')).sort()).toEqual(['models/a.sql:1', 'models/b.sql:1', 'models/marts/d.sql:1', 'project.yml:4']);
  });
});
