import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SparkifyErrors } from '../src/core/errors.js';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { sourceLineFor } from '../src/template/lines.js';
import { repoRoot } from './support/project.js';

// Compile is a pure function from project files to a manifest: no database, no writes.

async function compileDir(dir: string) {
  const project = await loadProject(dir);
  const env: RenderEnv = { projectName: project.config.name, target: { name: 'dev', type: 'embedded', schema: 'public' }, vars: project.config.vars, env: {} };
  const engine = await TemplateEngine.create(env, project.macros, project.dir);
  const result = compileProject(project, engine, env);
  // As the CLI does: a project with errors does not run, and every error is reported.
  if (result.errors.length) throw new SparkifyErrors(result.errors);
  return result;
}

function tempProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-compile-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('compile', () => {
  it('turns the Sparkify project into a manifest in dependency order, without touching a database', async () => {
    const before = fs.existsSync(path.join(repoRoot, '.sparkify')) ? fs.statSync(path.join(repoRoot, '.sparkify')).mtimeMs : 0;
    const { manifest, order } = await compileDir(repoRoot);
    const models = order.filter((id) => id.startsWith('model.')).map((id) => manifest.nodes.get(id)!.name);
    expect(new Set(models)).toEqual(new Set(['stg_events', 'stg_songs', 'fct_songplays', 'dim_users', 'dim_songs', 'dim_artists', 'dim_time', 'dim_user_levels']));
    const at = (n: string): number => models.indexOf(n);
    expect(at('stg_events')).toBeLessThan(at('fct_songplays'));
    expect(at('stg_songs')).toBeLessThan(at('fct_songplays'));
    expect(at('fct_songplays')).toBeLessThan(at('dim_time'));
    const fct = manifest.nodes.get('model.sparkify.fct_songplays')!;
    expect(fct.config).toMatchObject({ materialized: 'incremental', incremental_strategy: 'microbatch', event_time: 'start_time', batch_size: 'day', dist: 'start_time', sort: ['start_time'], tags: ['marts', 'daily'] });
    expect(fct.compiled_code).toContain('from public.stg_events');
    expect(manifest.nodes.get('model.sparkify.stg_events')!.config).toMatchObject({ materialized: 'copy', from: 'log_data', timeformat: 'epochmillisecs' });
    // Every test sits after all the nodes it reads.
    for (const [i, id] of order.entries()) {
      for (const parent of manifest.parent_map.get(id)!) expect(order.indexOf(parent)).toBeLessThan(i);
    }
    const after = fs.existsSync(path.join(repoRoot, '.sparkify')) ? fs.statSync(path.join(repoRoot, '.sparkify')).mtimeMs : 0;
    expect(after).toBe(before);
  });

  it('gives each node a checksum that changes with its SQL or config only', async () => {
    const dir = tempProject({
      'project.yml': 'name: p\n',
      'models/a.sql': 'select 1 as x\n',
      'models/b.sql': 'select * from {{ref "a"}}\n',
    });
    const first = await compileDir(dir);
    fs.writeFileSync(path.join(dir, 'models/a.sql'), '{{config materialized="table"}}\nselect 1 as x\n');
    const second = await compileDir(dir);
    const sum = (r: typeof first, id: string): string | undefined => r.manifest.nodes.get(id)!.checksum;
    expect(sum(second, 'model.p.a')).not.toBe(sum(first, 'model.p.a'));
    expect(sum(second, 'model.p.b')).toBe(sum(first, 'model.p.b'));
  });

  it('accepts dbt-style folder config with or without the project level, and merges tags', async () => {
    const dir = tempProject({
      'project.yml': 'name: p\nmodels:\n  p:\n    +tags: [all]\n    marts:\n      +materialized: table\n      +tags: [m]\n',
      'models/marts/x.sql': '{{config tags="own"}}\nselect 1 as x\n',
      'models/y.sql': 'select 2 as y\n',
    });
    const { manifest } = await compileDir(dir);
    expect(manifest.nodes.get('model.p.x')!.config).toMatchObject({ materialized: 'table', tags: ['all', 'm', 'own'] });
    expect(manifest.nodes.get('model.p.y')!.config).toMatchObject({ materialized: 'view', tags: ['all'] });
  });

  it('rejects two models with one name, naming both files', async () => {
    const dir = tempProject({ 'project.yml': 'name: p\n', 'models/a/x.sql': 'select 1\n', 'models/b/x.sql': 'select 2\n' });
    await expect(compileDir(dir)).rejects.toThrow("two nodes are named 'x': models/a/x.sql and models/b/x.sql");
  });

  it('rejects YAML describing a model that does not exist, at its line', async () => {
    const dir = tempProject({ 'project.yml': 'name: p\n', 'models/x.sql': 'select 1\n', 'models/s.yml': 'version: 2\nmodels:\n  - name: x\n  - name: xx\n' });
    await expect(compileDir(dir)).rejects.toMatchObject({ location: { file: 'models/s.yml', line: 4 }, message: "models/s.yml describes model 'xx', which does not exist" });
  });
});

describe('source lines for database errors', () => {
  it('maps one to one when the template keeps its line structure', () => {
    expect(sourceLineFor('{{config a="b"}}\nselect\n  x\nfrom t', '\nselect\n  x\nfrom t', 3)).toBe(3);
  });

  it('finds the line by its literal text when a multi-line tag collapsed lines', () => {
    const template = '{{config\n  materialized="table"\n  tags="x"\n}}\nselect a,\n  bad_column as b\nfrom {{ref "m"}}\nwhere c = 1';
    const rendered = '\nselect a,\n  bad_column as b\nfrom public.m\nwhere c = 1';
    expect(sourceLineFor(template, rendered, 3)).toBe(6);
    expect(sourceLineFor(template, rendered, 4)).toBe(7);
    expect(sourceLineFor(template, rendered, 5)).toBe(8);
  });
});
