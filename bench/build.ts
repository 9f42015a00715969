import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** The project files of the repo root that a build reads (sample-data/ only when it exists). */
const PROJECT_ENTRIES = ['project.yml', 'models', 'tests', 'macros', 'seeds', 'sample-data'];

export interface BuildRun {
  label: 'cold' | 'warm';
  seconds: number;
  exitCode: number | null;
  /** The last lines of the output, for a failed run. */
  tail?: string;
}

export interface BuildBench {
  /** Where the raw data came from: 'sample-data/' (copied with the project) or an absolute path passed by --vars. */
  data: string;
  runs: BuildRun[];
}

/** Copy the repo's project into `workDir`, then run `sparkify build` twice: cold (no .sparkify/) and warm. */
export function benchBuild(repoRoot: string, workDir: string): BuildBench {
  fs.mkdirSync(workDir, { recursive: true });
  for (const entry of PROJECT_ENTRIES) {
    const from = path.join(repoRoot, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(workDir, entry), { recursive: true });
  }
  const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const args = [cli, 'build'];
  let data: string;
  if (fs.existsSync(path.join(repoRoot, 'sample-data'))) {
    data = 'sample-data/ (the repo\'s own sample data)';
  } else {
    const shared = path.resolve(repoRoot, '../shared/sparkify-data');
    args.push('--vars', JSON.stringify({ data_path: shared }));
    data = `${shared} (via --vars; the repo has no sample-data/)`;
  }
  const runs: BuildRun[] = [];
  for (const label of ['cold', 'warm'] as const) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: workDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = (performance.now() - t0) / 1000;
    const run: BuildRun = { label, seconds, exitCode: r.status };
    if (r.status !== 0) run.tail = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim().split('\n').slice(-15).join('\n');
    runs.push(run);
  }
  return { data, runs };
}
