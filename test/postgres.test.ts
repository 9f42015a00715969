import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.js';
import { memoryLogger } from '../src/run/log.js';
import { openReader } from './in-process.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { cliPath, hasRealSample, makeProject, realSampleVars, runCli, type Project } from './support/project.js';

// The same warehouse on a real PostgreSQL server (libpq variables; CI sets them and starts the server).

const unreachable = await postgresSkipReason('PostgreSQL tests');

/** Questions an analyst asks of the star schema; every warehouse must answer them identically. */
const ANALYTICS: Record<string, string> = {
  counts: `select (select count(*) from fct_songplays) as songplays, (select count(*) from dim_users) as users,
             (select count(*) from dim_time) as times, (select count(*) from dim_songs) as songs,
             (select count(*) from dim_artists) as artists, (select count(*) from fct_songplays where song_id is not null) as linked`,
  top_users: `select u.user_id, u.first_name, u.last_name, count(*) as plays from fct_songplays f join dim_users u using (user_id)
              group by u.user_id, u.first_name, u.last_name order by plays desc, u.user_id limit 5`,
  plays_by_level: 'select level, count(*) as plays from fct_songplays group by level order by level',
  plays_by_weekday: 'select t.weekday, count(*) as plays from fct_songplays f join dim_time t using (start_time) group by t.weekday order by t.weekday',
  busiest_hours: 'select t.hour, count(*) as plays from fct_songplays f join dim_time t using (start_time) group by t.hour order by plays desc, t.hour limit 3',
  paying_users_by_gender: "select gender, count(*) as users from dim_users where level = 'paid' group by gender order by gender",
  linked_play: 'select f.start_time, s.title, a.name from fct_songplays f join dim_songs s using (song_id) join dim_artists a on a.artist_id = f.artist_id',
};

describe.skipIf(!!unreachable || !hasRealSample)('the warehouse on PostgreSQL', () => {
  const schema = `sparkify_test_${process.pid}_${Date.now().toString(36)}`;
  let embedded: Project;
  let server: Project;
  let pgBuild: Awaited<ReturnType<Project['run']>>;

  beforeAll(async () => {
    embedded = makeProject();
    server = makeProject({ withDatabase: false });
    server.write('project.yml', server.read('project.yml').replace(/(  pg:\n    type: postgres\n    schema: )sparkify/, `$1${schema}`));
    const [e, p] = await Promise.all([embedded.run('build', '--vars', realSampleVars), server.run('build', '--target', 'pg', '--vars', realSampleVars)]);
    expect(e.code, e.output).toBe(0);
    pgBuild = p;
  });

  afterAll(() => dropSchema(schema));

  it('builds and tests green in its own schema', async () => {
    expect(pgBuild.code, pgBuild.output).toBe(0);
    expect(pgBuild.stdout).toContain(`PostgreSQL`);
    const client = new pg.Client();
    await client.connect();
    const r = await client.query('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema]);
    await client.end();
    expect(r.rows.map((x: { table_name: string }) => x.table_name)).toEqual([
      'dim_artists', 'dim_songs', 'dim_time', 'dim_user_levels', 'dim_users', 'fct_songplays',
      // The staging loads' ledger and rejected rows (Redshift's stl_load_errors), beside the tables they describe.
      'sparkify_load_errors', 'sparkify_loaded_files', 'stg_events', 'stg_songs',
    ]);
  });

  it('answers every analytics question exactly as the embedded warehouse does', async () => {
    // Each warehouse opened once in this process, its answers formatted as `show --output json` prints them.
    const [onEmbedded, onServer] = await Promise.all([openReader(embedded.dir), openReader(server.dir, 'pg')]);
    try {
      for (const [name, sql] of Object.entries(ANALYTICS)) {
        const [a, b] = await Promise.all([onEmbedded.show(sql), onServer.show(sql)]);
        expect(b, name).toEqual(a);
        expect(a.length, name).toBeGreaterThan(0);
      }
      const [counts] = await onServer.show(ANALYTICS.counts!);
      expect(Object.values(counts!)).toEqual([6820, 96, 6813, 71, 69, 1]);
    } finally {
      await Promise.all([onEmbedded.close(), onServer.close()]);
    }
  });

  it('runs independent models in parallel with --threads', async () => {
    const r = await server.run('run', '--target', 'pg', '--threads', '4', '--select', 'stg_songs+', '--vars', realSampleVars);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain('Concurrency: 4 threads');
    const results = JSON.parse(server.read('target/run_results.json')) as { results: { thread_id: string }[] };
    expect(new Set(results.results.map((x) => x.thread_id)).size).toBeGreaterThan(1);
  });
});

describe.skipIf(!!unreachable)('PostgreSQL: atomic swaps, run locks, secrets', () => {
  const schema = `sparkify_swap_${process.pid}_${Date.now().toString(36)}`;
  let p: Project;

  beforeAll(async () => {
    p = makeProject({ withDatabase: false });
    p.write('project.yml', p.read('project.yml').replace(/(  pg:\n    type: postgres\n    schema: )sparkify/, `$1${schema}`));
    const r = await p.run('run', '--target', 'pg', '--select', '+dim_users');
    expect(r.code, r.output).toBe(0);
  });

  afterAll(() => dropSchema(schema));

  it('a reader never sees a missing or half-built table during 20 rebuilds, nor after a failed one', async () => {
    const reader = new pg.Client();
    await reader.connect();
    const expected = Number((await reader.query(`select count(*) as n from "${schema}".dim_users`)).rows[0].n);
    expect(expected).toBeGreaterThan(0);
    let stop = false;
    let reads = 0;
    const seen = new Set<number>();
    const errors: string[] = [];
    const loop = (async () => {
      while (!stop) {
        try {
          seen.add(Number((await reader.query(`select count(*) as n from "${schema}".dim_users`)).rows[0].n));
          reads++;
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    })();
    const opts = { projectDir: p.dir, target: 'pg', select: ['dim_users'] };
    for (let i = 0; i < 20; i++) {
      const log = memoryLogger();
      expect(await runCommand('run', opts, log), log.lines.join('\n')).toBe(0);
    }
    // A broken version fails mid-build: the old table must stay.
    p.write('models/marts/dim_users.sql', p.read('models/marts/dim_users.sql').replace('select e.user_id,', 'select case when e.user_id > 50 then cast(e.last_name as integer) else e.user_id end as user_id,'));
    const log = memoryLogger();
    expect(await runCommand('run', opts, log)).toBe(1);
    stop = true;
    await loop;
    await reader.end();
    expect(errors).toEqual([]);
    expect([...seen]).toEqual([expected]);
    expect(reads).toBeGreaterThan(20);
  });

  it('a second run waits for the first, or fails at once with --no-wait', async () => {
    // Hold the run lock as another run would, from a session of our own.
    const holder = new pg.Client({ options: `-c search_path=${schema},public` });
    await holder.connect();
    const k = Number((await holder.query(`select hashtext('sparkify run ' || current_database() || '.' || current_schema()) as k`)).rows[0].k);
    await holder.query('select pg_advisory_lock($1)', [k]);
    try {
      const noWait = await p.run('run', '--target', 'pg', '--select', 'stg_songs', '--no-wait');
      expect(noWait.code).toBe(2);
      expect(noWait.stderr).toContain(`another sparkify run holds the lock on schema ${schema}`);
      // Release the lock only once the second run says it is waiting for it.
      const child = spawn(process.execPath, [cliPath, 'run', '--target', 'pg', '--select', 'stg_songs'], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('waiting for it to finish')) resolve();
        });
        void exited.then(() => reject(new Error(`the second run ended without waiting:\n${out}`)));
      });
      expect(out).not.toContain('START');
      await holder.query('select pg_advisory_unlock($1)', [k]);
      const done = { code: await exited, stdout: out, output: out };
      expect(done.stdout).toContain('Another sparkify run holds this target; waiting for it to finish');
    } finally {
      await holder.end();
    }
  });

  it('a password never appears in output or artifacts, even when the connection fails', async () => {
    const secret = 'Tr0ub4dor-and-3-correct-horse';
    const q = makeProject({ withDatabase: false });
    q.write('project.yml', q.read('project.yml').replace(/  pg:\n    type: postgres\n/, `  pg:\n    type: postgres\n    password: '{{env "SPARKIFY_TEST_SECRET"}}'\n`));
    const env = { SPARKIFY_TEST_SECRET: secret, PGPORT: '1', PGHOST: '127.0.0.1' };
    const outputs: string[] = [];
    for (const args of [['debug', '--target', 'pg'], ['build', '--target', 'pg'], ['show', '--target', 'pg', '--inline', 'select 1']]) {
      const r = await runCli(q.dir, args, env);
      expect(r.code, r.output).toBe(2);
      outputs.push(r.output);
    }
    expect(outputs.join('\n')).toContain('cannot connect to PostgreSQL at 127.0.0.1:1/');
    expect(outputs[0]).toContain('password: ****');
    const files = fs.readdirSync(q.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.includes('sample-data'));
    for (const text of [...outputs, ...files.map((f) => fs.readFileSync(path.join(f.parentPath, f.name), 'utf8'))]) {
      expect(text).not.toContain(secret);
    }
  });
});
