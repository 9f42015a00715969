import { SparkifyError, errorMessage } from '../core/errors.js';
import type { CompileResult } from '../graph/compile.js';
import type { CompiledHook, Node } from '../graph/types.js';
import { materialize } from '../materialize/index.js';
import { ensureAuditSchema, storeFailures } from '../materialize/test-failures.js';
import { lineColumn, sourceLineFor } from '../template/lines.js';
import { SqlError } from '../warehouse/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { compiledPath } from './artifacts.js';
import { progressLine, type Logger } from './log.js';
import type { NodeResult } from './results.js';
import { schedule, type Job } from './scheduler.js';
import path from 'node:path';
import { formatLocation } from '../core/location.js';

export type RunCommand = 'run' | 'test' | 'build' | 'seed' | 'snapshot';

export interface RunRequest {
  command: RunCommand;
  compiled: CompileResult;
  /** unique_ids to execute (already filtered to the command's resource types). */
  selected: Set<string>;
  warehouse: Warehouse;
  threads: number;
  failFast: boolean;
  fullRefresh: boolean;
  /** --event-time-start / --event-time-end, for microbatch models. */
  eventTime?: { start?: string; end?: string };
  dataPath: string;
  projectDir: string;
  targetDir: string;
  log: Logger;
}

/** Execute the selected nodes in DAG order and return one result each (in completion order). */
export async function executeNodes(req: RunRequest): Promise<NodeResult[]> {
  const { manifest, order } = req.compiled;
  // Ephemeral models are not run: compile inlined them into what refs them (the order still passes through them).
  const nodes = order.filter((id) => req.selected.has(id) && manifest.nodes.get(id)!.config.materialized !== 'ephemeral');
  const jobs = planJobs(req, nodes);
  const threads = Math.max(1, Math.min(req.threads, req.warehouse.driver.maxConcurrency));
  const total = nodes.length;
  let started = 0;
  const results: NodeResult[] = [];
  /** Declared-in-YAML columns found missing after a model was built: model id -> column names. */
  const missingColumns = new Map<string, Set<string>>();
  /** Staging tables this run reloaded from scratch (new location, full refresh): id -> why. */
  const reloaded = new Map<string, string>();
  let thread = 0;
  const freeThreads: number[] = [];

  const describe = (n: Node): string => {
    const rel = n.relation ? `${n.relation.schema}.${n.relation.identifier}` : n.name;
    if (n.resource_type === 'test') return `test ${n.name}`;
    if (n.resource_type === 'seed') return `seed file ${rel}`;
    if (n.resource_type === 'snapshot') return `snapshot ${rel}`;
    return `${n.config.materialized} model ${rel}`;
  };

  const runOne = async (id: string): Promise<NodeResult> => {
    const node = manifest.nodes.get(id)!;
    const index = ++started;
    const threadNo = freeThreads.shift() ?? ++thread;
    req.log.info(progressLine(index, total, `START ${describe(node)}`, '[RUN]'));
    const t0 = Date.now();
    const startedAt = new Date().toISOString();
    let result: NodeResult;
    try {
      result = node.resource_type === 'test' ? await runTest(req, node, missingColumns) : await runModel(req, node, missingColumns, reloaded);
    } catch (err) {
      result = errorResult(req, node, err);
    }
    const seconds = (Date.now() - t0) / 1000;
    result.execution_time = seconds;
    result.timing = [{ name: 'execute', started_at: startedAt, completed_at: new Date().toISOString() }];
    result.thread_id = `Thread-${threadNo}`;
    freeThreads.push(threadNo);
    const label = statusLabel(result, seconds);
    const verb = result.status === 'error' ? 'ERROR creating' : result.status === 'success' ? 'OK created' : result.status.toUpperCase();
    const line = progressLine(index, total, `${verb} ${describe(node)}`, label);
    if (result.status === 'error' || result.status === 'fail') req.log.error(line);
    else req.log.info(line);
    results.push(result);
    return result;
  };

  const skip = (id: string, cause: string): NodeResult => {
    const node = manifest.nodes.get(id)!;
    const index = ++started;
    const causeNode = manifest.nodes.get(cause);
    const why = cause === 'fail-fast' ? 'an earlier failure stopped the run (--fail-fast)' : `${causeNode?.name ?? cause} failed`;
    req.log.info(progressLine(index, total, `SKIP ${describe(node)} (${why})`, '[SKIP]'));
    const r: NodeResult = {
      unique_id: id,
      status: 'skipped',
      message: `skipped because ${why}`,
      failures: null,
      execution_time: 0,
      timing: [],
      thread_id: '',
      adapter_response: {},
      blocks: true,
      ...(node.relation ? { relation_name: `${node.relation.schema}.${node.relation.identifier}` } : {}),
    };
    results.push(r);
    return r;
  };

  const hooks = req.compiled.runHooks;
  const start = await runProjectHooks(req, 'on-run-start', hooks.start);
  if (start.some((r) => r.status === 'error')) {
    for (const id of nodes) {
      const n = manifest.nodes.get(id)!;
      start.push({ unique_id: id, status: 'skipped', message: 'skipped because an on-run-start hook failed', failures: null, execution_time: 0, timing: [], thread_id: '', adapter_response: {}, blocks: true, ...(n.relation ? { relation_name: `${n.relation.schema}.${n.relation.identifier}` } : {}) });
    }
    return start;
  }
  await schedule(jobs, threads, req.failFast, { run: runOne, skip });
  return [...start, ...results, ...(await runProjectHooks(req, 'on-run-end', hooks.end))];
}

/** project.yml's on-run-start / on-run-end, one result each, as dbt reports them (operation.<project>.<project>-on-run-start-0). */
async function runProjectHooks(req: RunRequest, kind: 'on-run-start' | 'on-run-end', hooks: CompiledHook[]): Promise<NodeResult[]> {
  const project = req.compiled.manifest.project_name;
  const out: NodeResult[] = [];
  if (!hooks.length) return out;
  req.log.info(`Running ${hooks.length} ${kind} hook${hooks.length === 1 ? '' : 's'}`);
  for (const [i, hook] of hooks.entries()) {
    const name = `${project}.${kind}.${i}`;
    const t0 = Date.now();
    const startedAt = new Date().toISOString();
    req.log.info(progressLine(i + 1, hooks.length, `START hook: ${name}`, '[RUN]'));
    let status: NodeResult['status'] = 'success';
    let message = 'OK';
    try {
      await req.warehouse.driver.exec(hook.sql);
    } catch (err) {
      status = 'error';
      message = new SparkifyError(`${kind} hook ${i} failed: ${(err as Error).message.split('\n')[0]}`, { location: hook.location, hint: hook.sql.trim() }).format();
    }
    const seconds = (Date.now() - t0) / 1000;
    const line = progressLine(i + 1, hooks.length, `${status === 'error' ? 'ERROR' : 'OK'} hook: ${name}`, status === 'error' ? `[ERROR in ${seconds.toFixed(2)}s]` : `[OK in ${seconds.toFixed(2)}s]`);
    if (status === 'error') req.log.error(line);
    else req.log.info(line);
    out.push({
      unique_id: `operation.${project}.${project}-${kind}-${i}`,
      status,
      message,
      failures: null,
      execution_time: seconds,
      timing: [{ name: 'execute', started_at: startedAt, completed_at: new Date().toISOString() }],
      thread_id: 'main',
      adapter_response: {},
      blocks: false,
    });
  }
  req.log.info('');
  return out;
}

/**
 * Each selected node waits for its nearest selected ancestors. In build, dbt's test edges: a node also waits
 * for every test whose parents (what it tests, and what else it reads) are all upstream of the node, so a
 * failing test, generic or singular, skips what is built from what it tests; a warning does not.
 */
function planJobs(req: RunRequest, nodes: string[]): Job[] {
  const { manifest } = req.compiled;
  const selected = new Set(nodes);
  const nearest = new Map<string, Set<string>>();
  const selectedAncestors = (id: string): Set<string> => {
    const cached = nearest.get(id);
    if (cached) return cached;
    const out = new Set<string>();
    for (const p of manifest.parent_map.get(id) ?? []) {
      if (selected.has(p)) out.add(p);
      else for (const a of selectedAncestors(p)) out.add(a);
    }
    nearest.set(id, out);
    return out;
  };
  const deps = new Map<string, Set<string>>(nodes.map((id) => [id, new Set(selectedAncestors(id))]));
  if (req.command === 'build') {
    for (const [test, child] of testEdges(req, nodes, selected)) deps.get(child)!.add(test);
  }
  return nodes.map((id) => ({ id, deps: [...deps.get(id)!] }));
}

/**
 * dbt's test edges (add_test_edges): test T -> node N when N is not a test and every parent of T is a strict
 * ancestor of N. Only the nearest such selected nodes get the edge: the ones below them wait for them, and
 * a skip reaches them through those.
 */
function testEdges(req: RunRequest, nodes: string[], selected: Set<string>): [string, string][] {
  const { manifest } = req.compiled;
  const isTest = (id: string): boolean => manifest.nodes.get(id)?.resource_type === 'test';
  const below = new Map<string, Set<string>>();
  const descendants = (id: string): Set<string> => {
    let out = below.get(id);
    if (out) return out;
    out = new Set();
    const todo = [...(manifest.child_map.get(id) ?? [])];
    while (todo.length) {
      const c = todo.pop()!;
      if (out.has(c) || isTest(c)) continue;
      out.add(c);
      todo.push(...(manifest.child_map.get(c) ?? []));
    }
    below.set(id, out);
    return out;
  };
  const edges: [string, string][] = [];
  for (const t of nodes) {
    if (!isTest(t)) continue;
    const parents = (manifest.parent_map.get(t) ?? []).filter((p) => !isTest(p));
    if (!parents.length) continue;
    const [first, ...rest] = parents;
    const seen = new Set<string>();
    const todo = [...(manifest.child_map.get(first!) ?? [])];
    while (todo.length) {
      const n = todo.shift()!;
      if (seen.has(n) || isTest(n)) continue;
      seen.add(n);
      if (selected.has(n) && rest.every((p) => descendants(p).has(n))) {
        edges.push([t, n]);
        continue;
      }
      todo.push(...(manifest.child_map.get(n) ?? []));
    }
  }
  return edges;
}

function ancestorsOf(req: RunRequest, id: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(req.compiled.manifest.parent_map.get(id) ?? [])];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    if (seen.has(p)) continue;
    seen.add(p);
    todo.push(...(req.compiled.manifest.parent_map.get(p) ?? []));
  }
  return seen;
}

async function runModel(req: RunRequest, node: Node, missingColumns: Map<string, Set<string>>, reloaded: Map<string, string>): Promise<NodeResult> {
  const wh = req.warehouse;
  // A model that keeps history (incremental) over a staging table this run reloaded from scratch would keep
  // rows of the old data: it is rebuilt too (a model whose config sets full_refresh=false still decides).
  const upstream = reloaded.size && node.config.materialized === 'incremental' && !req.fullRefresh ? [...ancestorsOf(req, node.unique_id)].find((a) => reloaded.has(a)) : undefined;
  if (upstream) req.log.info(`${node.name}: rebuilt in full, because ${req.compiled.manifest.nodes.get(upstream)?.name ?? upstream} was ${reloaded.get(upstream)}`);
  const m = await materialize({
    warehouse: wh,
    node,
    sql: node.compiled_code ?? '',
    fullRefresh: req.fullRefresh || upstream !== undefined,
    ...(req.eventTime ? { eventTime: req.eventTime } : {}),
    projectDir: req.projectDir,
    dataPath: req.dataPath,
    ...(req.log.loadProgress ? { onLoadProgress: req.log.loadProgress(node.name) } : {}),
    // Compile rendered it; nothing below compile renders templates.
    ...(node.compiled_incremental_code === undefined ? {} : { incrementalSql: node.compiled_incremental_code }),
  });
  if (m.reloaded) reloaded.set(node.unique_id, m.reloaded);
  for (const w of m.warnings ?? []) req.log.warn(w);
  for (const n of m.notes ?? []) req.log.info(n);
  // Columns the YAML declares must exist in what was built.
  const declared = Object.keys(node.columns);
  if (declared.length && node.relation) {
    const actual = new Set(
      (await wh.driver.query(wh.dialect.listColumns(), [node.relation.schema, node.relation.identifier])).rows.map((r) => String(r.column_name)),
    );
    const missing = declared.filter((c) => !actual.has(c));
    if (missing.length) {
      missingColumns.set(node.unique_id, new Set(missing));
      for (const c of missing) {
        const at = req.compiled.origins.columns.get(`${node.name}.${c}`);
        req.log.warn(`${at ? `${formatLocation(at)}: ` : ''}column '${c}' is declared for ${node.name} but ${node.name} has no such column (it has: ${[...actual].join(', ')})`);
      }
    }
  }
  const rejectedNote = m.rejected?.length ? `; ${m.rejected.length} rows rejected (see target/run_results.json)` : '';
  return {
    unique_id: node.unique_id,
    status: 'success',
    message: `${m.code}${rejectedNote}`,
    failures: null,
    execution_time: 0,
    timing: [],
    thread_id: '',
    adapter_response: { _message: m.code, code: m.code.split(' ')[0], ...(m.rowsAffected === undefined ? {} : { rows_affected: m.rowsAffected }) },
    ...(node.relation ? { relation_name: `${node.relation.schema}.${node.relation.identifier}` } : {}),
    compiled_path: path.relative(req.projectDir, compiledPath(req.targetDir, req.compiled.manifest.project_name, node)),
    ...(m.rejected?.length ? { rejected: m.rejected } : {}),
    blocks: false,
  };
}

async function runTest(req: RunRequest, node: Node, missingColumns: Map<string, Set<string>>): Promise<NodeResult> {
  const compiled = path.relative(req.projectDir, compiledPath(req.targetDir, req.compiled.manifest.project_name, node));
  const column = node.test_metadata?.column_name;
  if (column && node.attached_node && missingColumns.get(node.attached_node)?.has(column)) {
    const model = req.compiled.manifest.nodes.get(node.attached_node)!;
    throw new SparkifyError(`test ${node.test_metadata!.name} is declared on column '${column}', which ${model.name} does not have`, {
      exitCode: 1,
      ...(req.compiled.origins.tests.get(node.unique_id) ? { location: req.compiled.origins.tests.get(node.unique_id)! } : {}),
      hint: `Fix the column name in the YAML, or add the column to ${model.original_file_path}.`,
    });
  }
  const wh = req.warehouse;
  // dbt's store_failures: the failing rows are kept in the audit schema, and counted from there.
  const stored = node.relation;
  let rows = node.compiled_code ?? '';
  if (stored) {
    try {
      await ensureAuditSchema(wh, stored.schema);
    } catch (err) {
      const at = req.compiled.origins.tests.get(node.unique_id) ?? { file: node.original_file_path, line: 1, column: 0 };
      throw new SparkifyError(`store_failures: cannot create the audit schema ${wh.dialect.quote(stored.schema)}: ${errorMessage(err)}`, {
        exitCode: 1,
        location: at,
        hint: `Let the target's role create schemas (or create ${stored.schema} beforehand, with CREATE on it granted to the role), or set store_failures: false.`,
      });
    }
    await storeFailures(wh, node, stored, rows, node.config.store_failures_as === 'view' ? 'view' : 'table');
    rows = `select * from ${wh.dialect.relation(stored)}`;
  }
  // dbt's test query: the failure count by fail_calc, and the warn_if / error_if comparisons on it.
  const calc = node.config.fail_calc ?? 'count(*)';
  const warnIf = node.config.warn_if ?? '!=0';
  const errorIf = node.config.error_if ?? '!=0';
  const r = await wh.driver.query(
    `select ${calc} as failures, ${calc} ${warnIf} as should_warn, ${calc} ${errorIf} as should_error\nfrom (\n${rows}\n) as dbt_internal_test`,
  );
  const row = r.rows[0] ?? {};
  if (row.failures === null || row.failures === undefined) {
    throw new SparkifyError(`fail_calc '${calc}' gave no number (null): a test's failures are a count`, {
      exitCode: 1,
      hint: "An aggregate over no rows is null: write fail_calc as e.g. \"case when count(*) > 0 then sum(n_records) else 0 end\", as dbt's docs advise.",
    });
  }
  const failures = Number(row.failures);
  const truthy = (v: unknown): boolean => v === true || v === 't' || v === 'true' || v === 1;
  const severity = node.config.severity ?? 'error';
  const status = severity === 'error' && truthy(row.should_error) ? 'fail' : truthy(row.should_warn) ? 'warn' : 'pass';
  const got = `Got ${failures} result${failures === 1 ? '' : 's'}`;
  const see = stored ? `select * from ${wh.dialect.relation(stored)}` : compiled;
  return {
    unique_id: node.unique_id,
    status,
    // dbt's messages, with where to look at the failing rows.
    message: status === 'pass' ? 'PASS' : `${got}, configured to ${status === 'fail' ? `fail if ${errorIf}` : `warn if ${warnIf}`}. See the failing rows: ${see}`,
    // As dbt: the count of a test that fails or warns, 0 for one that passes.
    failures: status === 'pass' ? 0 : failures,
    execution_time: 0,
    timing: [],
    thread_id: '',
    adapter_response: {},
    compiled_path: compiled,
    ...(stored ? { relation_name: `${stored.schema}.${stored.identifier}` } : {}),
    blocks: status === 'fail',
  };
}

function errorResult(req: RunRequest, node: Node, err: unknown): NodeResult {
  const compiled = path.relative(req.projectDir, compiledPath(req.targetDir, req.compiled.manifest.project_name, node));
  let message: string;
  if (err instanceof SqlError) message = sqlErrorMessage(node, err, compiled);
  else message = `${node.resource_type === 'test' ? 'Error in test' : 'Error in model'} ${node.name}: ${errorMessage(err)}`;
  return {
    unique_id: node.unique_id,
    status: 'error',
    message,
    failures: null,
    execution_time: 0,
    timing: [],
    thread_id: '',
    adapter_response: {},
    compiled_path: compiled,
    blocks: true,
  };
}

/** A database error, located in the model's own source file (and in the compiled SQL). */
function sqlErrorMessage(node: Node, err: SqlError, compiled: string): string {
  const kind = node.resource_type === 'test' ? 'test' : node.resource_type;
  const sql = node.compiled_code ?? '';
  let where = node.original_file_path;
  let snippet = '';
  const at = sql ? err.statement.indexOf(sql) : -1;
  if (err.position !== undefined && at >= 0 && err.position - 1 >= at && err.position - 1 <= at + sql.length) {
    const { line, column } = lineColumn(sql, err.position - 1 - at);
    if (node.test_metadata) {
      where = `${compiled}:${line}:${column}`;
    } else {
      const srcLine = sourceLineFor(node.raw_code, sql, line);
      where = `${node.original_file_path}:${srcLine}`;
      snippet = `\n  ${srcLine} | ${node.raw_code.split('\n')[srcLine - 1]?.trim() ?? ''}`;
      compiled = `${compiled}:${line}:${column}`;
    }
  }
  const extra = [err.detail, err.dbHint].filter(Boolean).map((s) => `\n  ${s}`).join('');
  return `Database error in ${kind} ${node.name} (${where})\n  ${err.message}${extra}${snippet}\n  compiled SQL: ${compiled}`;
}

function statusLabel(r: NodeResult, seconds: number): string {
  const t = `in ${seconds.toFixed(2)}s`;
  switch (r.status) {
    case 'success':
      return `[${r.adapter_response._message ?? 'OK'} ${t}]`;
    case 'pass':
      return `[PASS ${t}]`;
    case 'warn':
      return `[WARN ${r.failures} ${t}]`;
    case 'fail':
      return `[FAIL ${r.failures} ${t}]`;
    case 'error':
      return `[ERROR ${t}]`;
    default:
      return '[SKIP]';
  }
}
