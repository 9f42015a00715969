import { randomUUID } from 'node:crypto';
import type { ResourceType } from '../graph/types.js';
import { writeCompiled, writeManifest, writeRunResults } from '../run/artifacts.js';
import type { Logger } from '../run/log.js';
import { countStatuses, hasFailures, type NodeResult } from '../run/results.js';
import { execute } from '../api.js';
import type { RunCommand } from '../run/runner.js';
import { recordState } from '../run/state.js';
import { checkDataPath, createContext, select, withWarehouse, type CommonOptions, type SelectionOptions } from './context.js';

export interface RunOptions extends CommonOptions, SelectionOptions {
  threads?: string;
  /** commander's --no-wait: false means fail at once if another run holds the target's lock. */
  wait?: boolean;
  fullRefresh?: boolean;
  failFast?: boolean;
  eventTimeStart?: string;
  eventTimeEnd?: string;
}

const resourceTypesFor: Record<RunCommand, ResourceType[]> = {
  run: ['model'],
  test: ['test'],
  build: ['model', 'seed', 'snapshot', 'test'],
  seed: ['seed'],
  snapshot: ['snapshot'],
};

/** run, test, build and seed: select, execute in DAG order, write artifacts, print a summary. Returns the exit code. */
export async function runCommand(command: RunCommand, opts: RunOptions, log: Logger): Promise<number> {
  const started = Date.now();
  const ctx = await createContext(opts);
  const invocationId = randomUUID();
  const { manifest } = ctx.compiled;
  const selected = select(ctx, opts, resourceTypesFor[command], log);
  const threads = opts.threads === undefined ? (ctx.target.threads ?? 4) : Number(opts.threads);
  writeManifest(ctx.targetDir, manifest, invocationId, ctx.targetName);
  writeCompiled(ctx.targetDir, manifest, [...selected].map((id) => manifest.nodes.get(id)!));

  const counts = describeCounts([...selected].map((id) => manifest.nodes.get(id)!.resource_type));
  log.info(`Running with sparkify 0.1.0 on target ${ctx.targetName} (${ctx.target.type})`);
  log.info(`Found ${describeCounts([...manifest.nodes.values()].map((n) => n.resource_type))}`);
  if (selected.size === 0) {
    log.warn('Nothing to do: the selection matched no nodes.');
    writeRunResults(ctx.targetDir, [], invocationId, 0, runArgs(command, opts, ctx.targetName));
    return 0;
  }
  checkDataPath(ctx, selected);

  const onWait = (holder?: string): void => log.info(`Another sparkify run holds this target${holder ? ` (${holder})` : ''}; waiting for it to finish ...`);
  const results = await withWarehouse(ctx, async (warehouse) => {
    const n = Math.min(threads, warehouse.driver.maxConcurrency);
    log.info(`Concurrency: ${n} thread${n === 1 ? '' : 's'} (${warehouse.description})`);
    const unlock = await warehouse.driver.runLock?.({ wait: opts.wait ?? true, onWait });
    log.info('');
    try {
      return await execute({
        command,
        compiled: ctx.compiled,
        selected,
        warehouse,
        threads,
        failFast: opts.failFast ?? false,
        fullRefresh: opts.fullRefresh ?? false,
        ...(opts.eventTimeStart || opts.eventTimeEnd ? { eventTime: { ...(opts.eventTimeStart ? { start: opts.eventTimeStart } : {}), ...(opts.eventTimeEnd ? { end: opts.eventTimeEnd } : {}) } } : {}),
        dataPath: ctx.dataPath,
        projectDir: ctx.project.dir,
        targetDir: ctx.targetDir,
        log,
      });
    } finally {
      await unlock?.();
    }
  }, { threads, wait: opts.wait ?? true, onWait });
  const elapsed = (Date.now() - started) / 1000;
  writeRunResults(ctx.targetDir, results, invocationId, elapsed, runArgs(command, opts, ctx.targetName));
  recordState(ctx.project.dir, ctx.targetName, manifest, results);
  printSummary(results, counts, elapsed, log, (id) => manifest.nodes.get(id)?.name ?? id);
  return hasFailures(results) ? 1 : 0;
}

function runArgs(command: string, opts: RunOptions, target: string): Record<string, unknown> {
  // Only what identifies the invocation: never vars (they may hold secrets).
  return { which: command, select: opts.select ?? [], exclude: opts.exclude ?? [], target, threads: opts.threads ?? null, full_refresh: !!opts.fullRefresh, fail_fast: !!opts.failFast };
}

export function describeCounts(types: ResourceType[]): string {
  const n = (t: ResourceType): number => types.filter((x) => x === t).length;
  const parts = [
    [n('model'), 'model'],
    [n('test'), 'data test'],
    [n('seed'), 'seed'],
    [n('snapshot'), 'snapshot'],
    [n('source'), 'source'],
  ] as const;
  return parts.filter(([c]) => c > 0).map(([c, what]) => `${c} ${what}${c === 1 ? '' : 's'}`).join(', ') || 'nothing';
}

function printSummary(results: NodeResult[], counts: string, elapsed: number, log: Logger, nameOf: (id: string) => string): void {
  const c = countStatuses(results);
  log.info('');
  log.info(`Finished running ${counts} in ${elapsed.toFixed(2)}s.`);
  const bad = results.filter((r) => r.status === 'error' || r.status === 'fail');
  const warns = results.filter((r) => r.status === 'warn');
  log.info('');
  if (bad.length === 0) log.info(warns.length ? `Completed with ${warns.length} warning${warns.length > 1 ? 's' : ''}:` : 'Completed successfully');
  else log.error(`Completed with ${bad.length} error${bad.length > 1 ? 's' : ''} and ${warns.length} warning${warns.length === 1 ? '' : 's'}:`);
  for (const r of [...bad, ...warns]) {
    log.info('');
    const what = r.status === 'warn' ? 'Warning in' : r.status === 'fail' ? 'Failure in' : 'Error in';
    (r.status === 'warn' ? log.warn : log.error)(`${what} ${nameOf(r.unique_id)}`);
    for (const line of r.message.split('\n')) log.error(`  ${line.trimStart() === line ? line : line}`);
  }
  log.info('');
  log.info(`Done. PASS=${c.PASS} WARN=${c.WARN} ERROR=${c.ERROR} SKIP=${c.SKIP} TOTAL=${c.TOTAL}`);
}
