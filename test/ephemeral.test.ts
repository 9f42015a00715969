import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { injectCtes } from '../src/graph/ephemeral.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { compileFiles } from './support/compile.js';
import { makeProject } from './support/project.js';

// Ephemeral models as dbt has them: never built, inlined as __dbt__cte__<name> CTEs (nested ones too,
// innermost first) into every query that refs them, tests included.

describe('injectCtes', () => {
  const ctes = [{ name: '__dbt__cte__a', sql: 'select 1 as x;' }];
  it('prepends a WITH, or merges into the query\'s own, after leading comments and `recursive`', () => {
    expect(injectCtes('select * from __dbt__cte__a', ctes)).toBe('with __dbt__cte__a as (\nselect 1 as x\n)\nselect * from __dbt__cte__a');
    expect(injectCtes('-- note\n/* c */ WITH b as (select 2) select * from b', ctes)).toBe('-- note\n/* c */ WITH __dbt__cte__a as (\nselect 1 as x\n),\nb as (select 2) select * from b');
    expect(injectCtes('with recursive r(n) as (select 1) select * from r', ctes)).toBe('with recursive __dbt__cte__a as (\nselect 1 as x\n),\nr(n) as (select 1) select * from r');
    expect(injectCtes('without_a_with', ctes)).toMatch(/^with __dbt__cte__a as/);
    expect(injectCtes('select 1', [])).toBe('select 1');
  });
});

const FILES = {
  'project.yml': 'name: e\n',
  'models/base.sql': 'select 1 as id, 10 as v union all select 2, 20\n',
  'models/eph_a.sql': '{{config materialized="ephemeral"}}\nselect id, v * 2 as v from {{ref "base"}}\n',
  'models/eph_b.sql': '{{config materialized="ephemeral"}}\nwith doubled as (select id, v * 2 as v from {{ref "eph_a"}}) select * from doubled\n',
  'models/final.sql': '{{config materialized="table"}}\nselect b.id, b.v as v4, a.v as v2 from {{ref "eph_b"}} b join {{ref "eph_a"}} a using (id)\n',
};

describe('ephemeral models at compile time', () => {
  it('are inlined innermost first, once each, have no relation, and their edits reach the checksum of what refs them', async () => {
    const r = await compileFiles(FILES);
    expect(r.errors).toEqual([]);
    const final = r.manifest.nodes.get('model.e.final')!;
    expect(final.compiled_code).toBe(
      'with __dbt__cte__eph_a as (\nselect id, v * 2 as v from public.base\n),\n' +
        '__dbt__cte__eph_b as (\nwith doubled as (select id, v * 2 as v from __dbt__cte__eph_a) select * from doubled\n)\n' +
        '\nselect b.id, b.v as v4, a.v as v2 from __dbt__cte__eph_b b join __dbt__cte__eph_a a using (id)\n',
    );
    expect(final.depends_on.nodes).toEqual(['model.e.eph_a', 'model.e.eph_b']);
    const b = r.manifest.nodes.get('model.e.eph_b')!;
    expect(b.relation).toBeUndefined();
    expect(b.compiled_code).toMatch(/^\s*with __dbt__cte__eph_a as \(/);
    const edited = await compileFiles({ ...FILES, 'models/eph_a.sql': FILES['models/eph_a.sql'].replace('v * 2', 'v * 3') });
    expect(edited.manifest.nodes.get('model.e.final')!.checksum).not.toBe(final.checksum);
  });

  it('{{this}} in an ephemeral model is an error: it has no relation', async () => {
    const r = await compileFiles({ 'project.yml': 'name: e\n', 'models/x.sql': '{{config materialized="ephemeral"}}\nselect * from {{this}}\n' });
    expect(r.errors.map((e) => e.format())).toEqual([expect.stringMatching(/^models\/x\.sql:1: x is ephemeral: it builds no relation, so \{\{this\}\} names nothing/)]);
  });

  it('table-only config on an ephemeral model is an error', async () => {
    const r = await compileFiles({ 'project.yml': 'name: e\n', 'models/x.sql': '{{config materialized="ephemeral" dist="id"}}\nselect 1 as id\n' });
    expect(r.errors.map((e) => e.format())).toEqual([expect.stringContaining("'dist' applies to")]);
  });
});

const unreachable = await postgresSkipReason('ephemeral models on PostgreSQL');
const pgSchema = `sparkify_eph_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  if (!unreachable) await dropSchema(pgSchema);
});

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])('ephemeral models in a build ($target)', ({ target, skip }) => {
  it.skipIf(skip)('build what refs them, are never created or reported, and their tests run on the inlined query', async () => {
    const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
    const t = ['--target', target];
    p.write('project.yml', `name: e\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${pgSchema}\n`);
    for (const [f, text] of Object.entries(FILES)) if (f !== 'project.yml') p.write(f, text);
    p.write('models/schema.yml', 'version: 2\nmodels:\n  - name: eph_b\n    columns:\n      - name: v\n        tests: [unique, not_null]\n');
    const r = await p.run('build', ...t);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).not.toMatch(/ephemeral model/);
    expect(r.stdout).toContain('PASS test not_null_eph_b_v');
    expect(await p.query('select id, v4, v2 from final order by id', ...t)).toEqual([
      { id: 1, v4: 40, v2: 20 },
      { id: 2, v4: 80, v2: 40 },
    ]);
    expect(await p.query("select table_name from information_schema.tables where table_name like 'eph%' and table_schema = current_schema()", ...t)).toEqual([]);
    const results = JSON.parse(p.read('target/run_results.json')) as { results: { unique_id: string }[] };
    expect(results.results.map((x) => x.unique_id)).not.toContain('model.e.eph_a');
    expect(p.read('target/compiled/e/models/eph_b.sql')).toContain('__dbt__cte__eph_a');
    // show --inline inlines them too.
    expect(await p.query('select max(v) as m from {{ref "eph_b"}}', ...t)).toEqual([{ m: 80 }]);

    // A test on an ephemeral model reads the inlined query: duplicate values make it fail.
    p.write('models/base.sql', 'select 1 as id, 10 as v union all select 2, 10\n');
    const failing = await p.run('build', ...t);
    expect(failing.code, failing.output).toBe(1);
    expect(failing.output).toMatch(/FAIL test unique_eph_b_v \.+ \[FAIL 1 in/);
  });
});
