import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { compileErrors } from './support/compile.js';
import { makeProject } from './support/project.js';

// dbt's grants (granted on every build, revoked when the config stops listing a grantee) and persist_docs
// (YAML descriptions as COMMENT ON), on the embedded database and on PostgreSQL.

const unreachable = await postgresSkipReason('grants on PostgreSQL');
const tag = `${process.pid}_${Date.now().toString(36)}`;
const pgSchema = `sparkify_grants_${tag}`;
const roles = [`sparkify_a_${tag}`, `sparkify_b_${tag}`];
afterAll(async () => {
  if (unreachable) return;
  await dropSchema(pgSchema);
  const c = new pg.Client();
  await c.connect();
  for (const r of roles) await c.query(`drop role if exists ${r}`);
  await c.end();
});

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])('grants and persist_docs ($target)', ({ target, skip }) => {
  it.skipIf(skip)('grant on build, revoke what the config no longer lists, warn for a missing role; descriptions become comments', async () => {
    const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
    const t = ['--target', target];
    // Roles are made by an on-run-start hook (PGlite has no other way in); on a server they are cluster-wide.
    const create = roles.map((r) => `do $$ begin create role ${r}; exception when duplicate_object then null; end $$`);
    p.write('project.yml', `name: g\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${pgSchema}\non-run-start:\n${create.map((c) => `  - "${c}"`).join('\n')}\nmodels:\n  g:\n    +grants:\n      select: [${roles.join(', ')}]\n`);
    p.write('models/m.sql', '{{config materialized="table"}}\nselect 1 as id, \'x\' as label\n');
    p.write('models/inc.sql', '{{config materialized="incremental" incremental_strategy="append"}}\nselect 1 as id\n{{#if (is_incremental)}}where false{{/if}}\n');
    p.write('models/schema.yml', `version: 2\nmodels:\n  - name: m\n    description: "The model's own description"\n    config:\n      persist_docs: {relation: true, columns: true}\n    columns:\n      - name: id\n        description: The key\n      - name: label\n        description: ""\n`);
    const grants = async (table: string): Promise<string[]> =>
      (await p.query<{ g: string }>(`select grantee || ':' || lower(privilege_type) as g from information_schema.role_table_grants where table_name = '${table}' and grantee like 'sparkify_%' order by 1`, ...t)).map((r) => r.g);
    const first = await p.run('build', ...t);
    expect(first.code, first.output).toBe(0);
    for (const m of ['m', 'inc']) expect(await grants(m)).toEqual(roles.map((r) => `${r}:select`).sort());
    expect(await p.query("select obj_description(c.oid, 'pg_class') as d from pg_class c where relname = 'm' and relnamespace = current_schema()::regnamespace", ...t)).toEqual([{ d: "The model's own description" }]);
    expect(await p.query("select col_description('m'::regclass, 1) as id, col_description('m'::regclass, 2) as label", ...t)).toEqual([{ id: 'The key', label: null }]);

    // The second role no longer listed: the rebuilt table and the incremental one (same table) both lose it.
    p.write('project.yml', p.read('project.yml').replace(`select: [${roles.join(', ')}]`, `select: [${roles[0]}, no_such_role_${tag}]`));
    const second = await p.run('build', ...t);
    expect(second.code, second.output).toBe(0);
    for (const m of ['m', 'inc']) expect(await grants(m)).toEqual([`${roles[0]}:select`]);
    expect(second.output).toContain(`grants: 'no_such_role_${tag}' is not a role on this target: select not granted to it`);
  });
});

describe('grants and persist_docs at compile time', () => {
  const yml = (config: string): Record<string, string> => ({ 'project.yml': `name: g\nmodels:\n  g:\n${config}\n`, 'models/m.sql': 'select 1 as id\n' });
  it('an unknown privilege or key is an error with the nearest name', async () => {
    expect(await compileErrors(yml('    +grants: {selec: [bi]}'))).toEqual([expect.stringMatching(/^project\.yml:4:5: grants: 'selec' is not a table privilege/)]);
    expect((await compileErrors(yml('    +persist_docs: {relaton: true}')))[0]).toMatch(/unknown persist_docs key 'relaton'[\s\S]*relation/);
    expect((await compileErrors(yml('    +persist_docs: {relation: "yes"}')))[0]).toContain("config 'persist_docs' must be true or false for 'relation'");
  });
});
