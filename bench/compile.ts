import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileProject } from '../src/graph/compile.js';
import { selectNodes } from '../src/graph/selector.js';
import { loadProject } from '../src/project/load.js';
import { resolveTarget } from '../src/project/targets.js';
import { writeCompiled, writeManifest } from '../src/run/artifacts.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { median } from './process.js';

/**
 * One in-process compile, timed by phase, the way src/cli/context.ts createContext and the compile command
 * wire it: what explains the whole-command figure of bench/compile-cli.ts (which adds Node start-up,
 * module loading and exit). The artifacts are written over the previous run's (a warm target).
 */
export interface CompileTiming {
  readMs: number;
  /** TemplateEngine.create + compileProject (render every template, resolve refs, toposort). */
  compileMs: number;
  selectMs: number;
  /** writeManifest: target/manifest.json. */
  manifestMs: number;
  /** writeCompiled: one file per node under target/compiled/. */
  compiledMs: number;
  totalMs: number;
  /** CPU time (user + system, all threads) of the whole run: less sensitive to other load on the machine. */
  cpuMs: number;
  nodes: number;
  selected: number;
}

export async function timeCompile(projectDir: string, select: string[]): Promise<CompileTiming> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const project = await loadProject(projectDir);
  const t1 = performance.now();
  const { name: targetName, config: target } = resolveTarget(project, undefined, process.env);
  const renderEnv: RenderEnv = {
    projectName: project.config.name,
    target: { name: targetName, type: target.type, schema: target.schema },
    vars: { ...project.config.vars },
    env: process.env,
  };
  const engine = await TemplateEngine.create(renderEnv, project.macros, project.dir);
  const compiled = compileProject(project, engine, renderEnv);
  const t2 = performance.now();
  const { selected } = selectNodes(compiled.manifest, { select, exclude: [], resourceTypes: ['model', 'seed', 'test'] });
  const t3 = performance.now();
  const targetDir = path.resolve(project.dir, project.config['target-path']);
  writeManifest(targetDir, compiled.manifest, 'bench', targetName);
  const t4 = performance.now();
  // Every node, as `sparkify compile` without --select writes them (the selector above is timed on its own).
  writeCompiled(targetDir, compiled.manifest, compiled.manifest.nodes.values());
  const t5 = performance.now();
  const cpu = process.cpuUsage(c0);
  return {
    readMs: t1 - t0,
    compileMs: t2 - t1,
    selectMs: t3 - t2,
    manifestMs: t4 - t3,
    compiledMs: t5 - t4,
    totalMs: t5 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    nodes: compiled.manifest.nodes.size,
    selected: selected.size,
  };
}

export interface CompileBench {
  runs: number;
  median: CompileTiming;
  all: CompileTiming[];
}

/** 1 warm-up run, then `runs` timed runs; the median of each phase (and of the totals) is reported. */
export async function benchCompile(projectDir: string, select: string[], runs = 5): Promise<CompileBench> {
  await timeCompile(projectDir, select);
  const all: CompileTiming[] = [];
  for (let i = 0; i < runs; i++) all.push(await timeCompile(projectDir, select));
  const pick = (k: keyof CompileTiming): number => median(all.map((t) => t[k]));
  return {
    runs,
    median: {
      readMs: pick('readMs'),
      compileMs: pick('compileMs'),
      selectMs: pick('selectMs'),
      manifestMs: pick('manifestMs'),
      compiledMs: pick('compiledMs'),
      totalMs: pick('totalMs'),
      cpuMs: pick('cpuMs'),
      nodes: all[0]!.nodes,
      selected: all[0]!.selected,
    },
    all,
  };
}
