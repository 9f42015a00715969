import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SparkifyError } from '../core/errors.js';
import { abortableSleep } from './abort.js';

// One process at a time may open an embedded data directory (two would corrupt it).
//
// Why not a lock library: proper-lockfile (and npm's lockfile) take a stale lock over by stat → remove →
// create, so two processes that both find it stale can both remove and both hold it (proper-lockfile
// issue #121, confirmed, open); proper-lockfile also installs signal handlers (signal-exit), which nothing
// below the CLI may do. Node has no flock(2). So this lock never removes a lock it does not hold; it is
// built on one atomic primitive, link(2), which creates a name only if it does not exist:
//
//   <dir>/<N>   generation N, holding the holder's record (pid, host, command, since), complete when it
//               appears (written to a temporary file first, then linked to its name).
//
// The lock belongs to the highest generation, unless that one is released or its process is dead. To
// take it, a process links generation top+1: of all who try, exactly one succeeds. It then lists again
// and steps back if a higher generation exists (it had read an old top); otherwise it holds the lock and
// removes the generations below its own. The highest generation is never removed, only superseded, so a
// number once passed can never look like the top again. Release marks the record released (an atomic
// rename over it); a process that dies leaves its record, and its pid tells the next one it is gone.

export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder is running, as it said (never arguments that could hold secrets). */
  command: string;
  /** When it took the lock (ISO 8601). */
  since: string;
  released?: boolean;
}

export interface DirLockOptions {
  /** How long to wait for a live holder (0: fail at once). */
  waitMs: number;
  /** What this process is running, for whoever waits for it. */
  command: string;
  /** Called once, when this process starts to wait: who holds the lock. */
  onWait?: (holder: string) => void;
  /** Stops waiting (an interrupted run). */
  signal?: AbortSignal;
  /** What is locked, for messages. */
  what: string;
  pollMs?: number;
}

/** Take the lock in `lockDir` (created if missing); resolves to the (idempotent) release. */
export async function takeDirLock(lockDir: string, opts: DirLockOptions): Promise<() => void> {
  fs.mkdirSync(lockDir, { recursive: true });
  const started = Date.now();
  let told = false;
  for (;;) {
    const top = generations(lockDir).at(-1) ?? 0;
    const holder = top > 0 ? readHolder(lockDir, top) : undefined;
    if (holder === 'gone') continue; // superseded between the listing and the read: look again
    if (holder && !holder.released && isAlive(holder)) {
      const who = describeHolder(holder);
      if (Date.now() - started >= opts.waitMs) {
        throw new SparkifyError(`${opts.what} is in use by another sparkify process: ${who}`, {
          hint: opts.waitMs
            ? `Waited ${Math.round(opts.waitMs / 1000)}s. Wait for it to finish, or stop it, then run again.`
            : 'Wait for it to finish (or run without --no-wait to queue behind it).',
        });
      }
      if (!told) opts.onWait?.(who);
      told = true;
      await abortableSleep(opts.pollMs ?? 200, opts.signal, () => new SparkifyError(`interrupted while waiting for ${opts.what} (held by ${who})`, { exitCode: 1 }));
      continue;
    }
    const mine = top + 1;
    const record: LockHolder = { pid: process.pid, host: os.hostname(), command: opts.command, since: new Date().toISOString() };
    if (!linkNew(lockDir, mine, record)) continue; // another process took generation `mine` first
    if (generations(lockDir).some((g) => g > mine)) {
      // We had read an old top: a later generation exists, so `mine` never held anything.
      fs.rmSync(path.join(lockDir, String(mine)), { force: true });
      continue;
    }
    for (const g of generations(lockDir)) if (g < mine) fs.rmSync(path.join(lockDir, String(g)), { force: true });
    return releaser(lockDir, mine, record);
  }
}

/** The generations present, ascending. */
function generations(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((n) => /^[1-9]\d*$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** A generation's record; 'gone' if it was removed meanwhile; an unreadable record counts as released. */
function readHolder(dir: string, g: number): LockHolder | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, String(g)), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const r = JSON.parse(text) as Partial<LockHolder>;
    if (typeof r.pid === 'number' && typeof r.host === 'string') {
      return { pid: r.pid, host: r.host, command: String(r.command ?? ''), since: String(r.since ?? ''), ...(r.released ? { released: true } : {}) };
    }
  } catch {
    // fall through: not a record this code wrote
  }
  return { pid: 0, host: '', command: '', since: '', released: true };
}

/** Create generation `g` with `record`, complete or not at all; false if it exists. */
function linkNew(dir: string, g: number, record: LockHolder): boolean {
  const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(tmp, JSON.stringify(record));
  try {
    fs.linkSync(tmp, path.join(dir, String(g)));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function releaser(dir: string, g: number, record: LockHolder): () => void {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Marked, not removed: removing the top generation would let a process that read an older top link
    // this number again.
    const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      fs.writeFileSync(tmp, JSON.stringify({ ...record, released: true }));
      fs.renameSync(tmp, path.join(dir, String(g)));
    } catch {
      fs.rmSync(tmp, { force: true });
      // The record stays as it was; once this process is gone its pid says so.
    }
  };
  // A process that ends without closing (an error path, a second Ctrl-C) still releases it.
  process.on('exit', release);
  return release;
}

/** Is the holder's process running? On another host it cannot be told, so it counts as running. */
function isAlive(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return true;
  if (!h.pid) return false;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `pid 123 (sparkify run) on host, since 2018-11-01 21:01:46 UTC` */
export function describeHolder(h: LockHolder): string {
  const since = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(h.since) ? `, since ${h.since.slice(0, 19).replace('T', ' ')} UTC` : '';
  return `pid ${h.pid}${h.command ? ` (${h.command})` : ''} on ${h.host}${since}`;
}
