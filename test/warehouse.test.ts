import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { showJson } from './in-process.js';
import { hasRealSample, makeProject, realSample, realSampleVars, type Project } from './support/project.js';

// The Sparkify warehouse on the embedded database, built from the real production sample.

/** The marts and an order that makes their rows comparable. */
const MARTS: Record<string, string> = {
  fct_songplays: 'songplay_id',
  dim_users: 'user_id',
  dim_songs: 'song_id',
  dim_artists: 'artist_id',
  dim_time: 'start_time',
  dim_user_levels: 'user_id, valid_from',
};

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

  it("keeps each user's level history in dim_user_levels, as the raw log files tell it", async () => {
    // Expected periods worked out here from the raw JSON lines, not from SQL.
    type Ev = { userId: string; level: string; ts: number; sessionId: number; itemInSession: number; page: string };
    const events: Ev[] = fs
      .readdirSync(path.join(realSample, 'log_data'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .flatMap((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Ev))
      .filter((e) => e.userId !== '');
    const players = new Set(events.filter((e) => e.page === 'NextSong').map((e) => Number(e.userId)));
    const byUser = new Map<number, Ev[]>();
    for (const e of events) byUser.set(Number(e.userId), [...(byUser.get(Number(e.userId)) ?? []), e]);
    const expected: string[] = [];
    for (const [user, evs] of byUser) {
      if (!players.has(user)) continue;
      evs.sort((a, b) => a.ts - b.ts || a.sessionId - b.sessionId || a.itemInSession - b.itemInSession);
      const runs = evs.filter((e, i) => i === 0 || evs[i - 1]!.level !== e.level);
      runs.forEach((r, i) => expected.push(`${user} ${r.level} ${r.ts} ${runs[i + 1]?.ts ?? 'null'}`));
    }
    const rows = await p.query<{ user_id: number; level: string; valid_from: string; valid_to: string | null }>('select user_id, level, valid_from, valid_to from dim_user_levels');
    const ms = (t: string | null): string => (t === null ? 'null' : String(Date.parse(`${t.replace(' ', 'T')}Z`)));
    expect(rows.map((r) => `${r.user_id} ${r.level} ${ms(r.valid_from)} ${ms(r.valid_to)}`).sort()).toEqual(expected.sort());
    expect(new Set(rows.filter((r) => r.valid_to !== null).map((r) => r.user_id)).size).toBe(8);
  });

  it('built in two halves, with a late file on the way, holds the same marts row for row as one build', async () => {
    // The real sample's files, arriving as they would: days 1-15 without the 14th, then the 14th late
    // (inside fct_songplays' lookback), then days 16-30. Copied to a temporary data_path outside the repo.
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-halves-'));
    fs.cpSync(path.join(realSample, 'song_data'), path.join(data, 'song_data'), { recursive: true });
    fs.copyFileSync(path.join(realSample, 'log_json_path.json'), path.join(data, 'log_json_path.json'));
    const logs = fs.readdirSync(path.join(realSample, 'log_data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(path.join(realSample, 'log_data'), path.join(e.parentPath, e.name))).sort();
    expect(logs).toHaveLength(30);
    const arrive = (files: string[]): void => {
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(data, 'log_data', f)), { recursive: true });
        fs.copyFileSync(path.join(realSample, 'log_data', f), path.join(data, 'log_data', f));
      }
    };
    const q = makeProject();
    const vars = JSON.stringify({ data_path: data });
    arrive(logs.slice(0, 15).filter((f) => !f.includes('-14-')));
    expect((await q.run('build', '--vars', vars)).code).toBe(0);
    arrive(logs.filter((f) => f.includes('-14-')));
    const late = await q.run('build', '--vars', vars);
    expect(late.code, late.output).toBe(0);
    expect(late.stdout).toMatch(/fct_songplays \.+ \[MICROBATCH \d+ \(2 batches of a day from 2018-11-14\) in/);
    arrive(logs.slice(15));
    const second = await q.run('build', '--vars', vars);
    expect(second.code, second.output).toBe(0);
    for (const [mart, order] of Object.entries(MARTS)) {
      const sql = `select * from ${mart} order by ${order}`;
      expect(await q.query(sql), mart).toEqual(await p.query(sql));
    }
  });

  it('after a build of the generated sample, a build of the real sample holds the real numbers (history over a reloaded staging table is rebuilt)', async () => {
    const q = makeProject();
    expect((await q.run('build')).code).toBe(0);
    const r = await q.run('build', '--vars', realSampleVars);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/fct_songplays: rebuilt in full, because stg_(events|songs) was reloaded from a new location/);
    const [row] = await q.query(COUNTS_SQL);
    expect(Object.values(row!).map(Number)).toEqual([6820, 96, 6813, 71, 69, 1]);
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
