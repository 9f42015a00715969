import { COPY_OPTION_KEYS } from '../core/copy.js';

// Every config key a node accepts, with dbt's names: what values it takes, which nodes it applies to, and how
// layers combine. One table, so validation, "did you mean" hints and the README cannot disagree.

export type ResourceKind = 'model' | 'seed' | 'test' | 'snapshot';

/** Model materializations that can be built; others dbt has are named with the reason they are refused. */
export const MATERIALIZATIONS = ['view', 'table', 'incremental', 'copy', 'ephemeral'] as const;
export type ModelMaterialization = (typeof MATERIALIZATIONS)[number];

export type ValueSpec =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; min: number }
  /** One of `values` (case-insensitive, stored lower case); `later` names dbt values not supported yet. */
  | { kind: 'enum'; values: readonly string[]; later?: Readonly<Record<string, string>> }
  /** A string (comma- or space-separated names) or a list of strings: stored as a list. */
  | { kind: 'list' }
  /** A mapping of names to strings (column_types). */
  | { kind: 'dict' }
  /** Any mapping (meta): stored as written. */
  | { kind: 'record' }
  /** true, false, or a single replacement character (ACCEPTINVCHARS). */
  | { kind: 'bool-or-char' }
  /** A single character (a CSV delimiter). */
  | { kind: 'char' }
  /** SQL hooks: a statement, {sql, transaction}, or a list of them; stored as [{sql, transaction}]. */
  | { kind: 'hooks' }
  /** dbt's grants: {privilege: grantee or [grantees]}; a '+privilege' key adds to what a general layer set. */
  | { kind: 'grants' }
  /** Booleans under fixed names ({relation: true, columns: true}). */
  | { kind: 'flags'; names: readonly string[] }
  /** dbt's test threshold: a comparison of the failure count with a number (`>10`, `!=0`, `between 1 and 5`). */
  | { kind: 'comparison' }
  /** `all`, or names as `list` takes them (a snapshot's check_cols). */
  | { kind: 'cols' };

export interface KeySpec {
  value: ValueSpec;
  /** The resource kinds and, for models, the materializations the key means something for. */
  applies: { kinds: readonly ResourceKind[]; materializations?: readonly ModelMaterialization[] };
  /** How a later layer combines with an earlier one: replace (default), union (tags), merge (dicts), append (hooks: general layers' first), grants (per privilege: replace, or add for '+privilege'). */
  combine?: 'replace' | 'union' | 'merge' | 'append' | 'grants';
}

const MODELS_AND_SEEDS = { kinds: ['model', 'seed', 'snapshot'] } as const;
const ALL = { kinds: ['model', 'seed', 'test', 'snapshot'] } as const;
const TABLES = { kinds: ['model', 'seed', 'snapshot'], materializations: ['table', 'incremental', 'copy'] } as const;
const SNAPSHOT = { kinds: ['snapshot'] } as const;

/** The meta columns of a snapshot table, as dbt names them (snapshot_meta_column_names renames them). */
export const SNAPSHOT_META_COLUMNS = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to', 'dbt_is_deleted'] as const;
const COPY = { kinds: ['model'], materializations: ['copy'] } as const;
/** What builds a relation in the warehouse (not ephemeral models). */
const BUILT = { kinds: ['model', 'seed', 'snapshot'], materializations: ['view', 'table', 'incremental', 'copy'] } as const;

const copyValue: Record<(typeof COPY_OPTION_KEYS)[number], ValueSpec> = {
  format: { kind: 'string' },
  timeformat: { kind: 'enum', values: ['auto', 'epochmillisecs', 'epochsecs'] },
  blanksasnull: { kind: 'bool' },
  emptyasnull: { kind: 'bool' },
  truncatecolumns: { kind: 'bool' },
  acceptinvchars: { kind: 'bool-or-char' },
  maxerror: { kind: 'int', min: 0 },
  gzip: { kind: 'bool' },
  ignoreheader: { kind: 'int', min: 0 },
  region: { kind: 'string' },
};

export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  materialized: {
    value: {
      kind: 'enum',
      values: MATERIALIZATIONS,
      later: {
        materialized_view: 'materialized views are not built yet: use table for now',
        snapshot: "a snapshot is not a model: declare it under snapshots: in a YAML file (relation: ref('x')) or as snapshots/<name>.sql",
      },
    },
    applies: { kinds: ['model'] },
  },
  tags: { value: { kind: 'list' }, applies: ALL, combine: 'union' },
  pre_hook: { value: { kind: 'hooks' }, applies: BUILT, combine: 'append' },
  grants: { value: { kind: 'grants' }, applies: BUILT, combine: 'grants' },
  persist_docs: { value: { kind: 'flags', names: ['relation', 'columns'] }, applies: BUILT, combine: 'merge' },
  post_hook: { value: { kind: 'hooks' }, applies: BUILT, combine: 'append' },
  enabled: { value: { kind: 'bool' }, applies: ALL },
  meta: { value: { kind: 'record' }, applies: ALL, combine: 'merge' },
  description: { value: { kind: 'string' }, applies: MODELS_AND_SEEDS },
  schema: { value: { kind: 'string' }, applies: MODELS_AND_SEEDS },
  alias: { value: { kind: 'string' }, applies: MODELS_AND_SEEDS },
  dist: { value: { kind: 'string' }, applies: TABLES },
  sort: { value: { kind: 'list' }, applies: TABLES },
  sort_type: { value: { kind: 'enum', values: ['compound', 'interleaved'] }, applies: TABLES },
  unique_key: { value: { kind: 'list' }, applies: { kinds: ['model', 'snapshot'], materializations: ['incremental'] } },
  strategy: { value: { kind: 'enum', values: ['timestamp', 'check'] }, applies: SNAPSHOT },
  updated_at: { value: { kind: 'string' }, applies: SNAPSHOT },
  check_cols: { value: { kind: 'cols' }, applies: SNAPSHOT },
  hard_deletes: { value: { kind: 'enum', values: ['ignore', 'invalidate', 'new_record'] }, applies: SNAPSHOT },
  invalidate_hard_deletes: { value: { kind: 'bool' }, applies: SNAPSHOT },
  snapshot_meta_column_names: { value: { kind: 'dict' }, applies: SNAPSHOT, combine: 'merge' },
  dbt_valid_to_current: { value: { kind: 'string' }, applies: SNAPSHOT },
  incremental_strategy: {
    value: {
      kind: 'enum',
      values: ['delete+insert', 'append', 'merge', 'microbatch'],
      later: {
        insert_overwrite: 'insert_overwrite is not a strategy for Postgres or Redshift: use delete+insert',
      },
    },
    applies: { kinds: ['model'], materializations: ['incremental'] },
  },
  // microbatch (dbt 1.9): the model's time column, its batch size, where history begins, how many batches back a run redoes.
  event_time: { value: { kind: 'string' }, applies: { kinds: ['model', 'seed'] } },
  batch_size: { value: { kind: 'enum', values: ['hour', 'day', 'month', 'year'] }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  lookback: { value: { kind: 'int', min: 0 }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  begin: { value: { kind: 'string' }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  merge_update_columns: { value: { kind: 'list' }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  merge_exclude_columns: { value: { kind: 'list' }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  on_schema_change: { value: { kind: 'enum', values: ['ignore', 'fail', 'append_new_columns', 'sync_all_columns'] }, applies: { kinds: ['model'], materializations: ['incremental'] } },
  full_refresh: { value: { kind: 'bool' }, applies: { kinds: ['model'], materializations: ['incremental', 'copy'] } },
  from: { value: { kind: 'string' }, applies: COPY },
  manifest: { value: { kind: 'string' }, applies: COPY },
  ...Object.fromEntries(Object.entries(copyValue).map(([k, value]) => [k, { value, applies: COPY }])),
  column_types: { value: { kind: 'dict' }, applies: { kinds: ['seed'] }, combine: 'merge' },
  delimiter: { value: { kind: 'char' }, applies: { kinds: ['seed'] } },
  severity: { value: { kind: 'enum', values: ['error', 'warn'] }, applies: { kinds: ['test'] } },
  where: { value: { kind: 'string' }, applies: { kinds: ['test'] } },
  limit: { value: { kind: 'int', min: 0 }, applies: { kinds: ['test'] } },
  warn_if: { value: { kind: 'comparison' }, applies: { kinds: ['test'] } },
  error_if: { value: { kind: 'comparison' }, applies: { kinds: ['test'] } },
  fail_calc: { value: { kind: 'string' }, applies: { kinds: ['test'] } },
  store_failures: { value: { kind: 'bool' }, applies: { kinds: ['test'] } },
  store_failures_as: { value: { kind: 'enum', values: ['ephemeral', 'table', 'view'] }, applies: { kinds: ['test'] } },
};

/** dbt config keys the engine does not implement yet: naming them is an error that says so, never ignored. */
export const NOT_YET: Readonly<Record<string, string>> = {
  contract: 'model contracts are not enforced yet',
  constraints: 'constraints are not created yet',
  docs: 'the docs site is not built yet',
  database: 'models are built in the target database only',
  quoting: 'identifiers are quoted by the warehouse dialect',
  quote_columns: 'seed column names are always quoted',
  group: 'groups are not supported yet',
  access: 'model access is not enforced yet',
};

/** Keys people put in model config that belong elsewhere, and where. */
export const MISPLACED: Readonly<Record<string, string>> = {
  // Model config is written to target/manifest.json: a role ARN must not be.
  target_schema: "dbt 1.9 writes schema (target_schema is the config of legacy snapshots)",
  target_database: 'snapshots are built in the target database (target_database is the config of legacy snapshots)',
  iam_role: 'set iam_role in the redshift target of project.yml (e.g. from an environment variable); model config is written to target/manifest.json',
};

/** dbt spells some keys with a hyphen in project.yml (`+pre-hook`); both spellings mean the same key. */
export function canonicalKey(raw: string): string {
  return raw.replace(/^\+/, '').replace(/-/g, '_');
}

/** Is `name` a config key at all (supported or not), so a bare `name:` in project.yml is config, not a folder? */
export function isConfigName(name: string): boolean {
  const k = canonicalKey(name);
  return k in CONFIG_KEYS || k in NOT_YET || k in MISPLACED;
}
