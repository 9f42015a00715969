import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, median, timeProcess, type ProcessRun } from './process.js';
import { synthModels, writeDataformTwin, writeSyntheticProject } from './synth.js';

// `sparkify compile` as a whole command (process start to exit: target/compiled/ and manifest.json written)
// beside `dataform compile` of the same DAG, then sparkify alone at growing sizes for time and peak RSS.
//
// Cold and warm target: a cold run finds no target/ (the previous one is renamed away, not deleted) and
// creates every file; a warm run overwrites the files of the run before, as a user's next compile does.
// Renaming instead of deleting matters on this file system: ext4 without a journal makes each new inode
// skip inodes deleted in the last 5 s (5 min while their table block is dirty), so creating files right
// after deleting many is several times slower (kernel time in recently_deleted()); the old targets are
// deleted only when every run is done. For the same reason the synthetic projects are kept between bench
// runs in --compile-dir and regenerated only when the generator changes.

export interface CompileCliOptions {
  repoRoot: string;
  /** Where the synthetic projects are kept between bench runs. */
  dataDir: string;
  models: number;
  runs: number;
  /** Dataform runs beside the sparkify runs (0: no Dataform). */
  dataformRuns: number;
  /** Sizes of the growth measurement (empty: skip it). */
  sizes: number[];
  sizeRuns: number;
  log: (s: string) => void;
}

/** A run's figures without its output. */
export type RunFigures = Omit<ProcessRun, 'stdout' | 'stderr'>;

export interface Series {
  runs: RunFigures[];
  wallS: number;
  cpuS?: number;
  maxRssMB?: number;
}

export interface CompileCliResult {
  models: number;
  nodes: number;
  /** GNU time was found: CPU and peak RSS are measured. */
  gnuTime: boolean;
  /** `sparkify --version`: Node start-up, the CLI's own modules, exit. */
  floor: Series;
  cold: Series;
  warm: Series;
  dataform?: Series & { version: string; actions: number; ratio: number; pairRatios: number[] };
  sizes: { models: number; nodes: number; cold: Series }[];
}

function series(runs: RunFigures[]): Series {
  const out: Series = { runs, wallS: median(runs.map((r) => r.wallS)) };
  if (runs.every((r) => r.userS !== undefined)) out.cpuS = median(runs.map((r) => r.userS! + r.sysS!));
  if (runs.every((r) => r.maxRssMB !== undefined)) out.maxRssMB = median(runs.map((r) => r.maxRssMB!));
  return out;
}

function figures(r: ProcessRun): RunFigures {
  const { stdout: _o, stderr: _e, ...rest } = r;
  return rest;
}

/** The run must have done the whole job: exit 0 and the number of nodes (or actions) it should report. */
function check(what: string, r: ProcessRun, pattern: RegExp, expected: number): void {
  // eslint-disable-next-line no-control-regex
  const text = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const m = pattern.exec(text);
  if (r.exitCode !== 0 || !m || Number(m[1]) !== expected) {
    throw new Error(`${what}: expected exit 0 and ${expected} compiled, got exit ${r.exitCode}${m ? ` and ${m[1]}` : ''}:\n${text.trim().split('\n').slice(-15).join('\n')}`);
  }
}

/** Generates `dir` unless it holds what the current generator makes for `count` (a stamp file says so). */
function ensure(dir: string, count: number, write: () => void, log: (s: string) => void): void {
  const generator = fs.readFileSync(fileURLToPath(new URL('./synth.js', import.meta.url)));
  const stamp = JSON.stringify({ count, generator: createHash('sha256').update(generator).digest('hex') });
  const stampFile = path.join(dir, '.bench-stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;
  log(`generating ${path.basename(dir)} ...`);
  fs.rmSync(dir, { recursive: true, force: true });
  write();
  fs.writeFileSync(stampFile, stamp);
}

/** Models plus their two tests each on every tested model: what compile reports. */
export function nodesOf(count: number): number {
  return count + 2 * synthModels({ count }).filter((m) => m.tested).length;
}

/** The kept sparkify project of `count` models under `dataDir`, generated if missing or out of date. */
export function syntheticProject(dataDir: string, count: number, log: (s: string) => void): string {
  const dir = path.join(dataDir, `sparkify-${count}`);
  ensure(dir, count, () => writeSyntheticProject(dir, { count }), log);
  return dir;
}

function dataformCli(): { bin: string; version: string } {
  const pkgFile = createRequire(import.meta.url).resolve('@dataform/cli/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string; bin: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.dataform!;
  return { bin: path.join(path.dirname(pkgFile), bin), version: pkg.version };
}

export function runCompileCliBench(o: CompileCliOptions): CompileCliResult {
  const gnuTime = haveGnuTime();
  if (!gnuTime) o.log('GNU time (/usr/bin/time, Debian package "time") not found: wall times only, no CPU or peak RSS');
  const cli = path.join(o.repoRoot, 'dist', 'src', 'cli', 'main.js');
  const oldTargets = path.join(o.dataDir, `old-targets-${process.pid}`);
  fs.mkdirSync(oldTargets, { recursive: true });
  let moved = 0;
  const project = (count: number): string => syntheticProject(o.dataDir, count, o.log);
  const sparkify = (dir: string, count: number, target: 'cold' | 'warm'): RunFigures => {
    const t = path.join(dir, 'target');
    if (target === 'cold' && fs.existsSync(t)) fs.renameSync(t, path.join(oldTargets, String(moved++)));
    const r = timeProcess([process.execPath, cli, 'compile', '--project-dir', dir], { cwd: dir, timeoutMs: 10 * 60_000, gnuTime });
    check(`sparkify compile of ${count} models`, r, /Compiled (\d+) nodes/, nodesOf(count));
    if (!fs.existsSync(path.join(t, 'manifest.json'))) throw new Error(`sparkify compile of ${count} models wrote no manifest.json`);
    return figures(r);
  };

  try {
    const dir = project(o.models);
    const nodes = nodesOf(o.models);
    let df: { bin: string; version: string; dir: string } | undefined;
    if (o.dataformRuns > 0) {
      const dfDir = path.join(o.dataDir, `dataform-${o.models}`);
      ensure(dfDir, o.models, () => writeDataformTwin(dfDir, { count: o.models }), o.log);
      df = { ...dataformCli(), dir: dfDir };
    }
    o.log(`sparkify compile of ${o.models} models: 1 warm-up, then ${o.runs} x (cold target, warm target, --version)${df ? `, with dataform compile after each of the first ${o.dataformRuns}` : ''} ...`);
    sparkify(dir, o.models, 'warm');
    const cold: RunFigures[] = [];
    const warm: RunFigures[] = [];
    const floor: RunFigures[] = [];
    const dfRuns: RunFigures[] = [];
    for (let i = 0; i < o.runs; i++) {
      cold.push(sparkify(dir, o.models, 'cold'));
      warm.push(sparkify(dir, o.models, 'warm'));
      floor.push(figures(timeProcess([process.execPath, cli, '--version'], { cwd: dir, timeoutMs: 60_000, gnuTime })));
      if (df && i < o.dataformRuns) {
        o.log(`dataform compile of ${o.models} models, run ${i + 1} of ${o.dataformRuns} (about 90 s each at 10,000 on a 2-CPU machine) ...`);
        // --timeout: Dataform's default compile timeout (60 s) is shorter than its 10,000-model compile.
        const r = timeProcess([process.execPath, df.bin, 'compile', df.dir, '--timeout', '60m'], { cwd: df.dir, timeoutMs: 61 * 60_000, gnuTime });
        check(`dataform compile of ${o.models} models`, r, /Compiled (\d+) action/, nodes);
        dfRuns.push(figures(r));
      }
    }
    const result: CompileCliResult = { models: o.models, nodes, gnuTime, floor: series(floor), cold: series(cold), warm: series(warm), sizes: [] };
    if (df) {
      const s = series(dfRuns);
      // Each Dataform run against the cold sparkify run just before it: the pair saw the same machine.
      const pairRatios = dfRuns.map((r, i) => r.wallS / cold[i]!.wallS);
      result.dataform = { ...s, version: df.version, actions: nodes, ratio: s.wallS / result.cold.wallS, pairRatios };
    }

    if (o.sizes.length) {
      const dirs = o.sizes.map((n) => project(n));
      o.log(`growth: sparkify compile (cold target) of ${o.sizes.join(', ')} models, 1 warm-up each, then ${o.sizeRuns} rounds ...`);
      o.sizes.forEach((n, k) => sparkify(dirs[k]!, n, 'cold'));
      const runs: RunFigures[][] = o.sizes.map(() => []);
      // Rounds over the sizes, so that a slow spell of the machine touches every size alike.
      for (let r = 0; r < o.sizeRuns; r++) o.sizes.forEach((n, k) => runs[k]!.push(sparkify(dirs[k]!, n, 'cold')));
      result.sizes = o.sizes.map((n, k) => ({ models: n, nodes: nodesOf(n), cold: series(runs[k]!) }));
    }
    return result;
  } finally {
    o.log(`removing ${moved} old targets ...`);
    fs.rmSync(oldTargets, { recursive: true, force: true });
  }
}

/** What each added model costs between successive sizes: constant when the figure grows linearly. */
export function marginal(sizes: CompileCliResult['sizes'], pick: (s: Series) => number | undefined): (number | undefined)[] {
  return sizes.slice(1).map((s, k) => {
    const prev = sizes[k]!;
    const a = pick(s.cold);
    const b = pick(prev.cold);
    return a === undefined || b === undefined ? undefined : (a - b) / (s.models - prev.models);
  });
}

export function formatCompileCli(r: CompileCliResult): string {
  const s = (v: number): string => `${v.toFixed(2)} s`;
  const runs = (x: Series): string => x.runs.map((v) => v.wallS.toFixed(2)).join(' / ');
  const extra = (x: Series): string => `${x.cpuS !== undefined ? `, CPU ${s(x.cpuS)}` : ''}${x.maxRssMB !== undefined ? `, peak RSS ${x.maxRssMB.toFixed(0)} MB` : ''}`;
  const lines = [
    `whole command, process start to exit (node dist/src/cli/main.js compile), ${r.models} models, ${r.nodes} nodes; medians (each run):`,
    `  sparkify compile, cold target (writes every file)    ${s(r.cold.wallS)}${extra(r.cold)}   (${runs(r.cold)})`,
    `  sparkify compile, warm target (overwrites them)      ${s(r.warm.wallS)}${extra(r.warm)}   (${runs(r.warm)})`,
    `  sparkify --version (Node start-up + CLI, the floor)  ${s(r.floor.wallS)}${extra(r.floor)}   (${runs(r.floor)})`,
  ];
  const d = r.dataform;
  if (d) {
    lines.push(
      // Not its CPU or RSS: Dataform kills its compile worker and exits without reaping it, so the kernel
      // never adds the worker's usage to the figures GNU time reads.
      `  dataform compile ${d.version} (${d.actions} actions)`.padEnd(55) + `${s(d.wallS)}   (${runs(d)})`,
      `  Dataform / sparkify (cold): ${d.ratio.toFixed(1)}x   (run by run: ${d.pairRatios.map((x) => `${x.toFixed(1)}x`).join(' / ')})`,
    );
  }
  if (r.sizes.length) {
    lines.push('', 'growth, cold target, medians:', '  models     nodes     wall s   CPU s   peak RSS MB   wall µs/model   (runs, wall s)');
    for (const z of r.sizes) {
      const c = z.cold;
      lines.push(
        `  ${String(z.models).padStart(7)} ${String(z.nodes).padStart(9)} ${c.wallS.toFixed(2).padStart(10)} ${(c.cpuS?.toFixed(2) ?? '-').padStart(7)} ${(c.maxRssMB?.toFixed(0) ?? '-').padStart(13)} ${((c.wallS / z.models) * 1e6).toFixed(0).padStart(15)}   (${runs(c)})`,
      );
    }
    const mw = marginal(r.sizes, (x) => x.wallS);
    const mc = marginal(r.sizes, (x) => x.cpuS);
    const mr = marginal(r.sizes, (x) => x.maxRssMB);
    r.sizes.slice(1).forEach((z, k) => {
      const cpu = mc[k];
      const rss = mr[k];
      lines.push(`  ${r.sizes[k]!.models} -> ${z.models}: ${(mw[k]! * 1e6).toFixed(0)} µs of wall${cpu === undefined ? '' : `, ${(cpu * 1e6).toFixed(0)} µs of CPU`}${rss === undefined ? '' : ` and ${(rss * 1024).toFixed(1)} KB of peak RSS`} per added model`);
    });
  }
  return lines.join('\n');
}
