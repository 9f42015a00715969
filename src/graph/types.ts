import type { SourceLocation } from '../core/location.js';

// The manifest: every node of a project and the edges between them, as dbt names them.

export type ResourceType = 'model' | 'test' | 'seed' | 'source' | 'snapshot';

export type Materialization = 'view' | 'table' | 'incremental' | 'copy' | 'ephemeral' | 'seed' | 'test' | 'snapshot';

export interface ColumnInfo {
  name: string;
  description: string;
  data_type?: string;
}

/** A node's config as compile typed and checked it (see project/config-keys.ts): nothing below reads raw values. */
/** A hook as config holds it: its SQL template, and whether it runs inside the node's transaction. */
export interface HookConfig {
  sql: string;
  transaction: boolean;
}

/** A hook as compile rendered it, and where it was written (a failing hook is reported there). */
export interface CompiledHook {
  sql: string;
  transaction: boolean;
  location: SourceLocation;
}

export interface NodeConfig {
  materialized: Materialization;
  tags: string[];
  enabled: boolean;
  meta?: Record<string, unknown>;
  description?: string;
  schema?: string;
  alias?: string;
  /** Redshift distribution: 'even' | 'all' | 'auto' | a column name (DISTKEY). Accepted and unused on Postgres. */
  dist?: string;
  /** Redshift sort key column(s). Accepted and unused on Postgres. */
  sort?: string[];
  sort_type?: 'compound' | 'interleaved';
  unique_key?: string[];
  /** dbt's grants: privilege (lower case) -> the grantees that hold it on the node's relation. */
  grants?: Record<string, string[]>;
  /** dbt's persist_docs: YAML descriptions as COMMENT ON the relation and its columns. */
  persist_docs?: { relation?: boolean; columns?: boolean };
  /** SQL run before and after the node is built (dbt's pre-hook / post-hook), as written. */
  pre_hook?: HookConfig[];
  post_hook?: HookConfig[];
  incremental_strategy?: 'delete+insert' | 'append' | 'merge' | 'microbatch';
  /** microbatch: the column that places a row in a batch (on upstream nodes: what filters them per batch). */
  event_time?: string;
  batch_size?: 'hour' | 'day' | 'month' | 'year';
  lookback?: number;
  begin?: string;
  /** merge: the columns a matched row gets from the new row (default: all), or the ones it keeps. */
  merge_update_columns?: string[];
  merge_exclude_columns?: string[];
  /** dbt's on_schema_change: what an incremental run does when the model's columns differ from the table's. */
  on_schema_change?: 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns';
  /** dbt's full_refresh: true always rebuilds, false never does (whatever --full-refresh says). */
  full_refresh?: boolean;
  // copy: where the files are, and Redshift COPY's options.
  from?: string;
  manifest?: string;
  format?: string;
  timeformat?: 'auto' | 'epochmillisecs' | 'epochsecs';
  blanksasnull?: boolean;
  emptyasnull?: boolean;
  truncatecolumns?: boolean;
  acceptinvchars?: boolean | string;
  maxerror?: number;
  gzip?: boolean;
  ignoreheader?: number;
  region?: string;
  // seed
  column_types?: Record<string, string>;
  delimiter?: string;
  // snapshot (dbt 1.9's names): how changes are detected, and what the history table's meta columns are called.
  strategy?: 'timestamp' | 'check';
  updated_at?: string;
  check_cols?: string[] | 'all';
  hard_deletes?: 'ignore' | 'invalidate' | 'new_record';
  /** dbt's legacy spelling of hard_deletes: invalidate (compile turns it into hard_deletes). */
  invalidate_hard_deletes?: boolean;
  snapshot_meta_column_names?: Record<string, string>;
  /** SQL for dbt_valid_to of current rows instead of null, e.g. "'9999-12-31'". */
  dbt_valid_to_current?: string;
  // test
  severity?: 'error' | 'warn';
  where?: string;
  limit?: number;
  /** dbt's thresholds on the failure count: comparisons such as '!=0' (the default) or '>10'. */
  warn_if?: string;
  error_if?: string;
  /** The SQL expression that counts failures over the test's rows (default count(*)). */
  fail_calc?: string;
  store_failures?: boolean;
  store_failures_as?: 'ephemeral' | 'table' | 'view';
}

export interface TestMetadata {
  /** Generic test name: unique, not_null, accepted_values, relationships. */
  name: string;
  column_name?: string;
  kwargs: Record<string, unknown>;
}

export interface Node {
  /** e.g. model.sparkify.dim_users, test.sparkify.unique_dim_users_user_id, source.sparkify.raw.events */
  unique_id: string;
  resource_type: ResourceType;
  /** Short name: dim_users. Unique among models and seeds. */
  name: string;
  package_name: string;
  /** Path relative to the project root (forward slashes), e.g. models/marts/dim_users.sql. */
  original_file_path: string;
  /** Path relative to its resource folder, e.g. marts/dim_users.sql. */
  path: string;
  /** Fully qualified name: [project, ...folders, name]. */
  fqn: string[];
  config: NodeConfig;
  description: string;
  columns: Record<string, ColumnInfo>;
  /** Template text as written (models, tests, seeds' CSV path). */
  raw_code: string;
  /** Rendered SQL, filled by compile. */
  compiled_code?: string;
  /** For models that can run incrementally: the SQL rendered with is_incremental() true, resolved like compiled_code. */
  compiled_incremental_code?: string;
  /**
   * A microbatch model's SQL for one batch: inputs that declare event_time read only the batch's window,
   * written as the literals __SPARKIFY_BATCH_START__ and __SPARKIFY_BATCH_END__ that each batch fills in.
   */
  compiled_batch_code?: string;
  /** A microbatch model's inputs that declare event_time (relation as SQL, column): where the newest data is. */
  event_time_inputs?: { relation: string; column: string }[];
  /** Hash of what the node builds (compiled SQL and config): `state:modified` compares it. */
  checksum?: string;
  /** unique_ids this node depends on (from ref/source, and a test's model). */
  depends_on: { nodes: string[]; macros: string[] };
  /** For tests: the node they test (their "attached node"), and what the generic test is. */
  attached_node?: string;
  test_metadata?: TestMetadata;
  /** Database relation this node builds or reads: schema and table name. */
  relation?: { schema: string; identifier: string };
  /** pre_hook / post_hook config, rendered and resolved like compiled_code. */
  hooks?: { pre: CompiledHook[]; post: CompiledHook[] };
  /** For sources: source name and table name. */
  source_name?: string;
}

export interface Manifest {
  project_name: string;
  nodes: Map<string, Node>;
  /** unique_id -> unique_ids of direct parents (what it depends on). */
  parent_map: Map<string, string[]>;
  /** unique_id -> unique_ids of direct children. */
  child_map: Map<string, string[]>;
}
