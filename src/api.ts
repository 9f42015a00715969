import path from 'node:path';
import { SparkifyErrors } from './core/errors.js';
import { compileProject, type CompileResult } from './graph/compile.js';
import { loadProject, type Project } from './project/load.js';
import type { TargetConfig } from './project/schema.js';
import { resolveTarget } from './project/targets.js';
import { TemplateEngine, type RenderEnv } from './template/engine.js';
import { dialectFor } from './warehouse/dialects.js';
import type { Dialect } from './warehouse/types.js';

// The engine below the CLI: open a project, compile it, and (run/) execute what compile decided. The CLI,
// the benchmarks and the tests call these; none of them exits the process or prints.

export { executeNodes as execute, type RunRequest } from './run/runner.js';

export interface OpenOptions {
  /** The project directory (default: the current directory). */
  projectDir?: string;
  /** A target of project.yml (default: default-target, else dev). */
  target?: string;
  /** --vars: they win over project.yml's vars. */
  vars?: Record<string, unknown>;
  /** The environment templates read with {{env}} (default: process.env). */
  env?: Record<string, string | undefined>;
  /** What a relative data_path given in `vars` is relative to (default: the current directory). */
  cwd?: string;
}

export interface OpenedProject {
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
  /** The target's SQL dialect: how relations are named and quoted. */
  dialect: Dialect;
  targetDir: string;
}

/** Read the project's files, pick the target, settle vars and data_path, and build the template environment. */
export async function openProject(opts: OpenOptions = {}): Promise<OpenedProject> {
  const cwd = opts.cwd ?? process.cwd();
  const cliVars = opts.vars ?? {};
  const env = opts.env ?? process.env;
  const project = await loadProject(opts.projectDir ?? cwd);
  const { name: targetName, config: target } = resolveTarget(project, opts.target, env);
  const vars = { ...project.config.vars, ...cliVars };
  // A relative data_path is relative to where it was written: the shell's directory for --vars, the
  // project for project.yml.
  const raw = vars.data_path === undefined ? undefined : String(vars.data_path);
  const fromCli = cliVars.data_path !== undefined;
  const base = fromCli ? cwd : project.dir;
  const dataPath = raw === undefined ? project.dir : raw.startsWith('s3://') ? raw : path.resolve(base, raw);
  if (raw !== undefined && !raw.startsWith('s3://')) vars.data_path = dataPath;
  const renderEnv: RenderEnv = {
    projectName: project.config.name,
    target: { name: targetName, type: target.type, schema: target.schema },
    vars,
    env,
  };
  return {
    project,
    targetName,
    target,
    vars,
    dataPath,
    dataPathOrigin: fromCli ? '--vars' : `${project.projectYaml.file} (vars.data_path)`,
    engine: await TemplateEngine.create(renderEnv, project.macros, project.dir),
    renderEnv,
    dialect: dialectFor(target.type),
    targetDir: path.resolve(project.dir, project.config['target-path']),
  };
}

/** Compile the opened project: every node decided, or every problem found (thrown together, exit code 2). */
export function compile(opened: OpenedProject): CompileResult {
  const compiled = compileProject(opened.project, opened.engine, opened.renderEnv);
  if (compiled.errors.length) throw new SparkifyErrors(compiled.errors);
  return compiled;
}
