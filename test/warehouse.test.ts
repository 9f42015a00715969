import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { showJson } from './in-process.js';
import { hasRealSample, makeProject, realSample, realSampleVars, type Project } from './support/project.js';

// The Sparkify warehouse on the embedded database, built from the real production sample.

const COUNTS_SQL = `select
  (select count(*) from fct_songplays) as songplays,
  (select count(*) from dim_users) as users,
  (select count(*) from dim_time) as times,
  (select count(*) from dim_songs) as songs,
  (select count(*) from dim_artists) as artists,
  (select count(*) from fct_songplays where song_id is not null) as linked`;

const requireSample = process.env.SPARKIFY_REQUIRE_REAL_SAMPLE === '1';
if (!hasRealSample) {
  if (requireSample) throw new Error(`the real sample is required (SPARKIFY_REQUIRE_REAL_SAMPLE=1) but ${realSample} does not exist`);
  console.warn(`[skipped] real-sample tests: ${realSample} does not exist (it sits beside the repo in ../shared)`);
}

describe.skipIf(!hasRealSample)('the warehouse built from the real sample', () => {
  let p: Project;
  let build: Awaited<ReturnType<Project['run']>>;

  beforeAll(async () => {
    p = makeProject();
    build = await p.run('build', '--vars', realSampleVars);
  });

  it('builds and tests green', () => {
    expect(build.code, build.output).toBe(0);
    expect(build.stdout).toMatch(/Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0/);
  });

  it('holds the contract numbers', async () => {
    const [row] = await showJson(p.dir, COUNTS_SQL);
    expect(Object.values(row!).map(Number)).toEqual([6820, 96, 6813, 71, 69, 1]);
  });

  it('links exactly the play whose title, artist and duration match the catalogue', async () => {
    const rows = await showJson<{ song_id: string; title: string; artist: string }>(
      p.dir,
      `select f.song_id, s.title, e.artist
       from fct_songplays f join dim_songs s using (song_id)
       join stg_events e on e.ts = f.start_time and e.session_id = f.session_id and e.page = 'NextSong'`,
    );
    expect(rows).toHaveLength(1);
    // The one match of the real sample, checked against the raw files themselves.
    const song = fs
      .readdirSync(path.join(realSample, 'song_data'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => JSON.parse(fs.readFileSync(path.join(e.parentPath, e.name), 'utf8')) as { song_id: string; title: string; artist_name: string })
      .find((s) => s.song_id === rows[0]!.song_id)!;
    expect(rows[0]!.title).toBe(song.title);
    expect(rows[0]!.artist).toBe(song.artist_name);
  });

  it("gives each user the level of their latest event", async () => {
    const wrong = await showJson(
      p.dir,
      `select u.user_id from dim_users u
       join (select cast(user_id as int) as user_id, level,
                    row_number() over (partition by user_id order by ts desc) as r
             from stg_events where user_id <> '') l on l.user_id = u.user_id and l.r = 1
       where l.level <> u.level`,
    );
    expect(wrong).toEqual([]);
    const [changed] = await showJson<{ n: number }>(
      p.dir,
      `select count(*) as n from (select user_id from stg_events where user_id <> '' and page = 'NextSong'
        group by user_id having count(distinct level) > 1) x`,
    );
    expect(Number(changed!.n)).toBe(8);
  });

  it('breaks time into UTC parts with Sunday = 0 and ISO weeks', async () => {
    const rows = await showJson<{ start_time: string; hour: number; day: number; week: number; month: number; year: number; weekday: number }>(
      p.dir,
      'select * from dim_time order by start_time limit 50',
    );
    for (const r of rows) {
      const d = new Date(r.start_time);
      expect([r.hour, r.day, r.month, r.year, r.weekday]).toEqual([d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCFullYear(), d.getUTCDay()]);
      expect(r.week).toBe(isoWeek(d));
    }
  });

  it('catches a naive SELECT DISTINCT dim_users with unique, and build skips what depends on it', async () => {
    const q = makeProject();
    q.write('models/marts/dim_users.sql', `select distinct cast(user_id as integer) as user_id, first_name, last_name, gender, level
from {{ref "stg_events"}} where page = 'NextSong'\n`);
    // A downstream model of dim_users, as an analyst would add.
    q.write('models/marts/user_plays.sql', `select u.user_id, count(*) as plays\nfrom {{ref "dim_users"}} u join {{ref "fct_songplays"}} f using (user_id)\ngroup by u.user_id\n`);
    const r = await q.run('build', '--vars', realSampleVars);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/FAIL test unique_dim_users_user_id .*\[FAIL 8 in/);
    expect(r.output).toMatch(/SKIP table model public\.user_plays \(unique_dim_users_user_id failed\)/);
    const [n] = await showJson<{ n: number }>(q.dir, 'select count(*) as n from dim_users');
    expect(Number(n!.n)).toBe(104);
    const results = JSON.parse(q.read('target/run_results.json')) as { results: { unique_id: string; status: string; failures: number | null }[] };
    const byId = new Map(results.results.map((x) => [x.unique_id, x]));
    expect(byId.get('test.sparkify.unique_dim_users_user_id')).toMatchObject({ status: 'fail', failures: 8 });
    expect(byId.get('model.sparkify.user_plays')?.status).toBe('skipped');
    expect(byId.get('model.sparkify.fct_songplays')?.status).toBe('success');
  });
});

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const yearStart = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  return Math.ceil(((t.getTime() - yearStart.getTime()) / 86400000 + 1) / 7);
}
