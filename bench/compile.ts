import { performance } from 'node:perf_hooks';
import { compileProject } from '../src/graph/compile.js';
import { selectNodes } from '../src/graph/selector.js';
import { loadProject } from '../src/project/load.js';
import { resolveTarget } from '../src/project/targets.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';

/** One in-process compile, timed by phase, the way src/cli/context.ts createContext wires it. */
export interface CompileTiming {
  readMs: number;
  /** TemplateEngine.create + compileProject (render every template, resolve refs, toposort). */
  compileMs: number;
  selectMs: number;
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
  const cpu = process.cpuUsage(c0);
  return {
    readMs: t1 - t0,
    compileMs: t2 - t1,
    selectMs: t3 - t2,
    totalMs: t3 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    nodes: compiled.manifest.nodes.size,
    selected: selected.size,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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
      totalMs: pick('totalMs'),
      cpuMs: pick('cpuMs'),
      nodes: all[0]!.nodes,
      selected: all[0]!.selected,
    },
    all,
  };
}
