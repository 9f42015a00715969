import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { showJson } from './in-process.js';
import { makeProject, type Project } from './support/project.js';

// Materializations other than the Sparkify project's own: seeds, sources, views, incremental models.

function demo(): Project {
  const p = makeProject({ from: 'empty' });
  p.write('project.yml', 'name: demo\ntargets:\n  dev:\n    type: embedded\n    schema: public\n');
  p.write('seeds/raw_plays.csv', 'play_id,user_id,song,played_at,paid\n1,10,Intro,2018-11-01 10:00:00,true\n2,11,"Song, with comma",2018-11-01 10:05:00,false\n3,10,Outro,2018-11-02 09:00:00,true\n');
  p.write('seeds/schema.yml', 'version: 2\nseeds:\n  - name: raw_plays\n    config:\n      column_types: { play_id: bigint }\n');
  p.write('models/sources.yml', `version: 2
sources:
  - name: raw
    schema: public
    tables:
      - name: plays
        identifier: raw_plays
        columns:
          - name: play_id
            tests: [unique]
`);
  p.write('models/plays_incremental.sql', `{{config materialized="incremental" unique_key="play_id"}}
select play_id, user_id, song, played_at
from {{source "raw" "plays"}}
{{#if (is_incremental)}}
where played_at >= (select max(played_at) from {{this}})
{{/if}}
`);
  p.write('models/user_counts.sql', '{{config materialized="view"}}\nselect user_id, count(*) as plays from {{ref "plays_incremental"}} group by user_id\n');
  return p;
}

describe('seeds, sources, views and incremental models', () => {
  it('loads a seed with inferred and declared types', async () => {
    const p = demo();
    const r = await p.run('seed');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/OK created seed file public\.raw_plays \.+ \[INSERT 3 in/);
    const cols = await showJson(p.dir, 'select column_name, data_type from information_schema.columns where table_name = \'raw_plays\' order by ordinal_position');
    expect(cols).toEqual([
      { column_name: 'play_id', data_type: 'bigint' },
      { column_name: 'user_id', data_type: 'integer' },
      { column_name: 'song', data_type: 'text' },
      { column_name: 'played_at', data_type: 'timestamp without time zone' },
      { column_name: 'paid', data_type: 'boolean' },
    ]);
    expect(await showJson(p.dir, 'select song from raw_plays where play_id = 2')).toEqual([{ song: 'Song, with comma' }]);
  });

  it('builds incrementally: new rows inserted, changed keys replaced, --full-refresh rebuilds', async () => {
    const p = demo();
    const first = await p.run('build');
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain('PASS test unique_source_raw_plays_play_id');
    const compiledFirst = p.read('target/compiled/demo/models/plays_incremental.sql');
    expect(compiledFirst).toContain('from public.raw_plays');
    expect(await showJson(p.dir, 'select count(*) as n from plays_incremental')).toEqual([{ n: 3 }]);

    // A later extract: play 3 corrected, play 4 new.
    p.write('seeds/raw_plays.csv', 'play_id,user_id,song,played_at,paid\n1,10,Intro,2018-11-01 10:00:00,true\n2,11,"Song, with comma",2018-11-01 10:05:00,false\n3,12,Outro (fixed),2018-11-02 09:00:00,true\n4,11,New,2018-11-03 08:00:00,false\n');
    const second = await p.run('build');
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(/OK created incremental model public\.plays_incremental \.+ \[INSERT 2 in/);
    expect(await showJson(p.dir, 'select play_id, user_id, song from plays_incremental order by play_id')).toEqual([
      { play_id: 1, user_id: 10, song: 'Intro' },
      { play_id: 2, user_id: 11, song: 'Song, with comma' },
      { play_id: 3, user_id: 12, song: 'Outro (fixed)' },
      { play_id: 4, user_id: 11, song: 'New' },
    ]);
    // The view downstream sees the new rows.
    expect(await showJson(p.dir, 'select user_id, plays from user_counts order by user_id')).toEqual([
      { user_id: 10, plays: 1 },
      { user_id: 11, plays: 2 },
      { user_id: 12, plays: 1 },
    ]);
    const refresh = await p.run('run', '--select', 'plays_incremental', '--full-refresh');
    expect(refresh.code, refresh.output).toBe(0);
    expect(refresh.stdout).toMatch(/\[SELECT 4 in/);
  });

  it('replaces a view with a table when the materialization changes', async () => {
    const p = demo();
    expect((await p.run('build')).code).toBe(0);
    const kind = (): Promise<unknown[]> => showJson(p.dir, "select table_type from information_schema.tables where table_name = 'user_counts'");
    expect(await kind()).toEqual([{ table_type: 'VIEW' }]);
    p.write('models/user_counts.sql', p.read('models/user_counts.sql').replace('materialized="view"', 'materialized="table"'));
    const r = await p.run('run', '--select', 'user_counts');
    expect(r.code, r.output).toBe(0);
    expect(await kind()).toEqual([{ table_type: 'BASE TABLE' }]);
  });

  it('an undeclared source names the file and line', async () => {
    const p = demo();
    p.write('models/bad.sql', 'select 1\nfrom {{source "raw" "playz"}}\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("models/bad.sql:2:6: source 'raw.playz' is not declared");
    expect(r.stderr).toContain("Did you mean 'raw.plays'?");
  });
});

const unreachable = await postgresSkipReason('full_refresh on PostgreSQL');

/**
 * Two incremental models over the same seed, one with dbt's full_refresh=false. The seed is an extract that
 * keeps only recent plays, so what the models accumulated is history a rebuild would lose.
 */
function history(target: 'dev' | 'pg', schema: string): Project {
  const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
  p.write('project.yml', `name: hist\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${schema}\n`);
  p.write('seeds/raw_plays.csv', 'play_id,song\n1,Intro\n2,Verse\n3,Outro\n');
  const model = (config: string): string => `{{config materialized="incremental" unique_key="play_id"${config}}}
select play_id, song from {{ref "raw_plays"}}
{{#if (is_incremental)}}
where play_id > (select max(play_id) from {{this}})
{{/if}}
`;
  p.write('models/kept_plays.sql', model(' full_refresh=false'));
  p.write('models/plain_plays.sql', model(''));
  return p;
}

const pgSchema = `sparkify_hist_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  if (!unreachable) await dropSchema(pgSchema);
});

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])("dbt's full_refresh config on an incremental model ($target)", ({ target, skip }) => {
  it.skipIf(skip)('full_refresh=false keeps its history across run --full-refresh, and says so; a model without it is rebuilt', async () => {
    const p = history(target, pgSchema);
    const t = ['--target', target];
    const first = await p.run('build', ...t);
    expect(first.code, first.output).toBe(0);
    // The next extract holds only a new play: the models append it to what they hold.
    p.write('seeds/raw_plays.csv', 'play_id,song\n4,Coda\n');
    const second = await p.run('build', ...t);
    expect(second.code, second.output).toBe(0);
    const ids = async (model: string): Promise<number[]> =>
      (await showJson<{ play_id: number }>(p.dir, `select play_id from ${model} order by play_id`, target)).map((r) => r.play_id);
    expect(await ids('kept_plays')).toEqual([1, 2, 3, 4]);
    expect(await ids('plain_plays')).toEqual([1, 2, 3, 4]);

    const refresh = await p.run('run', '--full-refresh', ...t);
    expect(refresh.code, refresh.output).toBe(0);
    expect(refresh.stdout).toMatch(/OK created incremental model \S+\.kept_plays \.+ \[INSERT 0 in/);
    expect(refresh.stdout).toContain('kept_plays: not rebuilt by --full-refresh, its config sets full_refresh=false');
    expect(refresh.stdout).toMatch(/OK created incremental model \S+\.plain_plays \.+ \[SELECT 1 in/);
    expect(await ids('kept_plays')).toEqual([1, 2, 3, 4]);
    expect(await ids('plain_plays')).toEqual([4]);
  });
});

