import fs from 'node:fs';
import { compile, openProject, type OpenedProject } from '../api.js';
import { SparkifyError } from '../core/errors.js';
import type { CompileResult } from '../graph/compile.js';
import { selectNodes } from '../graph/selector.js';
import type { ResourceType } from '../graph/types.js';
import { openWarehouse, type OpenOptions, type Warehouse } from '../warehouse/index.js';
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

/** An opened, compiled project: what every command works from. */
export interface Context extends OpenedProject {
  compiled: CompileResult;
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
  const opened = await openProject({
    ...(opts.projectDir ? { projectDir: opts.projectDir } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    vars: parseVars(opts.vars),
  });
  return { ...opened, compiled: compile(opened) };
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
