import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { showJson } from './in-process.js';
import { makeProject, runCli } from './support/project.js';

// Each bad input: a clear error naming file, line and what to do; the documented exit code; nothing lost.

describe('bad input', () => {
  it('a missing project.yml', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-empty-'));
    const r = await runCli(dir, ['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no project.yml in ${fs.realpathSync(dir)}`);
    expect(r.stderr).toContain('--project-dir');
  });

  it('a YAML syntax error names the file and line', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('models/marts/schema.yml', p.read('models/marts/schema.yml').replace('  - name: dim_users\n', '  - name: dim_users\n    description: "unclosed\n  oops: [\n'));
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/marts\/schema\.yml:\d+:\d+: YAML syntax error/);
  });

  it('an unknown config key in a model names the file and line', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('models/marts/dim_songs.sql', '\n{{config materialised="table"}}\nselect 1 as song_id\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("models/marts/dim_songs.sql:2:10: unknown config key 'materialised' for a model");
    expect(r.stderr).toContain("Did you mean 'materialized'?");
    // A secret-bearing key in model config (which target/manifest.json records) says where it belongs.
    const q = makeProject({ withDatabase: false });
    const model = q.read('models/staging/stg_events.sql');
    q.write('models/staging/stg_events.sql', model.replace('{{config ', `{{config iam_role="arn:aws:iam::123456789012:role/x" `));
    const role = await q.run('compile');
    expect(role.code).toBe(2);
    expect(role.stderr).toContain("models/staging/stg_events.sql:1:10: 'iam_role' is not model config: set iam_role in the redshift target of project.yml");
  });

  it('an unknown key in project.yml names its line', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('project.yml', p.read('project.yml').replace('target-path: target', 'target-path: target\nmodel-path: [models]'));
    const r = await p.run('ls');
    expect(r.code).toBe(2);
    const line = p.read('project.yml').split('\n').findIndex((l) => l.startsWith('model-path:')) + 1;
    expect(r.stderr).toContain(`project.yml:${line}:1: invalid project.yml at 'model-path': unknown key 'model-path'`);
  });

  it('a ref to a missing model names file:line:column and the nearest names', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('models/marts/dim_time.sql', 'select distinct start_time\nfrom   {{ref "fct_songplay"}}\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("models/marts/dim_time.sql:2:8: ref 'fct_songplay' does not match any model or seed");
    expect(r.stderr).toContain("Did you mean 'fct_songplays'");
  });

  it('a cycle names every node on it', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('models/marts/a.sql', 'select * from {{ref "b"}}\n');
    p.write('models/marts/b.sql', 'select * from {{ref "c"}}\n');
    p.write('models/marts/c.sql', 'select * from {{ref "a"}}\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dependency cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c) \(each feeds the next\)/);
    for (const f of ['models/marts/a.sql', 'models/marts/b.sql', 'models/marts/c.sql']) expect(r.stderr).toContain(f);
  });

  it('a Handlebars syntax error names the file and line', async () => {
    const p = makeProject({ withDatabase: false });
    p.write('models/marts/dim_songs.sql', 'select *\nfrom {{ref "stg_songs"}}\n{{#if (is_incremental)}}\nwhere 1 = 1\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/marts\/dim_songs\.sql:\d+: Handlebars syntax error/);
  });

  it('a SQL error names the model and the line in its own source file, and leaves the old table', async () => {
    const p = makeProject();
    expect((await p.run('run', '--select', 'stg_songs', 'dim_songs')).code).toBe(0);
    const before = await showJson(p.dir, 'select * from dim_songs order by song_id');
    expect(before.length).toBeGreaterThan(0);
    // Line 5 of the source refers to a column that does not exist; {{config}} on line 1 renders empty.
    p.write('models/marts/dim_songs.sql', '{{config tags="x"}}\n-- a comment\nselect\n    song_id,\n    no_such_column as title\nfrom {{ref "stg_songs"}}\n');
    const r = await p.run('run', '--select', 'dim_songs');
    expect(r.code).toBe(1);
    expect(r.output).toContain('Database error in model dim_songs (models/marts/dim_songs.sql:5)');
    expect(r.output).toContain('column "no_such_column" does not exist');
    expect(r.output).toMatch(/compiled SQL: target\/compiled\/sparkify\/models\/marts\/dim_songs\.sql:5:\d+/);
    expect(await showJson(p.dir, 'select * from dim_songs order by song_id')).toEqual(before);
  });

  it('a model failing mid-build leaves its previous table readable and intact', async () => {
    const p = makeProject();
    expect((await p.run('run', '--select', 'stg_events', 'dim_users')).code).toBe(0);
    const before = await showJson(p.dir, 'select * from dim_users order by user_id');
    // Fails at run time, on a row well into the data, after the table has started to fill.
    p.write('models/marts/dim_users.sql', p.read('models/marts/dim_users.sql').replace('select e.user_id,', 'select case when e.user_id > 50 then cast(e.last_name as integer) else e.user_id end as user_id,'));
    const r = await p.run('run', '--select', 'dim_users');
    expect(r.code).toBe(1);
    expect(r.output).toContain('invalid input syntax for type integer');
    expect(await showJson(p.dir, 'select * from dim_users order by user_id')).toEqual(before);
  });

  it('a selector that matches nothing is a warning, exit 0', async () => {
    const p = makeProject({ withDatabase: false });
    const r = await p.run('run', '--select', 'dim_userz');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("The selection criterion 'dim_userz' does not match any enabled nodes");
    expect(r.stderr).toContain("Did you mean 'dim_users'");
  });

  it('an unknown command or flag is a usage error', async () => {
    const p = makeProject({ withDatabase: false });
    const cmd = await p.run('biuld');
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'biuld'");
    expect(cmd.stderr).toContain('build');
    const flag = await p.run('run', '--selct', 'dim_users');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--selct'");
    const threads = await p.run('run', '--threads', 'many');
    expect(threads.code).toBe(2);
    expect(threads.stderr).toContain("--threads takes a whole number ≥ 1, not 'many'");
  });

  it('--vars that is not JSON', async () => {
    const p = makeProject({ withDatabase: false });
    const r = await p.run('run', '--vars', "{data_path: 'x'");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vars is not valid JSON');
    expect(r.stderr).toContain(`--vars '{"data_path"`);
  });

  it('a data_path that does not exist, and the staging table is untouched', async () => {
    const p = makeProject();
    expect((await p.run('run', '--select', 'stg_songs')).code).toBe(0);
    const [before] = await showJson<{ n: number }>(p.dir, 'select count(*) as n from stg_songs');
    const r = await p.run('run', '--select', 'stg_songs', '--vars', '{"data_path": "no/such/dir"}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`data_path ${path.join(fs.realpathSync(p.dir), 'no/such/dir')} does not exist (set by --vars)`);
    const [after] = await showJson<{ n: number }>(p.dir, 'select count(*) as n from stg_songs');
    expect(after).toEqual(before);
  });

  it('a test on a column the model does not have names the YAML line', async () => {
    const p = makeProject();
    p.write('models/marts/schema.yml', p.read('models/marts/schema.yml').replace('      - name: title\n', '      - name: titel\n        tests: [not_null]\n'));
    const r = await p.run('build', '--select', 'stg_songs', 'dim_songs');
    expect(r.code).toBe(1);
    const line = p.read('models/marts/schema.yml').split('\n').findIndex((l) => l.includes('- name: titel')) + 1;
    expect(r.output).toContain(`models/marts/schema.yml:${line}:9: column 'titel' is declared for dim_songs but dim_songs has no such column`);
    expect(r.output).toContain("test not_null is declared on column 'titel', which dim_songs does not have");
  });
});
