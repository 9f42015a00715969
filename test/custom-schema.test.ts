import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { compileFiles } from './support/compile.js';
import { makeProject } from './support/project.js';

// Custom schemas as dbt makes them: <target schema>_<custom>, unless the project's generate_schema_name says otherwise.

async function compile(files: Record<string, string>) {
  const r = await compileFiles(files, { schema: 'analytics' });
  const schemas = Object.fromEntries([...r.manifest.nodes.values()].filter((n) => n.relation).map((n) => [n.name, n.relation!.schema]));
  return { schemas, errors: r.errors.map((e) => e.format()), manifest: r.manifest };
}

const MODELS = {
  'project.yml': 'name: s\nmodels:\n  s:\n    marts:\n      +schema: marts\n',
  'models/marts/m.sql': 'select 1 as id\n',
  'models/plain.sql': 'select 1 as id\n',
  'models/own.sql': '{{config schema=" finance "}}\nselect 1 as id\n',
};

describe('custom schemas', () => {
  it('are <target schema>_<custom> by default, as in dbt', async () => {
    const r = await compile(MODELS);
    expect(r.errors).toEqual([]);
    expect(r.schemas).toEqual({ m: 'analytics_marts', plain: 'analytics', own: 'analytics_finance' });
    expect(r.manifest.nodes.get('model.s.m')!.compiled_code).toBe('select 1 as id\n');
  });

  it('follow a generate_schema_name partial of the project', async () => {
    const r = await compile({ ...MODELS, 'macros/generate_schema_name.sql': '{{#if custom_schema_name}}{{custom_schema_name}}{{else}}{{target.schema}}{{/if}}\n' });
    expect(r.errors).toEqual([]);
    expect(r.schemas).toEqual({ m: 'marts', plain: 'analytics', own: 'finance' });
  });

  it('follow a generate_schema_name helper of the project (macros/*.js)', async () => {
    const r = await compile({ ...MODELS, 'macros/schemas.js': "export function generate_schema_name(custom, node) { return custom ? `x_${custom}_${node.name}` : 'base'; }\n" });
    expect(r.errors).toEqual([]);
    expect(r.schemas).toEqual({ m: 'x_marts_m', plain: 'base', own: 'x_finance_own' });
  });

  it('a generate_schema_name that returns nothing is an error naming the macro and the node', async () => {
    const r = await compile({ ...MODELS, 'macros/generate_schema_name.sql': '{{custom_schema_name}}' });
    expect(r.errors).toEqual([expect.stringMatching(/^macros\/generate_schema_name\.sql:1: generate_schema_name returned nothing for plain/)]);
  });

  it('a build creates the custom schema and builds the model in it', async () => {
    const p = makeProject({ from: 'empty' });
    for (const [f, text] of Object.entries(MODELS)) p.write(f, f === 'project.yml' ? `${text}targets:\n  dev:\n    type: embedded\n    schema: public\n` : text);
    const r = await p.run('run');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/OK created view model public_marts\.m /);
    expect(await p.query("select table_schema from information_schema.tables where table_name = 'm'")).toEqual([{ table_schema: 'public_marts' }]);
  });
});
