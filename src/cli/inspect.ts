import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SparkifyError } from '../core/errors.js';
import { resolveSql } from '../graph/compile.js';
import type { Node, ResourceType } from '../graph/types.js';
import { writeCompiled, writeManifest } from '../run/artifacts.js';
import type { Logger } from '../run/log.js';
import { createContext, select, withWarehouse, type CommonOptions, type SelectionOptions } from './context.js';
import { formatRows, type OutputFormat } from './output.js';

// compile, ls, show, debug: commands that read the project (and, for show and debug, the warehouse).

export async function compileCommand(opts: CommonOptions & SelectionOptions, log: Logger): Promise<number> {
  const t0 = Date.now();
  const ctx = await createContext(opts);
  const { manifest } = ctx.compiled;
  const selected = select(ctx, opts, ['model', 'test', 'seed', 'snapshot'], log);
  const nodes = [...selected].map((id) => manifest.nodes.get(id)!);
  writeManifest(ctx.targetDir, manifest, randomUUID(), ctx.targetName);
  writeCompiled(ctx.targetDir, manifest, nodes);
  const rel = path.relative(process.cwd(), path.join(ctx.targetDir, 'compiled', manifest.project_name)) || '.';
  log.info(`Compiled ${nodes.length} nodes to ${rel}/ in ${((Date.now() - t0) / 1000).toFixed(2)}s`);
  return 0;
}

const LS_TYPES: ResourceType[] = ['model', 'test', 'seed', 'snapshot', 'source'];

export async function lsCommand(opts: CommonOptions & SelectionOptions & { resourceType?: string[]; output?: string }, out: (s: string) => void, log: Logger): Promise<number> {
  const types = (opts.resourceType ?? LS_TYPES) as ResourceType[];
  for (const t of types) {
    if (!LS_TYPES.includes(t)) throw new SparkifyError(`unknown resource type '${t}'`, { hint: `Use one of: ${LS_TYPES.join(', ')}.` });
  }
  const ctx = await createContext(opts);
  const { manifest } = ctx.compiled;
  const selected = select(ctx, opts, types, log);
  const nodes = ctx.compiled.order.filter((id) => selected.has(id)).map((id) => manifest.nodes.get(id)!);
  const format = opts.output ?? 'selector';
  for (const n of nodes) {
    if (format === 'json') out(JSON.stringify({ name: n.name, resource_type: n.resource_type, unique_id: n.unique_id, original_file_path: n.original_file_path, config: n.config, depends_on: n.depends_on.nodes }));
    else if (format === 'path') out(n.original_file_path);
    else if (format === 'name') out(n.name);
    else out(n.resource_type === 'source' ? `source:${n.fqn.join('.')}` : n.fqn.join('.'));
  }
  return 0;
}

export interface ShowOptions extends CommonOptions {
  inline?: string;
  select?: string[];
  output?: string;
  limit?: string;
}

export async function showCommand(opts: ShowOptions, out: (s: string) => void, log: Logger): Promise<number> {
  const format = (opts.output ?? 'table') as OutputFormat;
  if (!['table', 'json', 'csv'].includes(format)) throw new SparkifyError(`unknown --output '${format}'`, { hint: 'Use table, json or csv.' });
  if (!opts.inline && !opts.select?.length) throw new SparkifyError('show needs --inline "<sql>" or --select <model>', { hint: 'sparkify show --inline "select count(*) from fct_songplays"' });
  const limit = opts.limit === undefined ? (format === 'table' ? 10 : undefined) : Number(opts.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new SparkifyError(`--limit must be a whole number, not '${opts.limit}'`);
  const ctx = await createContext(opts);
  let sql: string;
  if (opts.inline) {
    // Inline SQL may use {{ref "model"}} like a model does.
    sql = resolveSql(ctx.compiled.manifest, { name: 'inline', original_file_path: '--inline' }, ctx.engine.render('--inline', opts.inline).sql, ctx.dialect);
  } else {
    const selected = select(ctx, { select: opts.select }, ['model', 'seed', 'snapshot'], log);
    const node = [...selected].map((id) => ctx.compiled.manifest.nodes.get(id)!)[0];
    if (!node?.relation) throw new SparkifyError(`show --select ${opts.select!.join(' ')} matched no model`);
    sql = `select * from ${ctx.dialect.relation(node.relation)}`;
  }
  sql = sql.trim().replace(/;\s*$/, '');
  const query = limit === undefined ? sql : `select * from (\n${sql}\n) as sparkify_show limit ${limit}`;
  // driver.show, not query: values as the warehouse holds them, whatever the target and this machine's TZ.
  out(formatRows(await withWarehouse(ctx, (wh) => wh.driver.show(query)), format));
  return 0;
}

export async function debugCommand(opts: CommonOptions, log: Logger): Promise<number> {
  const ctx = await createContext(opts);
  log.info(`sparkify 0.1.0, Node.js ${process.version}`);
  log.info(`project: ${ctx.project.config.name} at ${ctx.project.dir}`);
  log.info(`target: ${ctx.targetName}`);
  for (const [k, v] of Object.entries(ctx.target)) log.info(`  ${k}: ${/pass|secret|token|key|role/i.test(k) ? '****' : String(v)}`);
  log.info(`data_path: ${ctx.dataPath}`);
  const t0 = Date.now();
  const version = await withWarehouse(ctx, async (wh) => {
    const r = await wh.driver.query('select version() as v');
    return `${String(r.rows[0]?.v).split(',')[0]} (${wh.description})`;
  });
  log.info(`connection: OK in ${((Date.now() - t0) / 1000).toFixed(2)}s — ${version}`);
  return 0;
}
