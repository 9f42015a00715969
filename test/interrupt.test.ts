import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/warehouse/postgres.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { cliPath, makeProject, type Project } from './support/project.js';

// Ctrl-C: the CLI aborts its AbortSignal, the pg driver cancels the running statement on the server
// (pg_cancel_backend), and the run ends with exit 130. A real SIGINT to a real CLI process.

const unreachable = await postgresSkipReason('interrupt tests');

describe.skipIf(!!unreachable)('Ctrl-C on a PostgreSQL run', () => {
  const schema = `sparkify_int_${process.pid}_${Date.now().toString(36)}`;
  // Not a prefix of the schema name: only the model's statement may match it.
  const marker = `sleepy_marker_${process.pid}`;
  let p: Project;
  let admin: pg.Client;

  beforeAll(async () => {
    p = makeProject({ withDatabase: false });
    p.write('project.yml', p.read('project.yml').replace(/(  pg:\n    type: postgres\n    schema: )sparkify/, `$1${schema}`));
    // The comment makes the statement easy to find in pg_stat_activity.
    p.write('models/marts/sleepy.sql', `select 1 as slept from pg_sleep(30) -- ${marker}\n`);
    admin = new pg.Client();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await dropSchema(schema);
  });

  const running = async (): Promise<number[]> =>
    (await admin.query(`select pid from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`, [`%${marker}%`])).rows.map(
      (r: { pid: number }) => r.pid,
    );

  it('cancels the running statement on the server and exits 130 at once', async () => {
    const child = spawn(process.execPath, [cliPath, 'run', '--target', 'pg', '--select', 'sleepy'], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let pids: number[] = [];
    for (let i = 0; i < 300 && !pids.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pids = await running();
    }
    expect(pids, output).toHaveLength(1);
    const t0 = Date.now();
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // Cancelled on the server, not left sleeping behind a process that went away.
    expect(await running()).toEqual([]);
    expect(output).toContain('Interrupted: cancelling the running statements');
    expect(output).toMatch(/canceling statement due to user request/);
  });

  it('ends a run waiting for the run lock, and its wait on the server', async () => {
    const holder = new pg.Client({ options: `-c search_path=${schema},public` });
    await holder.connect();
    try {
      const k = Number((await holder.query(`select hashtext('sparkify run ' || current_database() || '.' || current_schema()) as k`)).rows[0].k);
      await holder.query('select pg_advisory_lock($1)', [k]);
      const child = spawn(process.execPath, [cliPath, 'run', '--target', 'pg', '--select', 'sleepy'], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      for (let i = 0; i < 300 && !output.includes('waiting for it to finish'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output).toContain('waiting for it to finish');
      // Sessions waiting for this schema's run lock (the key's low 32 bits; other tests share the server).
      const waiters = async (): Promise<number> =>
        Number(
          (await admin.query(`select count(*) as n from pg_locks where locktype = 'advisory' and not granted and objsubid = 1 and objid = ($1::bigint & 4294967295)::text::oid`, [k]))
            .rows[0].n,
        );
      expect(await waiters()).toBe(1);
      const t0 = Date.now();
      child.kill('SIGINT');
      expect(await exited, output).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(output).not.toContain('START');
      expect(await waiters()).toBe(0);
    } finally {
      await holder.end();
    }
  });

  it('a closed warehouse lets go of the signal (one signal serves every warehouse a process opens)', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 12; i++) {
      const wh = await openPostgres({ schema, threads: 1 }, { signal: ac.signal });
      await wh.driver.query('select 1');
      await wh.driver.close();
    }
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
