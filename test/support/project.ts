import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'dist/src/cli/main.js');
/** The real production sample (never copied into the repo). */
export const realSample = path.resolve(repoRoot, '../shared/sparkify-data');
export const hasRealSample = fs.existsSync(path.join(realSample, 'log_data'));

const PROJECT_FILES = ['project.yml', 'models', 'tests', 'macros', 'seeds', 'sample-data'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
}

export interface Project {
  dir: string;
  write(file: string, text: string): void;
  read(file: string): string;
  remove(file: string): void;
  run(...args: string[]): Promise<CliResult>;
  /** `show --output json --inline sql` parsed. */
  query<T = Record<string, unknown>>(sql: string, ...extra: string[]): Promise<T[]>;
}

/**
 * A throwaway copy of the Sparkify project (or an empty one), with the embedded database pre-created
 * from the template made in global setup, so no test pays for initdb.
 */
export function makeProject(opts: { from?: 'sparkify' | 'empty'; withDatabase?: boolean } = {}): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-test-'));
  if ((opts.from ?? 'sparkify') === 'sparkify') {
    for (const f of PROJECT_FILES) {
      const src = path.join(repoRoot, f);
      if (fs.existsSync(src)) fs.cpSync(src, path.join(dir, f), { recursive: true });
    }
  }
  if (opts.withDatabase ?? true) {
    fs.mkdirSync(path.join(dir, '.sparkify'), { recursive: true });
    fs.cpSync(inject('pgTemplateDir'), path.join(dir, '.sparkify', 'dev'), { recursive: true });
  }
  const project: Project = {
    dir,
    write(file, text) {
      const p = path.join(dir, file);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    },
    read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
    remove: (file) => fs.rmSync(path.join(dir, file), { recursive: true, force: true }),
    run: (...args) => runCli(dir, args),
    async query<T>(sql: string, ...extra: string[]): Promise<T[]> {
      const r = await runCli(dir, ['show', '--output', 'json', '--inline', sql, ...extra]);
      if (r.code !== 0) throw new Error(`show failed (${r.code}):\n${r.output}`);
      return JSON.parse(r.stdout) as T[];
    },
  };
  return project;
}

export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, output: stdout + stderr }));
  });
}

export const realSampleVars = JSON.stringify({ data_path: realSample });
