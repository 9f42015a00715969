import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, makeProject, repoRoot, type Project } from './support/project.js';

// The embedded database's lock (src/warehouse/dir-lock.ts), with real processes: racers that die holding
// it, so every turn starts with a stampede on a lock left by a dead pid; and the CLI waiting for a holder,
// or refusing at once with --no-wait, naming it.

const lockModule = pathToFileURL(path.join(repoRoot, 'dist/src/warehouse/dir-lock.js')).href;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-lock-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function script(name: string, text: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, text);
  return file;
}

const exitOf = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.on('close', (code) => resolve(code)));

describe('the embedded lock', () => {
  it('is held by exactly one process at a time when racers keep dying while they hold it', async () => {
    const lockDir = path.join(scratch, 'race.locks');
    const log = path.join(scratch, 'race.log');
    // Left by a process that died holding it.
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, '1'), JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'crashed', since: new Date().toISOString() }));
    const racer = script(
      'racer.mjs',
      `import fs from 'node:fs';
import { takeDirLock } from ${JSON.stringify(lockModule)};
const [lockDir, log, id, turns, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {} // everyone starts at once
for (let turn = 1; turn <= Number(turns); turn++) {
  const release = await takeDirLock(lockDir, { waitMs: 60000, command: 'racer ' + id, what: 'the test lock', pollMs: 2 });
  fs.appendFileSync(log, 'enter ' + id + '\\n');
  await new Promise((r) => setTimeout(r, 3));
  fs.appendFileSync(log, 'leave ' + id + '\\n');
  // The last turn dies holding the lock: the next holder must take it from a dead pid.
  if (turn === Number(turns)) process.kill(process.pid, 'SIGKILL');
  release();
}
`,
    );
    const racers = 8;
    const turns = 3;
    const startAt = Date.now() + 1500;
    const children = Array.from({ length: racers }, (_, i) =>
      spawn(process.execPath, [racer, lockDir, log, String(i), String(turns), String(startAt)], { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    await Promise.all(children.map(exitOf));
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    let holder: string | undefined;
    const overlaps: string[] = [];
    lines.forEach((line, i) => {
      const [what, id] = line.split(' ');
      if (what === 'enter') {
        if (holder !== undefined) overlaps.push(`line ${i + 1}: ${id} entered while ${holder} held the lock`);
        holder = id;
      } else {
        if (holder !== id) overlaps.push(`line ${i + 1}: ${id} left while ${holder ?? 'nobody'} held the lock`);
        holder = undefined;
      }
    });
    expect(overlaps).toEqual([]);
    expect(lines.filter((l) => l.startsWith('enter'))).toHaveLength(racers * turns);
    // The dead generations are gone; one record (the last racer's, dead) is left for the next process.
    expect(fs.readdirSync(lockDir).filter((n) => !n.startsWith('.'))).toHaveLength(1);
  });
});

describe('an embedded run and another process holding the database', () => {
  let p: Project;
  let holder: ChildProcess | undefined;

  afterAll(() => holder?.kill('SIGKILL'));

  /** A process that holds the project's embedded lock, as a running sparkify would, until killed. */
  async function holdLock(): Promise<ChildProcess> {
    const hold = script(
      'hold.mjs',
      `import { takeDirLock } from ${JSON.stringify(lockModule)};
await takeDirLock(process.argv[2], { waitMs: 0, command: 'sparkify build', what: 'test' });
process.stdout.write('held\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, [hold, path.join(p.dir, '.sparkify', 'dev.locks')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      child.on('close', (code) => reject(new Error(`the holder exited (${code})`)));
    });
    return child;
  }

  it('--no-wait fails at once naming the holder; a waiting run names it, then takes over when it dies', async () => {
    p = makeProject();
    p.write('models/marts/one.sql', 'select 1 as x\n');
    holder = await holdLock();
    const who = `pid ${holder.pid} (sparkify build) on ${os.hostname()}, since `;

    const t0 = Date.now();
    const refused = await p.run('run', '--select', 'one', '--no-wait');
    expect(refused.code, refused.output).toBe(2);
    expect(refused.stderr).toContain(`is in use by another sparkify process: ${who}`);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const waiting = spawn(process.execPath, [cliPath, 'run', '--select', 'one'], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    waiting.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    waiting.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = exitOf(waiting);
    for (let i = 0; i < 400 && !out.includes('waiting for it to finish'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`Another sparkify run holds this target (${who}`);
    expect(out).not.toContain('START');
    // Dies without releasing: its record stays, and its pid says it is gone.
    holder.kill('SIGKILL');
    expect(await exited, out).toBe(0);
    expect(out).toMatch(/1 of 1 OK created/);
  });
});
