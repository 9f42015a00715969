// End-to-end `sparkify build --target pg` of generated events against the same SQL run through `psql`:
// what the framework costs on top of what it sends to the server. `node dist/bench/pg-build.js` alone, or
// runPgBuildBench() from bench/run.ts.
//
// The SQL comes from sparkify itself: an untimed warm-up `sparkify build` writes target/manifest.json (every
// node's compiled SQL, config and relation) and target/run_results.json (the order it ran the nodes in). From
// those the bench writes two psql scripts, statement for statement what the materializations do, with
// sparkify's own dialect:
//   table model: begin; create table <tmp> as (<compiled SQL>); drop table if exists <target> cascade;
//                alter table <tmp> rename to <target>; commit      (src/materialize/swap.ts buildAndSwap)
//   copy model:  the same swap around `\copy <tmp> from '<csv>' with (format csv)`, the CSV being the rows
//                sparkify loaded in the warm-up, exported before any timing: psql's bulk path for the same rows
//   data test:   select count(*) as failures from (<compiled SQL>) as sparkify_test   (src/run/runner.ts)
// What sparkify does beyond that (process start-up, compile, run lock, introspection queries, the load ledger,
// JSON decoding, artifacts) is the framework overhead measured here.
//
// Measured, interleaved (the order alternates run by run), from a dropped schema each time:
//   whole build:  `sparkify build --threads 1` vs the whole psql script;
//   marts+tests:  on the warehouse that build left, `sparkify build --threads 1 --select <every node but the
//                 copy loads>` vs the psql script without the loads;
//   and, for information, `sparkify build` with the target's default --threads (not compared: psql is serial).
// Per node: sparkify's execution_time (run_results.json) against psql's \timing of the node's statements.
// Flags (alone): --events N (1000000) --runs N (3) --data-dir D --no-default-threads --keep --json

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { tempRelation } from '../src/materialize/swap.js';
import { postgresDialect as dialect } from '../src/warehouse/postgres-dialect.js';
import type { Relation } from '../src/warehouse/types.js';
import { ensureData } from './load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const CLI = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
/** The project files of the repo root a build reads (not sample-data/: the data comes from --vars). */
const PROJECT_ENTRIES = ['project.yml', 'models', 'tests', 'macros', 'seeds'];
/** The pg target's schema in the bench's copy of the project, so the bench never touches `sparkify`. */
export const PG_BUILD_SCHEMA = 'sparkify_bench_build';

export interface PgBuildOptions {
  events?: number;
  runs?: number;
  dataDir?: string;
  /** Also time `sparkify build` with the target's default --threads (default true). */
  defaultThreads?: boolean;
  keep?: boolean;
  log?: (line: string) => void;
}

/** Wall times in seconds, run by run, and their median. */
export interface Series {
  runs: number[];
  median: number;
}

export interface Comparison {
  sparkify: Series;
  psql: Series;
  /** (sparkify - psql) / psql of the medians, in %. */
  overheadPct: number;
  /** The same, run by run (each run measures both, back to back). */
  overheadPctByRun: number[];
}

export interface NodeTiming {
  id: string;
  kind: 'copy' | 'table' | 'view' | 'test';
  /** Medians over the timed whole builds, seconds: sparkify's execution_time, and psql's \timing of the node's statements. */
  sparkify: number;
  psql: number;
}

export interface PgBuildResult {
  events: number;
  data: string;
  schema: string;
  /** The compared sparkify command (run in a copy of the repo's project, its pg schema renamed). */
  command: string;
  psqlCommand: string;
  loadAverage: { before: number[]; after: number[] };
  postgres: string;
  runs: number;
  whole: Comparison;
  martsAndTests: Comparison;
  /** `sparkify build` at the target's default --threads, for information (psql runs one statement at a time). */
  defaultThreads?: Series;
  /** Per node, in the order sparkify ran them. */
  nodes: NodeTiming[];
  /** Wall time minus the sum of the per-node times (start-up, compile, lock, artifacts; for psql its start-up). */
  outsideNodes: { sparkify: number; psql: number };
  /** The marts+tests selection passed to sparkify (every node but the copy loads). */
  martsSelect: string[];
}

interface ManifestNode {
  unique_id: string;
  resource_type: string;
  name: string;
  config: { materialized?: string };
  schema?: string;
  alias?: string;
  compiled_code?: string;
}

interface RunResults {
  results: { unique_id: string; status: string; execution_time: number; failures: number | null }[];
}

export async function runPgBuildBench(opts: PgBuildOptions = {}): Promise<PgBuildResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const events = opts.events ?? 1_000_000;
  const runs = opts.runs ?? 3;
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: run npm run build first`);
  const before = os.loadavg();
  const data = await ensureData(opts.dataDir ?? path.join(os.tmpdir(), 'sparkify-bench-load'), events, log);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-pgbuild-'));
  const project = path.join(tmp, 'project');
  try {
    copyProject(project);
    const vars = JSON.stringify({ data_path: data });
    const sparkifyArgs = (extra: string[]): string[] => [CLI, 'build', '--target', 'pg', '--vars', vars, ...extra];
    const sparkify = (extra: string[], label: string): { seconds: number; results: RunResults } => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, sparkifyArgs(extra), { cwd: project, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`sparkify ${label} exited with ${r.status}:\n${tail(`${r.stdout}${r.stderr}${r.error ?? ''}`)}`);
      return { seconds, results: JSON.parse(fs.readFileSync(path.join(project, 'target', 'run_results.json'), 'utf8')) as RunResults };
    };
    const dropSchema = (): void => void psql(['-c', `drop schema if exists ${dialect.quote(PG_BUILD_SCHEMA)} cascade`, '-c', 'checkpoint']);
    const checkpoint = (): void => void psql(['-c', 'checkpoint']);
    const postgres = psql(['-At', '-c', 'show server_version']).trim();

    // Warm-up (untimed): sparkify's build gives the SQL, the order and the staging rows; then psql's.
    log(`pg build: warm-up sparkify build of ${events.toLocaleString('en-US')} events (schema ${PG_BUILD_SCHEMA}) ...`);
    dropSchema();
    const warm = sparkify(['--threads', '1'], 'build (warm-up)');
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, ManifestNode> };
    const order = warm.results.results.map((r) => r.unique_id);
    const nodes = order.map((id) => {
      const n = manifest.nodes[id];
      if (!n) throw new Error(`run_results.json names ${id}, which manifest.json does not have`);
      return n;
    });
    const isCopy = (n: ManifestNode): boolean => n.config.materialized === 'copy';
    const marts = nodes.filter((n) => !isCopy(n));
    const martsSelect = marts.map((n) => n.name);
    const failuresOf = new Map(warm.results.results.map((r) => [r.unique_id, r.failures ?? 0]));

    log('pg build: exporting the staging rows sparkify loaded to CSV (untimed) ...');
    const csvOf = new Map<string, string>();
    for (const n of nodes.filter(isCopy)) {
      const file = path.join(tmp, `${n.name}.csv`);
      if (file.includes("'")) throw new Error(`a path with a quote cannot go into \\copy: ${file}`);
      psql(['-c', `\\copy ${dialect.relation(relationOf(n))} to '${file}' with (format csv)`]);
      csvOf.set(n.unique_id, file);
    }
    const wholeScript = path.join(tmp, 'whole.sql');
    const martsScript = path.join(tmp, 'marts.sql');
    fs.writeFileSync(wholeScript, script(nodes, csvOf, true));
    fs.writeFileSync(martsScript, script(marts, csvOf, false));

    log('pg build: warm-up sparkify marts+tests, then psql whole and marts+tests, comparing the tables ...');
    const warmMarts = sparkify(['--threads', '1', '--select', martsSelect.join(' ')], 'marts+tests (warm-up)');
    const ran = warmMarts.results.results.map((r) => r.unique_id).sort();
    const want = marts.map((n) => n.unique_id).sort();
    if (ran.join() !== want.join()) throw new Error(`--select ${martsSelect.join(' ')} ran ${ran.length} nodes, expected exactly the ${want.length} non-copy nodes`);
    const models = nodes.filter((n) => n.resource_type === 'model');
    const counts = (): string => psql(['-At', '-c', models.map((n) => `select '${n.name}', count(*) from ${dialect.relation(relationOf(n))}`).join(' union all ') + ' order by 1']);
    const sparkifyCounts = counts();
    dropSchema();
    checkTests(runPsql(wholeScript), failuresOf, nodes);
    checkTests(runPsql(martsScript), failuresOf, marts);
    const psqlCounts = counts();
    if (psqlCounts !== sparkifyCounts) throw new Error(`sparkify and psql built different row counts:\n${sparkifyCounts}\nvs\n${psqlCounts}`);

    const s = { whole: [] as number[], marts: [] as number[], threads: [] as number[] };
    const p = { whole: [] as number[], marts: [] as number[] };
    const sparkifyNode = new Map<string, number[]>();
    const psqlNode = new Map<string, number[]>();
    const outside = { sparkify: [] as number[], psql: [] as number[] };
    const push = (m: Map<string, number[]>, id: string, v: number): void => void (m.get(id) ?? m.set(id, []).get(id)!).push(v);
    for (let r = 1; r <= runs; r++) {
      const sides = [
        (): void => {
          log(`pg build run ${r}/${runs}: sparkify build --threads 1 ...`);
          dropSchema();
          const w = sparkify(['--threads', '1'], 'build');
          s.whole.push(w.seconds);
          for (const x of w.results.results) push(sparkifyNode, x.unique_id, x.execution_time);
          outside.sparkify.push(w.seconds - w.results.results.reduce((t, x) => t + x.execution_time, 0));
          checkpoint();
          const m = sparkify(['--threads', '1', '--select', martsSelect.join(' ')], 'marts+tests');
          s.marts.push(m.seconds);
          log(`  whole ${w.seconds.toFixed(2)} s, marts+tests ${m.seconds.toFixed(2)} s`);
        },
        (): void => {
          log(`pg build run ${r}/${runs}: psql ...`);
          dropSchema();
          const w = runPsql(wholeScript);
          p.whole.push(w.seconds);
          for (const [id, ms] of w.nodeMs) push(psqlNode, id, ms / 1000);
          outside.psql.push(w.seconds - [...w.nodeMs.values()].reduce((t, x) => t + x, 0) / 1000);
          checkpoint();
          const m = runPsql(martsScript);
          p.marts.push(m.seconds);
          log(`  whole ${w.seconds.toFixed(2)} s, marts+tests ${m.seconds.toFixed(2)} s`);
        },
      ];
      if (r % 2 === 0) sides.reverse();
      for (const side of sides) side();
      if (opts.defaultThreads !== false) {
        log(`pg build run ${r}/${runs}: sparkify build, default --threads (for information) ...`);
        dropSchema();
        s.threads.push(sparkify([], 'build (default threads)').seconds);
        log(`  ${s.threads.at(-1)!.toFixed(2)} s`);
      }
    }
    const psqlCommand = `psql -X -q -At -v ON_ERROR_STOP=1 -f <script>`;
    return {
      events,
      data,
      schema: PG_BUILD_SCHEMA,
      command: `sparkify build --target pg --threads 1 --vars '{"data_path": "${data}"}'`,
      psqlCommand,
      loadAverage: { before, after: os.loadavg() },
      postgres,
      runs,
      whole: compare(s.whole, p.whole),
      martsAndTests: compare(s.marts, p.marts),
      ...(s.threads.length ? { defaultThreads: series(s.threads) } : {}),
      nodes: nodes.map((n) => ({
        id: n.unique_id,
        kind: n.resource_type === 'test' ? 'test' : isCopy(n) ? 'copy' : n.config.materialized === 'view' ? 'view' : 'table',
        sparkify: median(sparkifyNode.get(n.unique_id) ?? [0]),
        psql: median(psqlNode.get(n.unique_id) ?? [0]),
      })),
      outsideNodes: { sparkify: median(outside.sparkify), psql: median(outside.psql) },
      martsSelect,
    };
  } finally {
    // The bench's schema holds a million rows: never leave it behind (kept with --keep, to look at).
    if (opts.keep) log(`kept ${tmp} and schema ${PG_BUILD_SCHEMA}`);
    else {
      spawnSync('psql', ['-X', '-q', '-c', `drop schema if exists ${dialect.quote(PG_BUILD_SCHEMA)} cascade`], { encoding: 'utf8' });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** The repo's project, its pg target pointed at the bench's own schema. */
function copyProject(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of PROJECT_ENTRIES) {
    const from = path.join(repoRoot, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), { recursive: true });
  }
  const file = path.join(dir, 'project.yml');
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  if (doc.getIn(['targets', 'pg', 'type']) !== 'postgres') throw new Error('project.yml has no pg target of type postgres');
  doc.setIn(['targets', 'pg', 'schema'], PG_BUILD_SCHEMA);
  fs.writeFileSync(file, doc.toString());
}

function relationOf(n: ManifestNode): Relation {
  if (!n.schema || !n.alias) throw new Error(`${n.unique_id} has no relation in manifest.json`);
  return { schema: n.schema, identifier: n.alias };
}

/** The statements sparkify's materializations and test runner send, for each node, as a psql script. */
function script(nodes: ManifestNode[], csvOf: Map<string, string>, createSchema: boolean): string {
  const out = ['\\timing on'];
  if (createSchema) out.push(`${dialect.createSchema(PG_BUILD_SCHEMA)};`);
  for (const n of nodes) {
    out.push(`\\echo @@ ${n.unique_id}`);
    const sql = (n.compiled_code ?? '').replace(/;\s*$/, '');
    if (n.resource_type === 'test') {
      out.push(`select count(*) as failures from (\n${sql}\n) as sparkify_test;`);
      continue;
    }
    const target = relationOf(n);
    const tmp = tempRelation(target);
    const m = n.config.materialized;
    out.push('begin;');
    if (m === 'copy') {
      out.push(`${dialect.createTable(tmp, sql, {})};`, `\\copy ${dialect.relation(tmp)} from '${csvOf.get(n.unique_id)}' with (format csv)`);
      out.push(`${dialect.drop(target, 'table')};`);
    } else if (m === 'table' || m === 'incremental') {
      out.push(`${dialect.createTableAs(tmp, sql, {})};`, `${dialect.drop(target, 'table')};`);
    } else if (m === 'view') {
      out.push(`${dialect.createView(tmp, sql)};`, `${dialect.drop(target, 'view')};`);
    } else {
      throw new Error(`${n.unique_id}: materialization '${m}' has no psql equivalent in this bench`);
    }
    out.push(`${dialect.rename(tmp, target.identifier)};`, 'commit;');
  }
  return `${out.join('\n')}\n`;
}

/** Run a script through psql; the wall time, and the \timing of each node's statements (ms) and its output. */
function runPsql(file: string): { seconds: number; nodeMs: Map<string, number>; output: Map<string, string[]> } {
  const t0 = performance.now();
  const r = spawnSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-f', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`psql -f ${file} exited with ${r.status}: ${tail(`${r.stderr}${r.error ?? ''}`)}`);
  const nodeMs = new Map<string, number>();
  const output = new Map<string, string[]>();
  let current = '';
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('@@ ')) {
      current = line.slice(3);
      nodeMs.set(current, 0);
      output.set(current, []);
      continue;
    }
    const t = /^Time: ([\d.]+) ms/.exec(line);
    if (t) {
      if (current) nodeMs.set(current, nodeMs.get(current)! + Number(t[1]));
    } else if (line && current) output.get(current)!.push(line);
  }
  return { seconds, nodeMs, output };
}

/** psql's test counts must be sparkify's (0 for a passing test). */
function checkTests(run: ReturnType<typeof runPsql>, failuresOf: Map<string, number>, nodes: ManifestNode[]): void {
  for (const n of nodes) {
    if (n.resource_type !== 'test') continue;
    const got = run.output.get(n.unique_id)?.join(',');
    if (got !== String(failuresOf.get(n.unique_id) ?? 0)) throw new Error(`psql: test ${n.name} counted '${got}' failures, sparkify ${failuresOf.get(n.unique_id)}`);
  }
}

function psql(args: string[]): string {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql ${args.join(' ')} failed: ${(r.stderr || String(r.error)).trim()}`);
  return r.stdout;
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-15).join('\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function series(runs: number[]): Series {
  return { runs, median: median(runs) };
}

function compare(sparkify: number[], psqlRuns: number[]): Comparison {
  const s = series(sparkify);
  const p = series(psqlRuns);
  return {
    sparkify: s,
    psql: p,
    overheadPct: ((s.median - p.median) / p.median) * 100,
    overheadPctByRun: sparkify.map((x, i) => ((x - psqlRuns[i]!) / psqlRuns[i]!) * 100),
  };
}

export function formatPgBuildBench(r: PgBuildResult): string {
  const sec = (v: number): string => `${v.toFixed(2)} s`;
  const pct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
  const runs = (x: Series): string => x.runs.map((v) => v.toFixed(2)).join(' / ');
  const row = (label: string, c: Comparison): string[] => [
    `  ${label}`,
    `    sparkify  ${sec(c.sparkify.median).padStart(9)}   (${runs(c.sparkify)})`,
    `    psql      ${sec(c.psql.median).padStart(9)}   (${runs(c.psql)})`,
    `    framework overhead ${pct(c.overheadPct)}   (run by run: ${c.overheadPctByRun.map(pct).join(' / ')})   goal < 5%`,
  ];
  const lines = [
    `sparkify build --target pg of ${r.events.toLocaleString('en-US')} generated events vs the same SQL through psql (PostgreSQL ${r.postgres}; median of ${r.runs} run${r.runs === 1 ? '' : 's'}, interleaved)`,
    `  sparkify: ${r.command}`,
    `  psql:     ${r.psqlCommand} (the compiled SQL of target/manifest.json in the materializations' swap; staging by \\copy of the loaded rows as CSV)`,
    `  load average before ${r.loadAverage.before.map((x) => x.toFixed(2)).join(' ')}, after ${r.loadAverage.after.map((x) => x.toFixed(2)).join(' ')}`,
    ...row('whole build (staging loads + marts + tests)', r.whole),
    ...row(`marts + tests (staging loaded; sparkify --select of the ${r.martsSelect.length} other nodes)`, r.martsAndTests),
  ];
  if (r.defaultThreads) lines.push(`  sparkify build, default --threads (for information): ${sec(r.defaultThreads.median)}   (${runs(r.defaultThreads)})`);
  lines.push('  per node (median seconds over the whole builds; sparkify execution_time vs psql \\timing):');
  for (const n of r.nodes) {
    const d = n.sparkify - n.psql;
    lines.push(`    ${n.kind.padEnd(5)} ${n.id.replace(/^\w+\.[^.]+\./, '').slice(0, 58).padEnd(58)} ${n.sparkify.toFixed(3).padStart(7)} ${n.psql.toFixed(3).padStart(7)}  ${d >= 0 ? '+' : ''}${d.toFixed(3)}`);
  }
  const sum = (k: 'sparkify' | 'psql', f: (n: NodeTiming) => boolean): number => r.nodes.filter(f).reduce((t, n) => t + n[k], 0);
  for (const [label, f] of [
    ['copy loads', (n: NodeTiming) => n.kind === 'copy'],
    ['models', (n: NodeTiming) => n.kind !== 'copy' && n.kind !== 'test'],
    ['tests', (n: NodeTiming) => n.kind === 'test'],
  ] as const) {
    const a = sum('sparkify', f);
    const b = sum('psql', f);
    lines.push(`    sum of ${label.padEnd(52)} ${a.toFixed(3).padStart(7)} ${b.toFixed(3).padStart(7)}  ${a - b >= 0 ? '+' : ''}${(a - b).toFixed(3)}`);
  }
  const o = r.outsideNodes;
  lines.push(`    outside the nodes (start-up, compile, lock, artifacts)       ${o.sparkify.toFixed(3).padStart(7)} ${o.psql.toFixed(3).padStart(7)}  ${o.sparkify - o.psql >= 0 ? '+' : ''}${(o.sparkify - o.psql).toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const num = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    if (i < 0) return undefined;
    const v = Number(process.argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) {
      process.stderr.write(`${name} takes a whole number >= 1\n`);
      process.exit(2);
    }
    return v;
  };
  const dataDir = process.argv.indexOf('--data-dir') >= 0 ? process.argv[process.argv.indexOf('--data-dir') + 1] : undefined;
  const r = await runPgBuildBench({
    ...(num('--events') !== undefined ? { events: num('--events')! } : {}),
    ...(num('--runs') !== undefined ? { runs: num('--runs')! } : {}),
    ...(dataDir ? { dataDir } : {}),
    defaultThreads: !process.argv.includes('--no-default-threads'),
    keep: process.argv.includes('--keep'),
  });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : formatPgBuildBench(r));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
