// `npm run bench`: every benchmark from one invocation, one plain-text report (or JSON with --json; progress
// goes to stderr either way).
//   1. compile of a 10,000-model synthetic project: `sparkify compile` as a whole command beside `dataform
//      compile` of the same DAG, then 10k/30k/100k models for time and peak RSS (bench/compile-cli.ts), and
//      in-process phase timings that explain the figure (bench/compile.ts)
//   2. `sparkify build` of the repo's own project on the embedded database, cold then warm (bench/build.ts)
//   3. staging loads of 1M generated events (bench/load.ts): our loader vs `psql \copy` of the same rows as CSV
//      and vs row-by-row INSERT on PostgreSQL; vs a plain COPY on PGlite; peak RSS loading 1M vs 10M events
//   4. `sparkify build --target pg` of 1M events vs the same SQL through psql (bench/pg-build.ts)
// Parts 3 and 4 need a PostgreSQL server (the PG* variables) and psql; without them they say why and skip what
// needs them. Generated events are kept in $TMPDIR/sparkify-bench-load (10M events take 4.5 GB) and reused.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchBuild, type BuildBench } from './build.js';
import { benchCompile, type CompileBench } from './compile.js';
import { formatCompileCli, marginal, nodesOf, runCompileCliBench, syntheticProject, type CompileCliResult } from './compile-cli.js';
import { formatLoadBench, runLoadBench, type LoadBenchResult } from './load.js';
import { formatPgBuildBench, runPgBuildBench, type PgBuildResult } from './pg-build.js';

// dist/bench/run.js -> the repo root is two levels up.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `npm run bench -- [flags]     (or: node dist/bench/run.js [flags], after npm run build)
  --json                 print the report as JSON (progress still goes to stderr)
  --quiet                no progress on stderr
  --skip-compile         skip 1. compile of the synthetic project
  --skip-growth          skip the 10k/30k/100k growth part of 1.
  --skip-build           skip 2. build of the repo project on the embedded database
  --skip-load            skip 3. staging-load benchmark
  --skip-pglite          skip the PGlite part of 3.
  --skip-rss             skip the peak-RSS part of 3.
  --skip-big             peak RSS for --events only, not for --big-events (10M) too
  --skip-pg-build        skip 4. sparkify build --target pg vs psql
  --models N             synthetic models to compile (10000)
  --runs N               compile runs (5), whole command and in-process each
  --dataform-runs N      dataform compile runs beside them (2; about 90 s each at 10,000 models; 0: none)
  --sizes A,B,C          models of the growth part (10000,30000,100000)
  --size-runs N          runs of each size (3)
  --compile-dir D        where the synthetic projects are kept ($TMPDIR/sparkify-bench-compile)
  --db-runs N            runs of each measurement in 3. and 4. (3)
  --events N             generated events for 3. and 4. (1000000)
  --big-events N         events of the second peak-RSS measurement (10000000)
  --insert-sample N      rows of the row-by-row INSERT sample (20000)
  --data-dir D           where generated events are kept ($TMPDIR/sparkify-bench-load)
  --keep                 keep the temporary project directories`;

const FLAGS = new Set(['--json', '--quiet', '--skip-compile', '--skip-growth', '--skip-build', '--skip-load', '--skip-pglite', '--skip-rss', '--skip-big', '--skip-pg-build', '--keep', '--help', '-h']);
const OPTIONS = new Set(['--models', '--runs', '--dataform-runs', '--sizes', '--size-runs', '--compile-dir', '--db-runs', '--events', '--big-events', '--insert-sample', '--data-dir']);

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { flags: Set<string>; options: Map<string, string> } {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (FLAGS.has(a)) flags.add(a);
    else if (OPTIONS.has(a)) {
      if (i + 1 >= argv.length) usageError(`${a} needs a value`);
      options.set(a, argv[++i]!);
    } else usageError(`unknown argument '${a}'`);
  }
  return { flags, options };
}

function count(options: Map<string, string>, name: string, fallback: number, min = 1): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) usageError(`${name} takes a whole number >= ${min}, not '${raw}'`);
  return v;
}

function sizeList(options: Map<string, string>): number[] {
  const raw = options.get('--sizes') ?? '10000,30000,100000';
  const sizes = raw.split(',').map(Number);
  if (sizes.some((v) => !Number.isInteger(v) || v < 1)) usageError(`--sizes takes whole numbers separated by commas, not '${raw}'`);
  return sizes.sort((a, b) => a - b);
}

interface Goal {
  what: string;
  value: string;
  goal: string;
  met: boolean;
}

interface Report {
  node: string;
  cpus: number;
  memoryGB: number;
  /** 1-, 5- and 15-minute load averages at the start and the end: other work on the machine inflates wall times. */
  loadAverage: { start: number[]; end: number[] };
  seconds: number;
  postgres?: string;
  /** Parts not run, and why. */
  skipped: Record<string, string>;
  compile?: CompileBench & { models: number; yamlTests: number; select: string[] };
  compileCli?: CompileCliResult;
  build?: BuildBench;
  load?: LoadBenchResult;
  pgBuild?: PgBuildResult;
  goals: Goal[];
}

/** Does a PostgreSQL server answer, both to node-postgres (sparkify) and to psql (the comparisons)? */
async function checkPostgres(): Promise<{ version: string } | { reason: string }> {
  const client = new pg.Client({ connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  let version: string;
  try {
    await client.connect();
    version = String((await client.query('show server_version')).rows[0].server_version);
  } catch (err) {
    const env = process.env;
    const where = `${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? 5432}/${env.PGDATABASE ?? env.PGUSER ?? '(default database)'}`;
    return { reason: `no PostgreSQL answers at ${where} (${((err as Error).message || String(err)).split('\n')[0]}); set PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE` };
  } finally {
    await client.end().catch(() => undefined);
  }
  const p = spawnSync('psql', ['-X', '-At', '-c', 'select 1'], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
  if (p.error) return { reason: `psql cannot be run (${p.error.message}): the comparisons need psql on the PATH` };
  if (p.status !== 0) return { reason: `PostgreSQL answers node-postgres but not psql (${p.stderr.trim().split('\n')[0]})` };
  return { version };
}

async function main(): Promise<void> {
  const { flags, options } = parseArgs(process.argv.slice(2));
  if (flags.has('--help') || flags.has('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const json = flags.has('--json');
  const progress = (s: string): void => {
    if (!flags.has('--quiet')) process.stderr.write(`${s}\n`);
  };
  const models = count(options, '--models', 10_000);
  const runs = count(options, '--runs', 5);
  const dataformRuns = count(options, '--dataform-runs', 2, 0);
  const sizes = flags.has('--skip-growth') ? [] : sizeList(options);
  const sizeRuns = count(options, '--size-runs', 3);
  const compileDir = options.get('--compile-dir') ?? path.join(os.tmpdir(), 'sparkify-bench-compile');
  const dbRuns = count(options, '--db-runs', 3);
  const events = count(options, '--events', 1_000_000);
  const bigEvents = count(options, '--big-events', 10_000_000);
  const insertSample = count(options, '--insert-sample', 20_000);
  const dataDir = options.get('--data-dir') ?? path.join(os.tmpdir(), 'sparkify-bench-load');

  const t0 = performance.now();
  const report: Report = {
    node: process.version,
    cpus: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: { start: os.loadavg(), end: [] },
    seconds: 0,
    skipped: {},
    goals: [],
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-'));
  try {
    if (flags.has('--skip-compile')) report.skipped.compile = '--skip-compile';
    else {
      report.compileCli = runCompileCliBench({ repoRoot, dataDir: compileDir, models, runs, dataformRuns, sizes, sizeRuns, log: (s) => progress(`1. ${s}`) });
      // The in-process phases, on the same project (they write over its target/).
      const synthDir = syntheticProject(compileDir, models, progress);
      const tests = nodesOf(models) - models;
      const select = [`+model_${models - 1}`, 'tag:x'];
      progress(`1. in-process phases (1 warm-up + ${runs} runs) ...`);
      const compile = await benchCompile(synthDir, select, runs);
      report.compile = { ...compile, models, yamlTests: tests, select };
    }

    if (flags.has('--skip-build')) report.skipped.build = '--skip-build';
    else {
      progress('2. sparkify build of the repo project (cold, then warm) ...');
      report.build = benchBuild(repoRoot, path.join(tmp, 'build'));
    }

    const wantPg = !flags.has('--skip-load') || !flags.has('--skip-pg-build');
    let noPg: string | undefined;
    if (wantPg) {
      progress('checking PostgreSQL (PG* variables) and psql ...');
      const pgStatus = await checkPostgres();
      if ('reason' in pgStatus) {
        noPg = pgStatus.reason;
        progress(`PostgreSQL: ${noPg}: skipping the parts that need it`);
      } else report.postgres = pgStatus.version;
    }

    if (flags.has('--skip-load')) report.skipped.load = '--skip-load';
    else {
      if (noPg) {
        report.skipped['load: PostgreSQL (loader vs psql \\copy, vs row-by-row INSERT)'] = noPg;
        if (!flags.has('--skip-rss')) report.skipped['load: peak RSS on PostgreSQL'] = noPg;
      }
      if (flags.has('--skip-pglite')) report.skipped['load: PGlite'] = '--skip-pglite';
      if (flags.has('--skip-rss')) report.skipped['load: peak RSS'] = '--skip-rss';
      else if (flags.has('--skip-big')) report.skipped[`load: peak RSS of ${bigEvents.toLocaleString('en-US')} events`] = '--skip-big';
      if (noPg && flags.has('--skip-pglite')) progress('3. staging loads: nothing left to run');
      else {
        progress(`3. staging-load benchmark, ${events.toLocaleString('en-US')} events ...`);
        report.load = await runLoadBench({
          events,
          bigEvents: flags.has('--skip-big') ? 0 : bigEvents,
          runs: dbRuns,
          insertSample,
          dataDir,
          pg: !noPg,
          embedded: !flags.has('--skip-pglite'),
          rss: !flags.has('--skip-rss'),
          log: (s) => progress(`3. ${s}`),
        });
      }
    }

    if (flags.has('--skip-pg-build')) report.skipped.pgBuild = '--skip-pg-build';
    else if (noPg) report.skipped['pg build (sparkify build --target pg vs psql)'] = noPg;
    else {
      progress(`4. sparkify build --target pg vs psql, ${events.toLocaleString('en-US')} events ...`);
      report.pgBuild = await runPgBuildBench({ events, runs: dbRuns, dataDir, keep: flags.has('--keep'), log: (s) => progress(`4. ${s}`) });
    }
  } finally {
    if (flags.has('--keep')) progress(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  report.seconds = (performance.now() - t0) / 1000;
  report.loadAverage.end = os.loadavg();
  report.goals = goals(report);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(text(report));
}

/** The figures issues 4, 5 and 9 set goals for. */
function goals(r: Report): Goal[] {
  const out: Goal[] = [];
  const x = (v: number, d = 2): string => `${v.toFixed(d)}x`;
  const c = r.compileCli;
  if (c) {
    out.push({ what: `sparkify compile of ${c.models} models, whole command, cold target`, value: `${c.cold.wallS.toFixed(2)} s`, goal: '< 1 s', met: c.cold.wallS < 1 });
    if (c.dataform) out.push({ what: 'the same vs dataform compile of the same DAG', value: x(c.dataform.ratio, 1), goal: '>= 90x', met: c.dataform.ratio >= 90 });
    const big = c.sizes.find((z) => z.models === 100_000);
    if (big) {
      out.push({ what: 'sparkify compile of 100,000 models, whole command', value: `${big.cold.wallS.toFixed(2)} s`, goal: '< 12 s', met: big.cold.wallS < 12 });
      if (big.cold.maxRssMB !== undefined) out.push({ what: 'its peak RSS', value: `${big.cold.maxRssMB.toFixed(0)} MB`, goal: '< 1,536 MB', met: big.cold.maxRssMB < 1536 });
    }
    if (c.sizes.length >= 3) {
      // Linear growth: each added model costs about the same at every size (the last step against the first).
      for (const [label, pick] of [['wall time', (s: { wallS: number }) => s.wallS], ['peak RSS', (s: { maxRssMB?: number }) => s.maxRssMB]] as const) {
        const m = marginal(c.sizes, pick);
        const first = m[0];
        const last = m[m.length - 1];
        if (first === undefined || last === undefined) continue;
        const ratio = last / first;
        const sizes = c.sizes.map((z) => z.models / 1000).join('k/');
        out.push({ what: `compile ${label} per added model, ${sizes}k: last step vs first`, value: x(ratio), goal: 'linear: within 25%', met: Math.abs(ratio - 1) <= 0.25 });
      }
    }
  }
  const p = r.load?.pg;
  if (p) {
    out.push({ what: 'pg loader rows/s vs psql \\copy of the CSV', value: x(p.vsCopy), goal: '>= 1.0x', met: p.vsCopy >= 1 });
    out.push({ what: 'pg loader rows/s vs row-by-row INSERT', value: x(p.vsInsert, 1), goal: '>= 20x', met: p.vsInsert >= 20 });
  }
  const e = r.load?.embedded;
  if (e) out.push({ what: 'PGlite loader rows/s vs plain COPY of the CSV', value: x(e.vsCopy), goal: '>= 1.0x', met: e.vsCopy >= 1 });
  const rss = r.load?.rss;
  if (rss?.length) {
    const peak = Math.max(...rss.map((m) => m.maxRssMB));
    const sizes = rss.map((m) => `${(m.events / 1e6).toLocaleString('en-US')}M ${m.maxRssMB.toFixed(0)} MB`).join(', ');
    if (r.load!.rssRatio !== undefined) {
      const ratio = r.load!.rssRatio;
      out.push({ what: 'peak RSS, larger vs smaller input', value: `${x(ratio)} (${sizes})`, goal: 'within 10%', met: Math.abs(ratio - 1) <= 0.1 });
    }
    out.push({ what: 'peak RSS of a load', value: sizes, goal: '< 300 MB', met: peak < 300 });
  }
  const rssE = r.load?.rssEmbedded;
  if (rssE?.length && r.load!.rssEmbeddedRatio !== undefined) {
    const ratio = r.load!.rssEmbeddedRatio;
    const sizes = rssE.map((m) => `${(m.events / 1e6).toLocaleString('en-US')}M ${m.maxRssMB.toFixed(0)} MB`).join(', ');
    out.push({ what: 'PGlite peak RSS, larger vs smaller input', value: `${x(ratio)} (${sizes}; PGlite itself is most of it)`, goal: 'within 10%', met: Math.abs(ratio - 1) <= 0.1 });
  }
  const b = r.pgBuild;
  if (b) {
    const pct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
    out.push({ what: 'pg build framework overhead, whole build', value: pct(b.whole.overheadPct), goal: '< 5%', met: b.whole.overheadPct < 5 });
    out.push({ what: 'pg build framework overhead, marts + tests', value: pct(b.martsAndTests.overheadPct), goal: '< 5%', met: b.martsAndTests.overheadPct < 5 });
  }
  return out;
}

function indent(block: string): string[] {
  return block.trimEnd().split('\n').map((l) => (l.trim() ? `   ${l}` : ''));
}

function text(r: Report): string {
  const ms = (v: number): string => `${v.toFixed(1).padStart(8)} ms`;
  const la = (v: number[]): string => v.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `sparkify bench (node ${r.node}, ${r.cpus} CPUs, ${r.memoryGB} GB${r.postgres ? `, PostgreSQL ${r.postgres}` : ''})`,
    `load average at start ${la(r.loadAverage.start)}, at end ${la(r.loadAverage.end)}; ${(r.seconds / 60).toFixed(1)} minutes in all`,
  ];
  if (r.compileCli) lines.push('', '1. compile', ...indent(formatCompileCli(r.compileCli)));
  const c = r.compile;
  if (c) {
    const m = c.median;
    lines.push(
      '',
      `   in-process phases of the same compile (${m.nodes} nodes), median of ${c.runs} runs after 1 warm-up:`,
      `   read (loadProject)                          ${ms(m.readMs)}`,
      `   render+compile (TemplateEngine + compile)   ${ms(m.compileMs)}`,
      `   select ${c.select.map((s) => `'${s}'`).join(' ')} -> ${String(m.selected).padEnd(5)}  ${ms(m.selectMs)}`,
      `   write manifest.json                         ${ms(m.manifestMs)}`,
      `   write target/compiled/ (warm)               ${ms(m.compiledMs)}`,
      `   total                                       ${ms(m.totalMs)}   (CPU time ${m.cpuMs.toFixed(0)} ms)`,
      `   runs (total ms): ${c.all.map((t) => t.totalMs.toFixed(0)).join(', ')}`,
    );
  }
  if (r.build) {
    lines.push('', `2. sparkify build of the repo project (embedded); data: ${r.build.data}`);
    for (const run of r.build.runs) {
      const label = run.label === 'cold' ? 'cold (no .sparkify/, includes initdb)' : 'warm (second run)';
      lines.push(`   ${label.padEnd(40)} ${run.seconds.toFixed(2).padStart(7)} s   exit ${run.exitCode}`);
      if (run.tail) lines.push(...run.tail.split('\n').map((l) => `      | ${l}`));
    }
  }
  if (r.load) lines.push('', '3. staging loads', ...indent(formatLoadBench(r.load)));
  if (r.pgBuild) lines.push('', '4. end-to-end build on PostgreSQL', ...indent(formatPgBuildBench(r.pgBuild)));
  const skipped = Object.entries(r.skipped);
  if (skipped.length) {
    lines.push('', 'skipped:');
    for (const [what, why] of skipped) lines.push(`   ${what}: ${why}`);
  }
  if (r.goals.length) {
    lines.push('', 'goals (issues 4, 5 and 9):');
    for (const g of r.goals) lines.push(`   ${g.met ? 'met    ' : 'NOT met'}  ${g.what}: ${g.value}   (goal ${g.goal})`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
