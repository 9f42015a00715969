import { SparkifyError, didYouMean } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';
import type { NodeConfig } from '../graph/types.js';
import { CONFIG_KEYS, MISPLACED, NOT_YET, SNAPSHOT_META_COLUMNS, canonicalKey, isConfigName, type KeySpec, type ResourceKind, type ValueSpec } from './config-keys.js';

/** One layer of config (project.yml, a schema YAML, the file's own {{config}}) and where each key was written. */
export interface ConfigLayer {
  values: Record<string, unknown>;
  /** Where the key `raw` (as written, with any '+') stands. */
  locate: (raw: string) => SourceLocation;
}

export interface ResolvedConfig {
  config: NodeConfig;
  errors: SparkifyError[];
  /** For keys whose layers append (hooks): where each item of the value was written, in order. */
  itemLocations: Map<string, SourceLocation[]>;
}

const DEFAULTS: Record<ResourceKind, () => NodeConfig> = {
  model: () => ({ materialized: 'view', tags: [], enabled: true }),
  seed: () => ({ materialized: 'seed', tags: [], enabled: true }),
  // dbt's test defaults, written into the manifest as dbt writes them.
  test: () => ({ materialized: 'test', tags: [], enabled: true, severity: 'error', warn_if: '!=0', error_if: '!=0', fail_calc: 'count(*)' }),
  snapshot: () => ({ materialized: 'snapshot', tags: [], enabled: true }),
};

/**
 * Merge config layers, later ones winning as in dbt (tags accumulate, dicts merge key by key), checking every
 * key and value: a key that is not config for this node, a value of the wrong type, a value or combination
 * the engine does not build, is an error at the line that wrote it. All problems are returned, not only the first.
 */
export function resolveConfig(kind: ResourceKind, layers: ConfigLayer[], origin?: SourceLocation): ResolvedConfig {
  const config = DEFAULTS[kind]();
  const errors: SparkifyError[] = [];
  const setAt = new Map<string, SourceLocation>();
  const itemLocations = new Map<string, SourceLocation[]>();
  /** Keys written with a value refused: a rule about the key missing would only repeat their error. */
  const refused = new Set<string>();
  const bag = config as unknown as Record<string, unknown>;
  for (const layer of layers) {
    for (const [raw, value] of Object.entries(layer.values)) {
      const key = canonicalKey(raw);
      const location = layer.locate(raw);
      const spec = CONFIG_KEYS[key];
      if (!spec || !spec.applies.kinds.includes(kind)) {
        errors.push(unknownKey(key, kind, location));
        continue;
      }
      const checked = checkValue(key, spec.value, value, location);
      if (checked instanceof SparkifyError) {
        errors.push(checked);
        refused.add(key);
        continue;
      }
      if (checked === undefined) continue; // `key: null` in YAML: as if unset
      bag[key] = combine(spec, bag[key], checked);
      setAt.set(key, location);
      if (spec.combine === 'append') itemLocations.set(key, [...(itemLocations.get(key) ?? []), ...(checked as unknown[]).map(() => location)]);
    }
  }
  // Keys that mean something only for some materializations.
  if (kind === 'model') {
    for (const [key, location] of setAt) {
      const only = CONFIG_KEYS[key]!.applies.materializations;
      if (only && !(only as readonly string[]).includes(config.materialized)) {
        const m = setAt.get('materialized');
        errors.push(
          new SparkifyError(`'${key}' applies to ${listing(only)} models; this one is ${config.materialized === 'view' && !m ? 'a view (the default)' : `${article(config.materialized)} ${config.materialized}`}`, {
            location,
            hint: m ? `materialized is set at ${m.file}:${m.line}. Remove '${key}', or change the materialization.` : `Remove '${key}', or set materialized="${only[0]}".`,
          }),
        );
      }
    }
  }
  errors.push(...combinations(config, setAt));
  if (kind === 'snapshot') errors.push(...snapshotRules(config, (k) => setAt.get(k), origin, refused));
  return { config, errors, itemLocations };
}

/** 'a', 'a and b', 'a, b and c' */
function listing(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function combine(spec: KeySpec, old: unknown, value: unknown): unknown {
  if (spec.combine === 'union') return [...new Set([...((old as string[] | undefined) ?? []), ...(value as string[])])];
  if (spec.combine === 'grants') {
    const out: Record<string, string[]> = { ...((old as Record<string, string[]> | undefined) ?? {}) };
    for (const [k, grantees] of Object.entries(value as Record<string, string[]>)) {
      const privilege = k.replace(/^\+/, '');
      out[privilege] = k.startsWith('+') ? [...new Set([...(out[privilege] ?? []), ...grantees])] : grantees;
    }
    return out;
  }
  if (spec.combine === 'append') return [...((old as unknown[] | undefined) ?? []), ...(value as unknown[])];
  if (spec.combine === 'merge') return { ...((old as Record<string, unknown> | undefined) ?? {}), ...(value as Record<string, unknown>) };
  return value;
}

/** Rules between keys, checked once every layer is merged. */
function combinations(c: NodeConfig, setAt: Map<string, SourceLocation>): SparkifyError[] {
  const out: SparkifyError[] = [];
  const at = (k: string): SourceLocation | undefined => setAt.get(k);
  if (c.materialized === 'copy') {
    if (!c.from && !c.manifest) {
      out.push(new SparkifyError("a copy model needs 'from' (a prefix of the files to load) or 'manifest'", {
        ...(at('materialized') ? { location: at('materialized')! } : {}),
        hint: 'Add {{config materialized="copy" from="log_data"}} (a prefix) or manifest="manifests/x.manifest"; paths are relative to the data_path var.',
      }));
    }
    if (c.from && c.manifest) {
      out.push(new SparkifyError("a copy model sets both 'from' and 'manifest'", {
        location: at('manifest')!,
        hint: 'A load reads every file under a prefix (from) or exactly the files a manifest lists (manifest): keep one.',
      }));
    }
  }
  if (c.materialized === 'incremental') out.push(...strategyRules(c, at));
  if (c.fail_calc !== undefined && !c.fail_calc.trim()) {
    out.push(new SparkifyError('fail_calc is empty: it is the SQL expression that counts failures, e.g. count(*) or sum(n_records)', { location: at('fail_calc')! }));
  }
  return out;
}

/** An incremental strategy and the keys that go with it. */
function strategyRules(c: NodeConfig, at: (k: string) => SourceLocation | undefined): SparkifyError[] {
  const out: SparkifyError[] = [];
  const s = c.incremental_strategy;
  if (s === 'microbatch') {
    for (const k of ['event_time', 'batch_size', 'begin'] as const) {
      if (c[k] === undefined) {
        out.push(new SparkifyError(`incremental_strategy 'microbatch' needs ${k}`, {
          location: at('incremental_strategy')!,
          hint: { event_time: 'Name the column that places a row in a batch: event_time="start_time".', batch_size: 'Say how big a batch is: batch_size="day" (hour, day, month or year).', begin: 'Say where history starts: begin="2018-11-01".' }[k],
        }));
      }
    }
    if (c.begin !== undefined && !/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(c.begin)) {
      out.push(new SparkifyError(`begin '${c.begin}' is not a date or timestamp`, { location: at('begin')!, hint: 'Write it as 2018-11-01 or 2018-11-01 06:00:00.' }));
    }
    if (c.unique_key?.length) out.push(new SparkifyError("unique_key does nothing with incremental_strategy 'microbatch', which replaces whole batches by event_time", { location: at('unique_key')!, hint: 'Remove unique_key.' }));
  }
  for (const k of ['batch_size', 'lookback', 'begin'] as const) {
    if (c[k] !== undefined && s !== 'microbatch') {
      out.push(new SparkifyError(`'${k}' applies to incremental_strategy 'microbatch'`, { location: at(k)!, hint: `Remove '${k}', or set incremental_strategy="microbatch".` }));
    }
  }
  if ((s === 'delete+insert' || s === 'merge') && !c.unique_key?.length) {
    out.push(new SparkifyError(`incremental_strategy '${s}' needs unique_key (${s === 'merge' ? 'the rows to update' : 'the rows to replace'})`, {
      location: at('incremental_strategy')!,
      hint: 'Add unique_key="id" (or unique_key=(list "a" "b")), or use incremental_strategy="append".',
    }));
  }
  if (s === 'append' && c.unique_key?.length) {
    out.push(new SparkifyError("unique_key does nothing with incremental_strategy 'append', which inserts every new row", {
      location: at('unique_key')!,
      hint: 'Remove unique_key, or use incremental_strategy="delete+insert" or "merge" to replace rows by key.',
    }));
  }
  for (const k of ['merge_update_columns', 'merge_exclude_columns'] as const) {
    if (c[k] !== undefined && s !== 'merge') {
      out.push(new SparkifyError(`'${k}' applies to incremental_strategy 'merge'; this model's is '${s ?? (c.unique_key?.length ? 'delete+insert' : 'append')}'${s ? '' : ' (the default)'}`, {
        location: at(k)!,
        hint: `Remove '${k}', or set incremental_strategy="merge".`,
      }));
    }
  }
  if (c.merge_update_columns !== undefined && c.merge_exclude_columns !== undefined) {
    out.push(new SparkifyError('merge_update_columns and merge_exclude_columns cannot both be set', {
      location: at('merge_exclude_columns')!,
      hint: 'List the columns to update, or the ones to leave alone: one of the two.',
    }));
  }
  return out;
}

/** What can be granted on a table or view in Postgres and Redshift. */
const PRIVILEGES = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger'];
const NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * dbt's snapshot config: a strategy, its keys, and the unique key, all required; `origin` is where the
 * snapshot is declared, for a key that is missing altogether.
 */
function snapshotRules(c: NodeConfig, at: (k: string) => SourceLocation | undefined, origin: SourceLocation | undefined, refused: Set<string>): SparkifyError[] {
  const out: SparkifyError[] = [];
  const here = (...keys: string[]): { location: SourceLocation } | Record<string, never> => {
    const l = keys.map(at).find(Boolean) ?? origin;
    return l ? { location: l } : {};
  };
  if (!c.unique_key?.length && !refused.has('unique_key')) {
    out.push(new SparkifyError('a snapshot needs unique_key: the column (or columns) that identify a row of what it records', {
      ...here('strategy'),
      hint: 'Add unique_key: id (or unique_key: [a, b]) to its config.',
    }));
  }
  for (const k of c.unique_key ?? []) {
    if (!NAME.test(k)) {
      out.push(new SparkifyError(`unique_key '${k}' is not a column name`, {
        ...here('unique_key'),
        hint: "Sparkify's snapshots take column names: compute the key as a column of the snapshot's select (select a || '-' || b as key, ...).",
      }));
    }
  }
  if (!c.strategy) {
    if (!refused.has('strategy')) out.push(new SparkifyError('a snapshot needs a strategy: timestamp (with updated_at) or check (with check_cols)', {
      ...here('unique_key'),
      hint: 'Add strategy: timestamp and updated_at: <column>, or strategy: check and check_cols: [a, b] (or all).',
    }));
  } else if (c.strategy === 'timestamp') {
    if (!c.updated_at) {
      out.push(new SparkifyError("strategy 'timestamp' needs updated_at: the column that says when a row last changed", {
        ...here('strategy'),
        hint: "Add updated_at: <column>, or use strategy: check with check_cols.",
      }));
    }
    if (c.check_cols !== undefined) {
      out.push(new SparkifyError("'check_cols' applies to strategy 'check'; this snapshot's is 'timestamp'", {
        ...here('check_cols'),
        hint: "Remove check_cols (timestamp compares updated_at), or set strategy: check.",
      }));
    }
  } else if (!refused.has('check_cols') && (c.check_cols === undefined || (Array.isArray(c.check_cols) && !c.check_cols.length))) {
    out.push(new SparkifyError("strategy 'check' needs check_cols: the columns whose change makes a new version (or all)", {
      ...here('strategy'),
      hint: 'Add check_cols: [status, amount] or check_cols: all.',
    }));
  }
  for (const k of ['updated_at', ...(Array.isArray(c.check_cols) ? c.check_cols : [])]) {
    const v = k === 'updated_at' ? c.updated_at : k;
    if (v !== undefined && !NAME.test(v)) {
      out.push(new SparkifyError(`${k === 'updated_at' ? 'updated_at' : 'check_cols'} names '${v}', which is not a column name`, {
        ...here(k === 'updated_at' ? 'updated_at' : 'check_cols'),
        hint: "Name a column of the snapshot's select (compute it there if it is an expression).",
      }));
    }
  }
  if (c.invalidate_hard_deletes !== undefined) {
    if (c.hard_deletes !== undefined) {
      out.push(new SparkifyError('invalidate_hard_deletes and hard_deletes are both set', {
        ...here('invalidate_hard_deletes'),
        hint: 'invalidate_hard_deletes is the legacy spelling of hard_deletes: invalidate; keep hard_deletes.',
      }));
    } else if (c.invalidate_hard_deletes) c.hard_deletes = 'invalidate';
  }
  const names = c.snapshot_meta_column_names ?? {};
  const seen = new Map<string, string>();
  for (const [k, v] of Object.entries(names)) {
    if (!(SNAPSHOT_META_COLUMNS as readonly string[]).includes(k)) {
      out.push(new SparkifyError(`snapshot_meta_column_names has '${k}', which is not a snapshot meta column`, {
        ...here('snapshot_meta_column_names'),
        hint: `${didYouMean(k, SNAPSHOT_META_COLUMNS)} The meta columns: ${SNAPSHOT_META_COLUMNS.join(', ')}.`.trim(),
      }));
    } else if (!NAME.test(v)) {
      out.push(new SparkifyError(`snapshot_meta_column_names names ${k} '${v}', which is not a column name`, { ...here('snapshot_meta_column_names') }));
    } else if (seen.has(v.toLowerCase())) {
      out.push(new SparkifyError(`snapshot_meta_column_names gives ${seen.get(v.toLowerCase())} and ${k} the same name '${v}'`, { ...here('snapshot_meta_column_names') }));
    }
    seen.set(v.toLowerCase(), k);
  }
  return out;
}

function unknownKey(key: string, kind: ResourceKind, location: SourceLocation): SparkifyError {
  const misplaced = MISPLACED[key];
  if (misplaced) return new SparkifyError(`'${key}' is not ${kind} config: ${misplaced}`, { location });
  const later = NOT_YET[key];
  if (later) return new SparkifyError(`'${key}' is dbt config that sparkify does not support yet: ${later}`, { location, hint: `Remove '${key}'.` });
  const valid = Object.keys(CONFIG_KEYS).filter((k) => CONFIG_KEYS[k]!.applies.kinds.includes(kind));
  const elsewhere = CONFIG_KEYS[key] ? ` ('${key}' is config for ${CONFIG_KEYS[key]!.applies.kinds.join(' and ')}s only)` : '';
  return new SparkifyError(`unknown config key '${key}' for a ${kind}${elsewhere}`, {
    location,
    hint: `${didYouMean(key, valid) || `Accepted keys: ${valid.sort().join(', ')}.`}`,
  });
}

/** The value as the engine stores it, or an error saying what is expected. */
function checkValue(key: string, spec: ValueSpec, value: unknown, location: SourceLocation): unknown {
  if (value === null || value === undefined) return undefined;
  const bad = (expected: string, hint?: string): SparkifyError =>
    new SparkifyError(`config '${key}' must be ${expected}, not ${describe(value)}`, { location, ...(hint ? { hint } : {}) });
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? value : bad('a string');
    case 'bool':
      return typeof value === 'boolean' ? value : bad('true or false', typeof value === 'string' ? `Write ${key}=${/^(false|no|0|off)$/i.test(value) ? 'false' : 'true'} without quotes.` : undefined);
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.min ? value : bad(`a whole number ≥ ${spec.min}`);
    case 'enum': {
      if (typeof value !== 'string') return bad(`one of ${spec.values.map((v) => `'${v}'`).join(', ')}`);
      const v = value.toLowerCase();
      if (spec.values.includes(v)) return v;
      const later = spec.later?.[v];
      if (later) return new SparkifyError(`${key} '${value}' is not supported yet: ${later}`, { location });
      return new SparkifyError(`unknown ${key} '${value}'`, {
        location,
        hint: `Use one of: ${spec.values.join(', ')}. ${didYouMean(v, [...spec.values, ...Object.keys(spec.later ?? {})])}`,
      });
    }
    case 'list':
      if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value];
      return bad('a name or a list of names', 'In a model: unique_key="id" or unique_key=(list "id" "ts"); in YAML: [id, ts].');
    case 'dict':
      if (isRecord(value) && Object.values(value).every((v) => typeof v === 'string')) return { ...value };
      return bad('a mapping of names to strings', 'For example column_types: {id: integer, signup: date}');
    case 'record':
      return isRecord(value) ? value : bad('a mapping');
    case 'bool-or-char':
      if (typeof value === 'boolean') return value;
      return typeof value === 'string' && value.length === 1 ? value : bad('true, false or a single character');
    case 'char':
      return typeof value === 'string' && value.length === 1 ? value : bad('a single character');
    case 'grants': {
      if (!isRecord(value)) return bad('a mapping of privileges to grantees', 'For example grants: {select: [reporter, bi]}');
      const out: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(value)) {
        const privilege = k.replace(/^\+/, '').toLowerCase();
        if (!PRIVILEGES.includes(privilege)) {
          return new SparkifyError(`grants: '${k}' is not a table privilege`, { location, hint: `Use one of: ${PRIVILEGES.join(', ')}. ${didYouMean(privilege, PRIVILEGES)}` });
        }
        const grantees = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((g) => typeof g === 'string') ? v : undefined;
        if (!grantees) return bad('a mapping of privileges to a grantee or a list of grantees', 'For example grants: {select: [reporter, bi]}');
        out[k.startsWith('+') ? `+${privilege}` : privilege] = grantees.map((g) => g.trim()).filter(Boolean);
      }
      return out;
    }
    case 'flags': {
      if (!isRecord(value)) return bad(`a mapping of ${spec.names.join(' / ')} to true or false`, `For example ${key}: {${spec.names.map((n) => `${n}: true`).join(', ')}}`);
      for (const [k, v] of Object.entries(value)) {
        if (!spec.names.includes(k)) return new SparkifyError(`unknown ${key} key '${k}'`, { location, hint: `Use ${spec.names.join(' or ')}. ${didYouMean(k, spec.names)}` });
        if (typeof v !== 'boolean') return bad(`true or false for '${k}'`);
      }
      return { ...value };
    }
    case 'hooks': {
      const one = (v: unknown): { sql: string; transaction: boolean } | undefined => {
        if (typeof v === 'string') return { sql: v, transaction: true };
        if (isRecord(v) && typeof v.sql === 'string' && Object.keys(v).every((k) => k === 'sql' || k === 'transaction') && (v.transaction === undefined || typeof v.transaction === 'boolean')) {
          return { sql: v.sql, transaction: v.transaction ?? true };
        }
        return undefined;
      };
      const items = (Array.isArray(value) ? value : [value]).map(one);
      if (items.every((i) => i !== undefined)) return items;
      return bad('SQL, {sql: ..., transaction: true|false}, or a list of them', `For example ${key}="grant select on {{this}} to reporter", or in YAML a list of statements.`);
    }
    case 'comparison': {
      const hint = `A threshold compares the failure count with a number, as in dbt: '>10', '>=1', '!=0', '=0', '<5', 'between 5 and 10'.`;
      if (typeof value !== 'string' && typeof value !== 'number') return bad('a comparison such as ">10" or "!=0"', hint);
      const v = String(value).trim();
      if (/^(=|!=|<>|<=|>=|<|>)\s*-?\d+(\.\d+)?$/.test(v) || /^(not\s+)?between\s+-?\d+(\.\d+)?\s+and\s+-?\d+(\.\d+)?$/i.test(v)) return v;
      return new SparkifyError(`config '${key}' is not a comparison: ${describe(value)}`, { location, hint: /^==/.test(v) ? `SQL compares with =: write '${v.slice(1)}'.` : hint });
    }
    case 'cols':
      if (typeof value === 'string' && value.trim().toLowerCase() === 'all') return 'all';
      return checkValue(key, { kind: 'list' }, value, location);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (isRecord(v)) return 'a mapping';
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A resource as project.yml's `models:`/`seeds:`/`tests:` trees address it: its fqn after the project name. */
export interface TreeResource {
  id: string;
  /** Folders, then the resource's own name. */
  path: string[];
}

/**
 * dbt's resource-path config: under `models:` (and `seeds:`, `tests:`), the project's name, then folders, then
 * optionally a resource's own name; `+key: value` (or a bare known config key) applies to everything below.
 * Returns each resource's layers, general to specific, and an error for every key that names neither a
 * config key, a folder, nor a resource, with the nearest names.
 */
export function treeLayers(
  tree: Record<string, unknown>,
  section: 'models' | 'seeds' | 'tests' | 'snapshots',
  projectName: string,
  resources: TreeResource[],
  locate: (path: (string | number)[]) => SourceLocation,
): { layers: Map<string, ConfigLayer[]>; errors: SparkifyError[] } {
  const layers = new Map<string, ConfigLayer[]>(resources.map((r) => [r.id, []]));
  const errors: SparkifyError[] = [];

  const walk = (level: Record<string, unknown>, yamlPath: string[], depth: number, under: TreeResource[]): void => {
    const values: Record<string, unknown> = {};
    const children = new Map<string, TreeResource[]>();
    for (const r of under) {
      const seg = r.path[depth];
      if (seg === undefined) continue;
      const list = children.get(seg);
      if (list) list.push(r);
      else children.set(seg, [r]);
    }
    // This level's own config first: layers go general to specific.
    for (const [key, value] of Object.entries(level)) if (key.startsWith('+') || isConfigName(key)) values[key] = value;
    if (Object.keys(values).length) {
      const at = yamlPath;
      const layer: ConfigLayer = { values, locate: (raw) => locate([...at, raw]) };
      for (const r of under) layers.get(r.id)!.push(layer);
    }
    for (const [key, value] of Object.entries(level)) {
      if (key.startsWith('+') || isConfigName(key)) continue;
      const next = children.get(key);
      if (!next) {
        const here = [section, ...yamlPath].join('.');
        errors.push(new SparkifyError(`'${key}' under ${here} names no folder or ${section.slice(0, -1)}, and is not a config key`, {
          location: locate([...yamlPath, key]),
          hint: `${didYouMean(key, [...children.keys(), ...Object.keys(CONFIG_KEYS).map((k) => `+${k}`)]) || (children.size ? `Below ${here}: ${[...children.keys()].sort().join(', ')}.` : `There is nothing below ${here}.`)} Config keys start with '+' (e.g. +materialized: table).`,
        }));
        continue;
      }
      if (!isRecord(value)) {
        if (value === null) continue; // an empty folder entry
        errors.push(new SparkifyError(`'${key}' under ${[section, ...yamlPath].join('.')} is a folder or ${section.slice(0, -1)}: its config goes below it`, {
          location: locate([...yamlPath, key]),
          hint: `${key}:\n      +materialized: table`,
        }));
        continue;
      }
      walk(value, [...yamlPath, key], depth + 1, next);
    }
  };

  // The project's own name is the first level, as dbt writes it; a tree without it addresses folders directly.
  if (isRecord(tree[projectName])) {
    const top: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) {
      if (key === projectName) continue;
      if (key.startsWith('+') || isConfigName(key)) top[key] = value;
      else {
        errors.push(new SparkifyError(`'${key}' under ${section} is not this project's name`, {
          location: locate([key]),
          hint: `Config for this project goes under ${section}: ${projectName}:. ${didYouMean(key, [projectName])}`,
        }));
      }
    }
    if (Object.keys(top).length) {
      const layer: ConfigLayer = { values: top, locate: (raw) => locate([raw]) };
      for (const r of resources) layers.get(r.id)!.push(layer);
    }
    walk(tree[projectName], [projectName], 0, resources);
  } else {
    walk(tree, [], 0, resources);
  }
  return { layers, errors };
}
