import type { Node } from '../graph/types.js';
import type { Warehouse } from '../warehouse/types.js';
import type { RejectedRow } from '../core/copy.js';
import type { LoadProgress } from '../core/progress.js';

export interface MaterializeContext {
  warehouse: Warehouse;
  node: Node;
  /** The node's compiled SQL. */
  sql: string;
  fullRefresh: boolean;
  projectDir: string;
  /** Absolute local directory (or s3:// URL) the raw data is read from. */
  dataPath: string;
  /**
   * The model's SQL as compiled with is_incremental() true (incremental models): compile renders every
   * variant ahead of time, so nothing here renders templates.
   */
  incrementalSql?: string;
  /** --event-time-start / --event-time-end: the range of batches a microbatch model builds. */
  eventTime?: { start?: string; end?: string };
  /** A warning found inside the build (a grantee missing on the target); the result carries them. */
  warn?: (message: string) => void;
  /** Progress of a staging load, as it goes (the runner draws it). */
  onLoadProgress?: (p: LoadProgress) => void;
}

export interface MaterializeResult {
  /** dbt-style adapter response: 'SELECT 96', 'COPY 8056', 'CREATE VIEW'. */
  code: string;
  rowsAffected?: number;
  rejected?: RejectedRow[];
  files?: number;
  bytes?: number;
  /** A staging table rebuilt from scratch over an existing one (why, e.g. 'reloaded from a new location'). */
  reloaded?: string;
  /** Things the user should know that did not fail the model (an empty prefix, rejected rows, ...). */
  warnings?: string[];
  /** What the user may want to know, not a problem (a --full-refresh the model's config turned off). */
  notes?: string[];
}
