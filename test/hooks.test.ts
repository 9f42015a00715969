import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { compileErrors } from './support/compile.js';
import { makeProject, type Project } from './support/project.js';

// dbt's hooks: pre_hook / post_hook (project.yml +pre-hook, schema YAML, {{config}}; general layers first)
// in the model's transaction unless transaction: false, and project.yml's on-run-start / on-run-end.

const unreachable = await postgresSkipReason('hooks on PostgreSQL');
const pgSchema = `sparkify_hooks_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  if (!unreachable) await dropSchema(pgSchema);
});

function project(target: 'dev' | 'pg', schema: string): Project {
  const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
  p.write(
    'project.yml',
    `name: h
targets:
  dev:
    type: embedded
    schema: public
  pg:
    type: postgres
    schema: ${schema}
on-run-start:
  - "create table if not exists {{target.schema}}.audit (n serial, event text)"
on-run-end: "insert into {{target.schema}}.audit (event) values ('end {{var \\"who\\" \\"nobody\\"}}')"
models:
  h:
    +pre-hook: "insert into {{target.schema}}.audit (event) values ('project pre {{this}}')"
`,
  );
  p.write('models/m.sql', `{{config materialized="table" post_hook="insert into {{target.schema}}.audit (event) select 'post ' || count(*) from {{this}}"}}\nselect 1 as id union all select 2\n`);
  p.write('models/schema.yml', `version: 2\nmodels:\n  - name: m\n    config:\n      pre_hook:\n        - "insert into {{target.schema}}.audit (event) values ('yaml pre')"\n`);
  return p;
}

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])('hooks ($target)', ({ target, skip }) => {
  it.skipIf(skip)('run in order: on-run-start, pre-hooks general first, the build, post-hooks, on-run-end', async () => {
    const schema = `${pgSchema}_a`;
    const p = project(target, schema);
    const t = ['--target', target];
    const r = await p.run('build', ...t, '--vars', '{"who": "ci"}');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/1 of 1 OK hook: h\.on-run-start\.0/);
    const rel = target === 'dev' ? 'public.m' : `${schema}.m`;
    expect((await p.query<{ event: string }>('select event from audit order by n', ...t)).map((x) => x.event)).toEqual([`project pre ${rel}`, 'yaml pre', 'post 2', 'end ci']);
    const results = JSON.parse(p.read('target/run_results.json')) as { results: { unique_id: string; status: string }[] };
    expect(results.results.map((x) => x.unique_id)).toEqual(['operation.h.h-on-run-start-0', 'model.h.m', 'operation.h.h-on-run-end-0']);
  });

  it.skipIf(skip)('a failing post-hook fails its model at the hook\'s line, and the previous table stays', async () => {
    const schema = `${pgSchema}_b`;
    const p = project(target, schema);
    const t = ['--target', target];
    expect((await p.run('build', ...t)).code).toBe(0);
    p.write('models/m.sql', `{{config materialized="table"\n  post_hook="insert into no_such_table values (1)"}}\nselect 3 as id\n`);
    const r = await p.run('build', ...t);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain('models/m.sql:2:3: post_hook of m failed:');
    expect(r.output).toContain('no_such_table');
    expect(r.output).toContain("The model's previous relation is unchanged");
    expect(await p.query('select id from m order by id', ...t)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it.skipIf(skip)('a failing on-run-start hook skips every node and names its project.yml line', async () => {
    const schema = `${pgSchema}_c`;
    const p = project(target, schema);
    const t = ['--target', target];
    p.write('project.yml', p.read('project.yml').replace('create table if not exists', 'create tabel'));
    const r = await p.run('build', ...t);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/project\.yml:10:5: on-run-start hook 0 failed: .*syntax error/);
    const results = JSON.parse(p.read('target/run_results.json')) as { results: { unique_id: string; status: string }[] };
    expect(results.results.find((x) => x.unique_id === 'model.h.m')?.status).toBe('skipped');
  });
});

describe('hooks at compile time', () => {
  it('a template error in a hook is reported at the line that wrote it', async () => {
    const errors = await compileErrors({ 'project.yml': 'name: h\nmodels:\n  +post-hook: "select {{var \\"nope\\"}}"\n', 'models/m.sql': 'select 1 as id\n' });
    expect(errors).toEqual([expect.stringMatching(/^project\.yml:3:\d+: var 'nope' is not defined/)]);
  });
  it('a hook that is not SQL, and a hook on an ephemeral model, are errors', async () => {
    expect(await compileErrors({ 'project.yml': 'name: h\n', 'models/m.sql': '{{config pre_hook=3}}\nselect 1 as id\n' })).toEqual([expect.stringContaining("config 'pre_hook' must be SQL, {sql: ..., transaction: true|false}, or a list of them")]);
    expect(await compileErrors({ 'project.yml': 'name: h\n', 'models/m.sql': '{{config materialized="ephemeral" pre_hook="select 1"}}\nselect 1 as id\n' })).toEqual([expect.stringContaining("'pre_hook' applies to")]);
  });
  it('{{this}} in on-run-end names nothing', async () => {
    expect(await compileErrors({ 'project.yml': 'name: h\non-run-end: "analyze {{this}}"\n', 'models/m.sql': 'select 1 as id\n' })).toEqual([expect.stringMatching(/^project\.yml:2:\d+: on-run-end hooks run for the whole project: \{\{this\}\} names nothing there/)]);
  });
});
