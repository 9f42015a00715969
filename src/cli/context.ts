import fs from 'node:fs';
import path from 'node:path';
import { SparkifyError, SparkifyErrors } from '../core/errors.js';
import { compileProject, type CompileResult } from '../graph/compile.js';
import { selectNodes } from '../graph/selector.js';
import type { ResourceType } from '../graph/types.js';
import { loadProject, type Project } from '../project/load.js';
import type { TargetConfig } from '../project/schema.js';
import { resolveTarget } from '../project/targets.js';
import { TemplateEngine, type RenderEnv } from '../template/engine.js';
import { dialectFor } from '../warehouse/dialects.js';
import { openWarehouse, type OpenOptions, type Warehouse } from '../warehouse/index.js';
import type { Dialect } from '../warehouse/types.js';
import { interruptSignal } from './interrupt.js';
import type { Logger } from '../run/log.js';
import { readState } from '../run/state.js';

/** Options every command shares. */
export interface CommonOptions {
  projectDir?: string;
  target?: string;
  vars?: string;
}

export interface SelectionOptions {
  select?: string[];
  exclude?: string[];
}

export interface Context {
  project: Project;
  targetName: string;
  target: TargetConfig;
  vars: Record<string, unknown>;
  /** Where the raw data is read from: an absolute directory or an s3:// URL. */
  dataPath: string;
  /** Where data_path was set, for errors. */
  dataPathOrigin: string;
  engine: TemplateEngine;
  renderEnv: RenderEnv;
  compiled: CompileResult;
  /** The target's SQL dialect: how relations are named and quoted. */
  dialect: Dialect;
  targetDir: string;
}

export function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SparkifyError(`--vars is not valid JSON: ${(err as Error).message}`, {
      hint: `Pass a JSON object, quoted for the shell: --vars '{"data_path": "../shared/sparkify-data"}'`,
    });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new SparkifyError('--vars must be a JSON object', { hint: `For example: --vars '{"data_path": "/data/sparkify"}'` });
  }
  return v as Record<string, unknown>;
}

export async function createContext(opts: CommonOptions): Promise<Context> {
  const cliVars = parseVars(opts.vars);
  const project = await loadProject(opts.projectDir ?? process.cwd());
  const { name: targetName, config: target } = resolveTarget(project, opts.target, process.env);
  const vars = { ...project.config.vars, ...cliVars };
  // A relative data_path is relative to where it was written: the shell's directory for --vars, the
  // project for project.yml.
  const raw = vars.data_path === undefined ? undefined : String(vars.data_path);
  const fromCli = cliVars.data_path !== undefined;
  const base = fromCli ? process.cwd() : project.dir;
  const dataPath = raw === undefined ? project.dir : raw.startsWith('s3://') ? raw : path.resolve(base, raw);
  if (raw !== undefined && !raw.startsWith('s3://')) vars.data_path = dataPath;
  const renderEnv: RenderEnv = {
    projectName: project.config.name,
    target: { name: targetName, type: target.type, schema: target.schema },
    vars,
    env: process.env,
  };
  const engine = await TemplateEngine.create(renderEnv, project.macros, project.dir);
  const compiled = compileProject(project, engine, renderEnv);
  if (compiled.errors.length) throw new SparkifyErrors(compiled.errors);
  return {
    project,
    targetName,
    target,
    vars,
    dataPath,
    dataPathOrigin: fromCli ? '--vars' : `${project.projectYaml.file} (vars.data_path)`,
    engine,
    renderEnv,
    compiled,
    dialect: dialectFor(target.type),
    targetDir: path.resolve(project.dir, project.config['target-path']),
  };
}

export function select(ctx: Context, opts: SelectionOptions, resourceTypes: ResourceType[], log: Logger): Set<string> {
  const { selected, warnings } = selectNodes(ctx.compiled.manifest, {
    select: opts.select ?? [],
    exclude: opts.exclude ?? [],
    resourceTypes,
    state: readState(ctx.project.dir, ctx.targetName),
  });
  for (const w of warnings) log.warn(w);
  return selected;
}

/** The raw data must exist before a load starts (a missing directory is a usage error, not a failed load). */
export function checkDataPath(ctx: Context, selected: Set<string>): void {
  const loads = [...selected].some((id) => ctx.compiled.manifest.nodes.get(id)?.config.materialized === 'copy');
  if (!loads || ctx.dataPath.startsWith('s3://')) return;
  if (!fs.existsSync(ctx.dataPath)) {
    throw new SparkifyError(`data_path ${ctx.dataPath} does not exist (set by ${ctx.dataPathOrigin})`, {
      hint: 'Point it at a directory with log_data/ and song_data/, e.g. --vars \'{"data_path": "../shared/sparkify-data"}\'.',
    });
  }
}

/** Open the target's warehouse for `fn`, cancelled by Ctrl-C (interrupt.ts); a wait for another process is said on stderr unless `onWait` says it. */
export async function withWarehouse<T>(ctx: Context, fn: (wh: Warehouse) => Promise<T>, opts: Omit<OpenOptions, 'signal' | 'command'> = {}): Promise<T> {
  const wh = await openWarehouse(ctx.targetName, ctx.target, ctx.project.dir, {
    onWait: (holder) => process.stderr.write(`Waiting for another sparkify process that uses target ${ctx.targetName}: ${holder} ...\n`),
    ...opts,
    signal: interruptSignal(),
    // The subcommand only: arguments may hold secrets (--vars).
    command: `sparkify ${process.argv[2] ?? ''}`.trim(),
  });
  try {
    return await fn(wh);
  } finally {
    await wh.driver.close();
  }
}
