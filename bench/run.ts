// `npm run bench`: compile time of a 10,000-model synthetic project, and wall time of a full
// `sparkify build` of the repo's own project (cold, then warm). Prints a plain text report, or JSON
// with --json. Flags: --models N (default 10000), --runs N (default 5), --skip-build, --keep.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBuild, type BuildBench } from './build.js';
import { benchCompile, type CompileBench } from './compile.js';
import { writeSyntheticProject } from './synth.js';

// dist/bench/run.js -> the repo root is two levels up.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function flag(name: string): boolean {
  return process.argv.includes(name);
}
function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${name} takes a whole number >= 1\n`);
    process.exit(2);
  }
  return v;
}

interface Report {
  node: string;
  cpus: number;
  /** 1-minute load average before the compile runs: other work on the machine inflates wall times. */
  loadAverage: number;
  compile: CompileBench & { models: number; yamlTests: number; select: string[] };
  build?: BuildBench;
}

async function main(): Promise<void> {
  const json = flag('--json');
  const models = option('--models', 10_000);
  const runs = option('--runs', 5);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-'));
  const progress = (s: string): void => {
    if (!json) process.stderr.write(`${s}\n`);
  };
  try {
    progress(`generating ${models} synthetic models in ${tmp}/synth ...`);
    const synthDir = path.join(tmp, 'synth');
    const { tests } = writeSyntheticProject(synthDir, { count: models });
    const select = [`+model_${models - 1}`, 'tag:x'];
    const loadAverage = os.loadavg()[0]!;
    progress(`compiling (1 warm-up + ${runs} runs) ...`);
    const compile = await benchCompile(synthDir, select, runs);
    const report: Report = {
      node: process.version,
      cpus: os.cpus().length,
      loadAverage,
      compile: { ...compile, models, yamlTests: tests, select },
    };
    if (!flag('--skip-build')) {
      progress('sparkify build of the repo project (cold, then warm) ...');
      report.build = benchBuild(repoRoot, path.join(tmp, 'build'));
    }
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(text(report));
  } finally {
    if (flag('--keep')) progress(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function text(r: Report): string {
  const ms = (v: number): string => `${v.toFixed(1).padStart(8)} ms`;
  const c = r.compile;
  const m = c.median;
  const lines = [
    `sparkify bench (node ${r.node}, ${r.cpus} CPUs, load average ${r.loadAverage.toFixed(2)})`,
    '',
    `1. compile of ${c.models} synthetic models (+${c.yamlTests} YAML tests; ${m.nodes} nodes), select ${c.select.map((s) => `'${s}'`).join(' ')} -> ${m.selected} nodes`,
    `   median of ${c.runs} runs after 1 warm-up:`,
    `   read (loadProject)                          ${ms(m.readMs)}`,
    `   render+compile (TemplateEngine + compile)   ${ms(m.compileMs)}`,
    `   select (selectNodes)                        ${ms(m.selectMs)}`,
    `   total                                       ${ms(m.totalMs)}   (CPU time ${m.cpuMs.toFixed(0)} ms)`,
    `   runs (total ms): ${c.all.map((t) => t.totalMs.toFixed(0)).join(', ')}`,
  ];
  if (r.build) {
    lines.push('', `2. sparkify build of the repo project; data: ${r.build.data}`);
    for (const run of r.build.runs) {
      const label = run.label === 'cold' ? 'cold (no .sparkify/, includes initdb)' : 'warm (second run)';
      lines.push(`   ${label.padEnd(40)} ${run.seconds.toFixed(2).padStart(7)} s   exit ${run.exitCode}`);
      if (run.tail) lines.push(...run.tail.split('\n').map((l) => `      | ${l}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
