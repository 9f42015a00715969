// dbt's node selection language: `--select` / `--exclude` criteria, graph operators and set operators.
//
// Grammar of one CLI argument (dbt's): criteria separated by spaces are a union; criteria joined by
// commas (no spaces) are an intersection. One criterion is
//   [@][n+][method[.arg...]:]value[+n]
// A bare value is the `path` method when it contains a slash, otherwise the `fqn` method.
//
// Semantics follow dbt-core's NodeSelector: each criterion is resolved on the graph of enabled nodes,
// expanded by its graph operators and then (eager indirect selection) by the tests that depend on any
// node it selected; criteria are intersected, tokens unioned; exclude is resolved the same way, always
// eagerly, and subtracted; finally the result is filtered by resource type.

import picomatch from 'picomatch';
import { SparkifyError, didYouMean } from '../core/errors.js';
import type { Manifest, Node, ResourceType } from './types.js';

export class SelectorError extends SparkifyError {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export interface SelectOptions {
  /** Each element is one CLI argument; it may itself contain spaces (`"a b"` == `a b`). */
  select?: string[];
  exclude?: string[];
  /** Keep only these in the result. Default: every type except 'source'. */
  resourceTypes?: ResourceType[];
  /** dbt "eager" indirect selection (default true): select a test when any node it depends on is selected. */
  indirectTests?: boolean;
  /** For `state:`: checksum of each node as last built successfully (unique_id -> checksum). */
  state?: ReadonlyMap<string, string>;
}

export interface Selection {
  selected: Set<string>;
  warnings: string[];
}

const RESOURCE_TYPES: readonly ResourceType[] = ['model', 'test', 'seed', 'source', 'snapshot'];
const DEFAULT_RESOURCE_TYPES: readonly ResourceType[] = ['model', 'test', 'seed', 'snapshot'];

// ---------------------------------------------------------------------------------------------
// Parsing

interface Criterion {
  raw: string;
  method: MethodName;
  /** Dotted method arguments: `config.materialized` -> ['materialized']. */
  args: string[];
  value: string;
  /** No method was written (`dim_users`, `models/marts`). */
  bare: boolean;
  childrensParents: boolean;
  parents: boolean;
  parentsDepth?: number;
  children: boolean;
  childrenDepth?: number;
  matches: (node: Node) => boolean;
}

const SPEC =
  /^(?<at>@)?(?<parents>(?<parentsDepth>\d*)\+)?(?:(?<method>[\w.]+):)?(?<value>.*?)(?<children>\+(?<childrenDepth>\d*))?$/s;

function parseCriterion(raw: string, ctx: MethodContext): Criterion {
  const g = SPEC.exec(raw)?.groups;
  if (!g) throw new SelectorError(`Invalid selector spec '${raw}'`);
  const value = g.value ?? '';
  if (value === '') {
    throw new SelectorError(`Invalid selector spec '${raw}': no search value (expected e.g. 'my_model', 'tag:nightly', '+my_model+')`);
  }
  const childrensParents = g.at !== undefined;
  const parents = g.parents !== undefined;
  const children = g.children !== undefined;
  if (childrensParents && (parents || children)) {
    throw new SelectorError(`Invalid selector spec '${raw}': the '@' operator cannot be combined with '+' (use '@${value}' or '+${value}+')`);
  }
  let method: MethodName;
  let args: string[] = [];
  const bare = g.method === undefined;
  if (bare) {
    method = /[/\\]/.test(value) ? 'path' : 'fqn';
  } else {
    const [name = '', ...rest] = g.method!.split('.');
    if (!isMethodName(name)) {
      throw new SelectorError(
        `Invalid selector spec '${raw}': '${name}' is not a valid method name. Valid methods: ${METHOD_NAMES.join(', ')}`,
      );
    }
    method = name;
    args = rest;
  }
  return {
    raw,
    method,
    args,
    value,
    bare,
    childrensParents,
    parents,
    parentsDepth: depth(g.parentsDepth),
    children,
    childrenDepth: depth(g.childrenDepth),
    matches: METHODS[method](value, args, raw, ctx),
  };
}

function depth(raw: string | undefined): number | undefined {
  return raw ? Number.parseInt(raw, 10) : undefined;
}

/** One CLI argument list -> union of intersections of criteria. Empty strings and extra spaces are ignored. */
function parseArgs(args: string[] | undefined, ctx: MethodContext): { raw: string; criteria: Criterion[] }[] {
  const tokens = (args ?? []).flatMap((a) => a.trim().split(/\s+/)).filter((t) => t !== '');
  return tokens.map((raw) => {
    const parts = raw.split(',');
    if (parts.some((p) => p === '')) {
      throw new SelectorError(
        `Invalid selector spec '${raw}': empty criterion in an intersection (join criteria with ',' and no spaces, e.g. 'tag:nightly,config.materialized:table')`,
      );
    }
    return { raw, criteria: parts.map((p) => parseCriterion(p, ctx)) };
  });
}

// ---------------------------------------------------------------------------------------------
// Methods. Each takes (value, dotted args, raw spec), validates them, and returns a node predicate.

interface MethodContext {
  state?: ReadonlyMap<string, string>;
}

type Matcher = (value: string, args: string[], raw: string, ctx: MethodContext) => (node: Node) => boolean;

/** dbt's fnmatch-style wildcards (`*`, `?`, `[abc]`); `*` also matches dots. */
function glob(text: string, pattern: string): boolean {
  return picomatch.isMatch(text, pattern, { dot: true });
}

const hasWildcard = (s: string): boolean => /[*?[\]]/.test(s);

/** dbt's is_selected_node: leaf name, or a dotted prefix of the fqn, with wildcards from the first wildcard part on. */
function fqnMatches(fqn: string[], selector: string): boolean {
  if (fqn.length === 0) return false;
  if (fqn[fqn.length - 1] === selector) return true;
  const flat = fqn.flatMap((s) => s.split('.'));
  const parts = selector.split('.');
  if (flat.length < parts.length) return false;
  for (let i = 0; i < parts.length; i++) {
    if (hasWildcard(parts[i]!)) return glob(flat.slice(i).join('.'), parts.slice(i).join('.'));
    if (flat[i] !== parts[i]) return false;
  }
  return true;
}

function pathMatches(file: string, selector: string): boolean {
  const sel = selector.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (sel === '' || sel === '.') return true;
  const segs = file.split('/');
  // The file itself, or any folder containing it.
  for (let i = segs.length; i > 0; i--) if (glob(segs.slice(0, i).join('/'), sel)) return true;
  return false;
}

function configValue(config: Record<string, unknown>, keys: string[]): { found: boolean; value?: unknown } {
  let value: unknown = config;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !(key in value)) return { found: false };
    value = (value as Record<string, unknown>)[key];
  }
  return { found: true, value };
}

function scalarEquals(value: unknown, selector: string, caseInsensitive: boolean): boolean {
  if (typeof value === 'boolean') return selector.toLowerCase() === String(value);
  if (typeof value === 'string' || typeof value === 'number') {
    return caseInsensitive ? String(value).toLowerCase() === selector.toLowerCase() : String(value) === selector;
  }
  return false;
}

function noArgs(method: string, args: string[], raw: string): void {
  if (args.length > 0) {
    throw new SelectorError(`Invalid selector spec '${raw}': method '${method}' takes no dotted arguments (only config.<key>: does)`);
  }
}

const METHODS = {
  fqn: (value, args, raw) => {
    noArgs('fqn', args, raw);
    const nameGlob = hasWildcard(value) && !value.includes('.');
    return (n) =>
      n.resource_type !== 'source' &&
      (fqnMatches(n.fqn, value) || fqnMatches(n.fqn.slice(1), value) || (nameGlob && glob(n.name, value)));
  },
  tag: (value, args, raw) => {
    noArgs('tag', args, raw);
    return (n) => (n.config.tags ?? []).some((t) => glob(t, value));
  },
  path: (value, args, raw) => {
    noArgs('path', args, raw);
    return (n) => pathMatches(n.original_file_path, value);
  },
  file: (value, args, raw) => {
    noArgs('file', args, raw);
    return (n) => glob(n.original_file_path.split('/').pop() ?? '', value);
  },
  package: (value, args, raw) => {
    noArgs('package', args, raw);
    return (n) => glob(n.package_name, value);
  },
  config: (value, args, raw) => {
    if (args.length === 0) {
      throw new SelectorError(`Invalid selector spec '${raw}': the config method needs a key, e.g. 'config.materialized:table'`);
    }
    const caseInsensitive = args.length === 1 && args[0] === 'severity';
    return (n) => {
      const { found, value: v } = configValue(n.config as unknown as Record<string, unknown>, args);
      if (!found) return false;
      return Array.isArray(v) ? v.some((x) => scalarEquals(x, value, caseInsensitive)) : scalarEquals(v, value, caseInsensitive);
    };
  },
  resource_type: (value, args, raw) => {
    noArgs('resource_type', args, raw);
    if (!(RESOURCE_TYPES as readonly string[]).includes(value)) {
      throw new SelectorError(`Invalid selector spec '${raw}': unknown resource_type '${value}'. Valid: ${RESOURCE_TYPES.join(', ')}`);
    }
    return (n) => n.resource_type === value;
  },
  source: (value, args, raw) => {
    noArgs('source', args, raw);
    const parts = value.split('.');
    if (parts.length > 3) {
      throw new SelectorError(
        `Invalid selector spec '${raw}': sources are selected as source:<source_name>, source:<source_name>.<table> or source:<package>.<source_name>.<table>`,
      );
    }
    const [pkg, src, table] = parts.length === 3 ? parts : ['*', parts[0]!, parts[1] ?? '*'];
    return (n) =>
      n.resource_type === 'source' &&
      glob(n.package_name, pkg!) &&
      glob(n.source_name ?? '', src!) &&
      glob(n.name, table!);
  },
  test_name: (value, args, raw) => {
    noArgs('test_name', args, raw);
    return (n) => n.resource_type === 'test' && n.test_metadata !== undefined && glob(n.test_metadata.name, value);
  },
  state: (value, args, raw, ctx) => {
    noArgs('state', args, raw);
    if (value !== 'modified' && value !== 'new') {
      throw new SelectorError(`Invalid selector spec '${raw}': state takes 'modified' (changed or new since the last successful build) or 'new'`);
    }
    const state = ctx.state ?? new Map<string, string>();
    return (n) =>
      n.resource_type !== 'source' && (value === 'new' ? !state.has(n.unique_id) : state.get(n.unique_id) !== n.checksum);
  },
  test_type: (value, args, raw) => {
    noArgs('test_type', args, raw);
    const kinds: Record<string, (n: Node) => boolean> = {
      generic: (n) => n.test_metadata !== undefined,
      schema: (n) => n.test_metadata !== undefined,
      singular: (n) => n.test_metadata === undefined,
      data: () => true,
    };
    const kind = kinds[value];
    if (!kind) {
      throw new SelectorError(`Invalid selector spec '${raw}': unknown test_type '${value}'. Valid: generic, singular, data (all data tests)`);
    }
    return (n) => n.resource_type === 'test' && kind(n);
  },
} satisfies Record<string, Matcher>;

type MethodName = keyof typeof METHODS;
const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
const isMethodName = (s: string): s is MethodName => Object.hasOwn(METHODS, s);

// ---------------------------------------------------------------------------------------------
// Graph

interface Graph {
  nodes: Map<string, Node>;
  parents: (id: string) => string[];
  children: (id: string) => string[];
}

/** The graph of enabled nodes only: disabled nodes are neither selectable nor walked through. */
function enabledGraph(manifest: Manifest): Graph {
  const nodes = new Map([...manifest.nodes].filter(([, n]) => n.config.enabled !== false));
  const edges = (map: Map<string, string[]>) => (id: string) => (map.get(id) ?? []).filter((x) => nodes.has(x));
  return { nodes, parents: edges(manifest.parent_map), children: edges(manifest.child_map) };
}

/** Nodes reachable from `start` within `maxDepth` steps (all when undefined), start nodes not included. */
function walk(start: Iterable<string>, next: (id: string) => string[], maxDepth?: number): Set<string> {
  const seen = new Set(start);
  const found = new Set<string>();
  let frontier = [...seen];
  for (let d = 0; frontier.length > 0 && (maxDepth === undefined || d < maxDepth); d++) {
    const upcoming: string[] = [];
    for (const id of frontier) {
      for (const x of next(id)) {
        found.add(x);
        if (!seen.has(x)) {
          seen.add(x);
          upcoming.push(x);
        }
      }
    }
    frontier = upcoming;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Selection

function resolveCriterion(graph: Graph, c: Criterion, eager: boolean): { direct: Set<string>; all: Set<string> } {
  const direct = new Set<string>();
  for (const [id, n] of graph.nodes) if (c.matches(n)) direct.add(id);
  const all = new Set(direct);
  const add = (ids: Iterable<string>) => {
    for (const id of ids) all.add(id);
  };
  if (c.childrensParents) {
    const family = new Set([...direct, ...walk(direct, graph.children)]);
    add(family);
    add(walk(family, graph.parents));
  }
  if (c.parents) add(walk(direct, graph.parents, c.parentsDepth));
  if (c.children) add(walk(direct, graph.children, c.childrenDepth));
  if (eager) {
    // Indirect selection: every test with at least one selected parent.
    for (const id of [...all]) {
      for (const child of graph.children(id)) if (graph.nodes.get(child)?.resource_type === 'test') all.add(child);
    }
  }
  return { direct, all };
}

function resolveArgs(graph: Graph, args: string[] | undefined, eager: boolean, warnings: string[], ctx: MethodContext): Set<string> {
  const result = new Set<string>();
  for (const token of parseArgs(args, ctx)) {
    let acc: Set<string> | undefined;
    const unmatchedNames: string[] = [];
    for (const c of token.criteria) {
      const { direct, all } = resolveCriterion(graph, c, eager);
      if (direct.size === 0 && c.bare && c.method === 'fqn' && !hasWildcard(c.value)) unmatchedNames.push(c.value);
      acc = acc ? new Set([...acc].filter((id) => all.has(id))) : all;
    }
    if (!acc || acc.size === 0) {
      const names = new Set([...graph.nodes.values()].filter((n) => n.resource_type !== 'source').map((n) => n.name));
      const hints = unmatchedNames.map((v) => didYouMean(v, names)).filter((h) => h !== '');
      const warning = [`The selection criterion '${token.raw}' does not match any enabled nodes`, ...hints].join('. ');
      if (!warnings.includes(warning)) warnings.push(warning);
      continue;
    }
    for (const id of acc) result.add(id);
  }
  return result;
}

export function selectNodes(manifest: Manifest, opts: SelectOptions): Selection {
  // Parse everything first so that a syntax error is reported whatever the manifest holds.
  const ctx: MethodContext = opts.state ? { state: opts.state } : {};
  const hasSelect = parseArgs(opts.select, ctx).length > 0;
  parseArgs(opts.exclude, ctx);

  const graph = enabledGraph(manifest);
  const warnings: string[] = [];
  const included = hasSelect
    ? resolveArgs(graph, opts.select, opts.indirectTests ?? true, warnings, ctx)
    : new Set(graph.nodes.keys());
  // dbt always resolves --exclude with eager indirect selection: tests of excluded nodes go too.
  const excluded = resolveArgs(graph, opts.exclude, true, warnings, ctx);
  const types = new Set<ResourceType>(opts.resourceTypes ?? DEFAULT_RESOURCE_TYPES);

  const selected = new Set<string>();
  for (const id of included) {
    if (!excluded.has(id) && types.has(graph.nodes.get(id)!.resource_type)) selected.add(id);
  }
  return { selected, warnings };
}
