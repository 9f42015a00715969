// The warehouse boundary: a Driver says how to talk to a database, a Dialect what SQL to say.
// Nothing outside src/warehouse/ knows which database it talks to.
import type { CopyOptions, RejectedRow } from '../core/copy.js';
import type { CopyChunk } from './copy-stream.js';
import type { ShowResult } from './values.js';

export interface Relation {
  schema: string;
  identifier: string;
}

export interface Field {
  name: string;
  /** Postgres type OID where the driver knows it. */
  typeId?: number;
}

export interface QueryResult {
  rows: Record<string, unknown>[];
  fields: Field[];
  /** Rows affected or returned, where the database says. */
  rowCount?: number;
}

/** A session that runs statements; inside `transaction` it is the transaction's own. */
export interface Session {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  /** One or more statements, no parameters; the result of the last. */
  exec(sql: string): Promise<QueryResult>;
  /**
   * Bulk-load rows in Postgres COPY text format (tab-separated, \N for null, one row a line), fed as
   * chunks of whole lines. Returns the number of rows loaded.
   */
  copyIn(relation: Relation, columns: string[], chunks: AsyncIterable<CopyChunk>): Promise<number>;
  /**
   * Present on warehouses that load files themselves, from S3 (Redshift's COPY ... FROM 's3://...'), and
   * take no rows from this machine (their copyIn refuses). Runs one COPY of `spec.from` into the table in
   * this session (inside the caller's transaction), and returns the rows loaded and the rows the warehouse
   * rejected. When more rows are rejected than `spec.maxerror` allows, it throws a CopyRejectedError
   * naming them (read from outside the failed transaction).
   */
  copyFromS3?(spec: S3CopySpec): Promise<S3CopyResult>;
}

/** One COPY from S3 that the warehouse runs itself, with the loader's own option set. */
export interface S3CopySpec extends CopyOptions {
  relation: Relation;
  /** The table's columns, in the order the values map to them (JSONPaths order). */
  columns: string[];
  /** s3://bucket/prefix: every key that starts with it; with `manifest`, a Redshift manifest file. */
  from: string;
  manifest: boolean;
  /** 'auto' (JSON keys = column names), 'auto ignorecase', or a JSONPaths file on S3. */
  format: { kind: 'auto'; ignoreCase: boolean } | { kind: 'jsonpaths'; url: string };
  maxerror: number;
  gzip: boolean;
  /** The bucket's region, when the model says; default: the warehouse's. */
  region?: string;
}

export interface S3CopyResult {
  rows: number;
  rejected: RejectedRow[];
}

export interface Driver extends Session {
  readonly kind: 'embedded' | 'postgres' | 'redshift-data';
  /** How many statements may usefully run at once (the embedded database runs one at a time). */
  readonly maxConcurrency: number;
  /**
   * Take the target's run lock, so two runs on one warehouse never interleave. With `wait` false, fail at
   * once if another run holds it (and call `onWait`, with who holds it where the driver knows, when it has to
   * wait). Resolves to the function that releases it. Drivers whose connection is already exclusive (the
   * embedded database) need none.
   */
  runLock?(opts: { wait: boolean; onWait?: (holder?: string) => void }): Promise<() => Promise<void>>;
  /** Run `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
  /**
   * One query for `show`: values as the warehouse holds them (values.ts), the same on every target and in
   * every TZ, with the session's time zone UTC. Other callers keep `query`'s JavaScript values.
   */
  show(sql: string): Promise<ShowResult>;
  close(): Promise<void>;
}

export interface TableOptions {
  dist?: string;
  sort?: string[];
  sortType?: 'compound' | 'interleaved';
}

export interface Dialect {
  readonly name: 'postgres' | 'redshift';
  quote(identifier: string): string;
  relation(r: Relation): string;
  createSchema(schema: string): string;
  createTableAs(r: Relation, sql: string, opts: TableOptions): string;
  createTable(r: Relation, columnsDdl: string, opts: TableOptions): string;
  createView(r: Relation, sql: string): string;
  drop(r: Relation, kind: 'table' | 'view'): string;
  rename(from: Relation, toIdentifier: string): string;
  /** Query listing (identifier, kind 'table' | 'view') of relations in a schema; one parameter: the schema. */
  listRelations(): string;
  /** Query returning a row when a schema exists; one parameter: the schema. */
  schemaExists(): string;
  /** Query listing (column_name, data_type, character_maximum_length, numeric_precision, numeric_scale) of a relation, in order; parameters: schema, identifier. */
  listColumns(): string;
  /** Query listing (name) of the roles (or users) privileges can be granted to. */
  listRoles(): string;
  /** Query listing (grantee, privilege_type) of the grants on a relation; parameters: schema, identifier. */
  listGrants(): string;
  /** The warehouse's own COPY from S3, where it has one (see Session.copyFromS3). */
  copyFromS3?(spec: S3CopySpec, auth: { iamRole: string; region: string }): string;
}

/** A target's connection: driver, dialect and the schema models go to by default. */
export interface Warehouse {
  readonly driver: Driver;
  readonly dialect: Dialect;
  readonly schema: string;
  /** One line about where this warehouse is, without secrets. */
  readonly description: string;
}
