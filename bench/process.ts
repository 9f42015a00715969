import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** One whole command, process start to exit, as the user waits for it. */
export interface ProcessRun {
  wallS: number;
  /** CPU seconds of the process and the children it waited for (GNU time); undefined without GNU time. */
  userS?: number;
  sysS?: number;
  /** Peak resident set of the largest single process of the command, MB (GNU time's %M). */
  maxRssMB?: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/** GNU time (Debian's `time` package) reports CPU and peak RSS of a finished process from the kernel's accounting. */
export function haveGnuTime(): boolean {
  const r = spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /GNU/.test(`${r.stdout}${r.stderr}`);
}

/**
 * Runs `argv` to its exit. Wall time is measured here, around the spawn; CPU and peak RSS come from GNU time
 * (its wait4 figures: the process and every child it reaped), written to a file so the command's own
 * stderr stays its own.
 */
export function timeProcess(argv: string[], opts: { cwd: string; timeoutMs: number; gnuTime: boolean }): ProcessRun {
  const statsFile = path.join(os.tmpdir(), `sparkify-bench-time-${process.pid}.txt`);
  const [cmd, ...args] = opts.gnuTime ? [GNU_TIME, '-o', statsFile, '-f', '%U %S %M', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd!, args, { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs });
  const wallS = (performance.now() - t0) / 1000;
  const run: ProcessRun = { wallS, exitCode: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${String(r.error)}` : ''}` };
  if (opts.gnuTime && fs.existsSync(statsFile)) {
    // The last line: GNU time puts "Command exited with non-zero status N" before it.
    const last = fs.readFileSync(statsFile, 'utf8').trim().split('\n').pop() ?? '';
    const [u, s, kb] = last.split(' ').map(Number);
    if (u !== undefined && s !== undefined && kb !== undefined && [u, s, kb].every(Number.isFinite)) {
      run.userS = u;
      run.sysS = s;
      run.maxRssMB = kb / 1024;
    }
    fs.rmSync(statsFile, { force: true });
  }
  return run;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
