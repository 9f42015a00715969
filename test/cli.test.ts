import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type Project } from './support/project.js';

// The CLI as an analytics engineer uses it, on the repo's own sample data.

interface RunResults {
  results: { unique_id: string; status: string; thread_id: string; adapter_response: { rows_affected?: number }; compiled_path: string | null }[];
  args: Record<string, unknown>;
}

const ids = (p: Project): string[] => (JSON.parse(p.read('target/run_results.json')) as RunResults).results.map((r) => r.unique_id).sort();

describe('ls: what a selection means', () => {
  const p = makeProject({ withDatabase: false });
  const ls = async (...args: string[]): Promise<string[]> => {
    const r = await p.run('ls', '--resource-type', 'model', '--output', 'name', ...args);
    expect(r.code, r.output).toBe(0);
    return r.stdout.trim().split('\n').filter(Boolean).sort();
  };

  it('graph operators, methods, union, intersection and exclude', async () => {
    expect(await ls('--select', '+fct_songplays')).toEqual(['fct_songplays', 'stg_events', 'stg_songs']);
    expect(await ls('--select', 'stg_events+')).toEqual(['dim_time', 'dim_user_levels', 'dim_users', 'fct_songplays', 'stg_events']);
    expect(await ls('--select', 'stg_songs+1')).toEqual(['dim_artists', 'dim_songs', 'fct_songplays', 'stg_songs']);
    // As in dbt, @ walks through tests too: the relationships tests of the fact bring in the dimensions.
    expect(await ls('--select', '@dim_time')).toEqual(['dim_time', 'fct_songplays', 'stg_events', 'stg_songs']);
    expect(await ls('--select', '@fct_songplays')).toEqual(['dim_artists', 'dim_songs', 'dim_time', 'dim_users', 'fct_songplays', 'stg_events', 'stg_songs']);
    expect(await ls('--select', 'tag:daily')).toEqual(['dim_artists', 'dim_songs', 'dim_time', 'dim_user_levels', 'dim_users', 'fct_songplays']);
    expect(await ls('--select', 'path:models/staging')).toEqual(['stg_events', 'stg_songs']);
    expect(await ls('--select', 'config.materialized:copy')).toEqual(['stg_events', 'stg_songs']);
    expect(await ls('--select', 'dim_users', 'dim_songs')).toEqual(['dim_songs', 'dim_users']);
    expect(await ls('--select', 'dim_users dim_songs')).toEqual(['dim_songs', 'dim_users']);
    expect(await ls('--select', 'stg_events+,tag:daily')).toEqual(['dim_time', 'dim_user_levels', 'dim_users', 'fct_songplays']);
    expect(await ls('--select', 'tag:daily', '--exclude', 'dim_time dim_users')).toEqual(['dim_artists', 'dim_songs', 'dim_user_levels', 'fct_songplays']);
  });

  it('lists tests attached to a selection, and prints paths and JSON', async () => {
    const r = await p.run('ls', '--select', 'dim_users', '--resource-type', 'test', '--output', 'name');
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'accepted_values_dim_users_level__free__paid',
      'not_null_dim_users_level',
      'not_null_dim_users_user_id',
      'relationships_dim_user_levels_user_id__user_id__ref_dim_users_',
      'relationships_fct_songplays_user_id__user_id__ref_dim_users_',
      'unique_dim_users_user_id',
      'user_levels_agree_with_dim_users',
    ]);
    const paths = await p.run('ls', '--select', 'dim_time', '--output', 'path', '--resource-type', 'model');
    expect(paths.stdout.trim()).toBe('models/marts/dim_time.sql');
    const json = await p.run('ls', '--select', 'dim_time', '--output', 'json', '--resource-type', 'model');
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'dim_time', resource_type: 'model', depends_on: ['model.sparkify.fct_songplays'] });
  });
});

describe('compile', () => {
  it('writes the rendered SQL of every node to target/compiled, and a manifest', async () => {
    const p = makeProject({ withDatabase: false });
    const r = await p.run('compile');
    expect(r.code, r.output).toBe(0);
    const sql = p.read('target/compiled/sparkify/models/marts/dim_time.sql');
    expect(sql).toContain('from public.fct_songplays');
    expect(sql).not.toContain('{{');
    const test = p.read('target/compiled/sparkify/models/marts/schema.yml/unique_dim_users_user_id.sql');
    expect(test).toContain('from public.dim_users\nwhere user_id is not null');
    const manifest = JSON.parse(p.read('target/manifest.json')) as { nodes: Record<string, { depends_on: { nodes: string[] } }>; parent_map: Record<string, string[]> };
    expect(manifest.nodes['model.sparkify.fct_songplays']!.depends_on.nodes).toEqual(['model.sparkify.stg_events', 'model.sparkify.stg_songs']);
    expect(manifest.parent_map['model.sparkify.dim_time']).toEqual(['model.sparkify.fct_songplays']);
  });

  it('renders vars, env, target and macros, without HTML-escaping', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('macros/cents.sql', '({{column}} / 100.0)');
    p.write('macros/helpers.js', 'export function upper(s) { return String(s).toUpperCase(); }\n');
    p.write('models/marts/probe.sql', `select '{{var "greeting" "hi"}}' as g, '{{env "SPARKIFY_PROBE" "none"}}' as e, '{{target.name}}' as t,
  {{> cents column="price"}} as dollars, '{{upper "x&y<z>"}}' as u, '{{this}}' as me
from {{ref "stg_songs"}} where title <> '' and 1 < 2\n`);
    const r = await p.run('compile', '--select', 'probe', '--vars', '{"greeting": "O\'Hare & co"}');
    expect(r.code, r.output).toBe(0);
    const sql = p.read('target/compiled/sparkify/models/marts/probe.sql');
    expect(sql).toContain(`select 'O'Hare & co' as g, 'none' as e, 'dev' as t,`);
    expect(sql).toContain('(price / 100.0) as dollars');
    expect(sql).toContain(`'X&Y<Z>' as u, 'public.probe' as me`);
    expect(sql).toContain('1 < 2');
  });
});

describe('run, test, build, show on the sample data', () => {
  let p: Project;
  beforeAll(async () => {
    p = makeProject();
    const r = await p.run('build');
    expect(r.code, r.output).toBe(0);
  });

  it('build loads the sample and tests every mart', () => {
    const results = JSON.parse(p.read('target/run_results.json')) as RunResults;
    const statuses = new Set(results.results.map((r) => r.status));
    expect([...statuses].sort()).toEqual(['pass', 'success']);
    const marts = ['fct_songplays', 'dim_users', 'dim_songs', 'dim_artists', 'dim_time'];
    for (const m of marts) {
      expect(results.results.some((r) => r.unique_id === `test.sparkify.unique_${m}_${m === 'fct_songplays' ? 'songplay_id' : m === 'dim_time' ? 'start_time' : m === 'dim_users' ? 'user_id' : m === 'dim_songs' ? 'song_id' : 'artist_id'}`)).toBe(true);
    }
  });

  it('run --select dim_users runs only that model', async () => {
    const r = await p.run('run', '--select', 'dim_users');
    expect(r.code, r.output).toBe(0);
    expect(ids(p)).toEqual(['model.sparkify.dim_users']);
    expect(r.stdout).toMatch(/1 of 1 OK created table model public\.dim_users \.+ \[SELECT \d+ in/);
  });

  it('test runs the data tests alone, and severity warn does not fail', async () => {
    const r = await p.run('test', '--select', 'dim_songs');
    expect(r.code, r.output).toBe(0);
    expect(ids(p).every((id) => id.startsWith('test.'))).toBe(true);
    p.write('tests/warn_on_many_songs.sql', '{{config severity="warn"}}\nselect * from {{ref "dim_songs"}}\n');
    const w = await p.run('test', '--select', 'warn_on_many_songs');
    expect(w.code, w.output).toBe(0);
    expect(w.output).toMatch(/WARN test warn_on_many_songs \.+ \[WARN \d+ in/);
    p.remove('tests/warn_on_many_songs.sql');
  });

  it('state:modified+ rebuilds only what changed and what depends on it', async () => {
    const first = await p.run('run', '--select', 'state:modified');
    expect(first.code, first.output).toBe(0);
    expect(first.stderr).toContain("The selection criterion 'state:modified' does not match any enabled nodes");
    p.write('models/marts/dim_songs.sql', p.read('models/marts/dim_songs.sql').replace('select song_id, title', 'select song_id, upper(title) as title'));
    const r = await p.run('build', '--select', 'state:modified+');
    expect(r.code, r.output).toBe(0);
    expect(ids(p).filter((id) => id.startsWith('model.'))).toEqual(['model.sparkify.dim_songs']);
    const again = await p.run('run', '--select', 'state:modified');
    expect(again.stderr).toContain('does not match any enabled nodes');
  });

  it('show prints tables, JSON and CSV, with --limit and refs', async () => {
    const table = await p.run('show', '--inline', 'select level, count(*) as n from {{ref "dim_users"}} group by level order by level');
    expect(table.code, table.output).toBe(0);
    expect(table.stdout).toMatch(/^\| level \| n +\|\n\|-+\|-+\|\n\| free +\| \d+ +\|\n\| paid +\| \d+ +\|\n$/);
    const json = await p.run('show', '--output', 'json', '--limit', '2', '--inline', 'select user_id from dim_users order by user_id');
    const rows = JSON.parse(json.stdout) as { user_id: number }[];
    expect(rows).toHaveLength(2);
    expect(typeof rows[0]!.user_id).toBe('number');
    const csv = await p.run('show', '--output', 'csv', '--inline', `select 'a,b' as x, 'say "hi"' as y`);
    expect(csv.stdout).toBe('x,y\n"a,b","say ""hi"""\n');
    const model = await p.run('show', '--select', 'dim_time', '--limit', '1', '--output', 'json');
    expect(Object.keys((JSON.parse(model.stdout) as object[])[0]!)).toEqual(['start_time', 'hour', 'day', 'week', 'month', 'year', 'weekday']);
  });

  it('writes dbt-shaped run_results.json without secrets', () => {
    const results = JSON.parse(p.read('target/run_results.json')) as RunResults & { metadata: { invocation_id: string } };
    expect(results.metadata.invocation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(results.args).not.toHaveProperty('vars');
  });

  it('debug checks the connection', async () => {
    const r = await p.run('debug');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/connection: OK in .* PostgreSQL \d+/);
  });

  it('--fail-fast skips everything after the first failure', async () => {
    const q = makeProject();
    q.write('models/marts/dim_artists.sql', 'select 1/0 as artist_id\n');
    const r = await q.run('run', '--fail-fast', '--threads', '1');
    expect(r.code).toBe(1);
    const results = JSON.parse(q.read('target/run_results.json')) as RunResults;
    const after = results.results.slice(results.results.findIndex((x) => x.status === 'error') + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((x) => x.status === 'skipped')).toBe(true);
    expect(fs.existsSync(path.join(q.dir, 'target/manifest.json'))).toBe(true);
  });
});
