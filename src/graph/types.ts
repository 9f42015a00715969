import type { SourceLocation } from '../core/location.js';

// The manifest: every node of a project and the edges between them, as dbt names them.

export type ResourceType = 'model' | 'test' | 'seed' | 'source';

export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral' | 'copy' | 'seed' | 'test';

export interface ColumnInfo {
  name: string;
  description: string;
  data_type?: string;
}

export interface NodeConfig {
  materialized: Materialization;
  tags: string[];
  enabled: boolean;
  schema?: string;
  /** Redshift distribution: 'even' | 'all' | 'auto' | a column name (DISTKEY). Ignored on Postgres. */
  dist?: string;
  /** Redshift sort key column(s). Ignored on Postgres. */
  sort?: string | string[];
  sort_type?: 'compound' | 'interleaved';
  unique_key?: string | string[];
  /** Test severity. */
  severity?: 'error' | 'warn';
  /** Any other key a materialization understands (copy options, ...). Validated by that materialization. */
  [key: string]: unknown;
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
  /** Incremental models: the SQL rendered with is_incremental() true, filled by compile. */
  compiled_incremental_code?: string;
  /** Hash of what the node builds (compiled SQL and config): `state:modified` compares it. */
  checksum?: string;
  /** unique_ids this node depends on (from ref/source, and a test's model). */
  depends_on: { nodes: string[]; macros: string[] };
  /** For tests: the node they test (their "attached node"), and what the generic test is. */
  attached_node?: string;
  test_metadata?: TestMetadata;
  /** Database relation this node builds or reads: schema and table name. */
  relation?: { schema: string; identifier: string };
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
