import { SparkifyError, didYouMean } from '../core/errors.js';
import type { Materialization, NodeConfig } from '../graph/types.js';
import type { SourceLocation } from '../core/location.js';

/** Config keys each materialization understands, beyond the common ones. */
const materializationKeys: Record<Materialization, readonly string[]> = {
  view: [],
  table: [],
  incremental: ['unique_key', 'incremental_strategy'],
  ephemeral: [],
  copy: [
    'from', 'format', 'timeformat', 'blanksasnull', 'emptyasnull', 'truncatecolumns',
    'acceptinvchars', 'maxerror', 'gzip', 'ignoreheader', 'manifest', 'region',
  ],
  seed: ['column_types', 'delimiter'],
  test: ['severity', 'where', 'limit', 'store_failures'],
};

const commonKeys = [
  'materialized', 'tags', 'enabled', 'schema', 'alias', 'dist', 'sort', 'sort_type', 'unique_key', 'full_refresh',
  'description', 'severity',
];

/** Keys people put in model config that belong elsewhere, and where. */
const MISPLACED: Record<string, string> = {
  // Model config is written to target/manifest.json: a role ARN must not be.
  iam_role: 'set iam_role in the redshift target of project.yml (e.g. from an environment variable); model config is written to target/manifest.json',
};

const materializations = Object.keys(materializationKeys) as Materialization[];

/** One layer of config and where it was written, for errors. */
export interface ConfigLayer {
  values: Record<string, unknown>;
  location: SourceLocation;
}

/**
 * Merge config layers (folder config from project.yml, the schema YAML, the model's own {{config}}), later
 * layers winning; tags accumulate, as in dbt. Every key is checked against what the materialization accepts.
 */
export function mergeConfig(defaults: Partial<NodeConfig>, layers: ConfigLayer[]): NodeConfig {
  const config: NodeConfig = { materialized: 'view', tags: [], enabled: true, ...defaults };
  for (const layer of layers) {
    for (const [rawKey, value] of Object.entries(layer.values)) {
      const key = rawKey.replace(/^\+/, '');
      if (key === 'tags') config.tags = [...new Set([...config.tags, ...toList(value)])];
      else if (key === 'enabled') config.enabled = toBool(value);
      else config[key] = value;
    }
  }
  const where = (key: string): SourceLocation =>
    [...layers].reverse().find((l) => key in l.values || `+${key}` in l.values)?.location ?? layers[0]!.location;

  if (!materializations.includes(config.materialized)) {
    throw new SparkifyError(`unknown materialization '${String(config.materialized)}'`, {
      location: where('materialized'),
      hint: `Use one of: ${materializations.filter((m) => m !== 'test').join(', ')}. ${didYouMean(String(config.materialized), materializations)}`,
    });
  }
  const allowed = new Set([...commonKeys, ...materializationKeys[config.materialized]]);
  for (const layer of layers) {
    for (const rawKey of Object.keys(layer.values)) {
      const key = rawKey.replace(/^\+/, '');
      if (!allowed.has(key)) {
        const misplaced = MISPLACED[key];
        if (misplaced) throw new SparkifyError(`'${key}' is not model config: ${misplaced}`, { location: layer.location });
        throw new SparkifyError(`unknown config key '${key}' for a ${config.materialized} node`, {
          location: layer.location,
          hint: `Accepted keys: ${[...allowed].sort().join(', ')}. ${didYouMean(key, allowed)}`,
        });
      }
    }
  }
  if (config.sort !== undefined) config.sort = toList(config.sort);
  if (config.severity !== undefined && config.severity !== 'error' && config.severity !== 'warn') {
    throw new SparkifyError(`severity must be 'error' or 'warn', not '${String(config.severity)}'`, { location: where('severity') });
  }
  return config;
}

/** 'a,b' or 'a b' or ['a','b'] -> ['a','b'] */
export function toList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (v === undefined || v === null || v === '') return [];
  return String(v).split(/[\s,]+/).filter(Boolean);
}

export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return !['false', '0', 'no', 'off', ''].includes(String(v).toLowerCase());
}

/**
 * Folder-level config from project.yml `models:` for a file at `relPath` (relative to the model folder):
 * `+key` entries apply to everything below that folder; other keys are sub-folders. The project's own name
 * may be the first level, as dbt writes it.
 */
export function folderConfig(tree: Record<string, unknown>, projectName: string, relPath: string): Record<string, unknown> {
  const root = isRecord(tree[projectName]) ? tree[projectName] : tree;
  const out: Record<string, unknown> = {};
  const folders = relPath.split('/').slice(0, -1);
  let level: Record<string, unknown> | undefined = root;
  for (let i = 0; level; i++) {
    for (const [k, v] of Object.entries(level)) if (k.startsWith('+')) out[k.slice(1)] = k === '+tags' ? [...toList(out.tags), ...toList(v)] : v;
    const next: unknown = i < folders.length ? level[folders[i]!] : undefined;
    level = isRecord(next) ? next : undefined;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
