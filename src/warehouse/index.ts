import path from 'node:path';
import type { WarehouseTarget } from './target.js';
import type { Warehouse } from './types.js';

export type { Warehouse, Driver, Dialect, Relation, Session, QueryResult } from './types.js';
export type { WarehouseTarget } from './target.js';
export { SqlError } from './errors.js';

/** Open the warehouse a target names. */
export interface OpenOptions {
  /** Connections for --threads (a server's pool size). */
  threads?: number;
  /** Wait for another process using the target (default), or fail at once. */
  wait?: boolean;
  /** Called once when the target is in use by another process and this one waits: who holds it, where known. */
  onWait?: (holder: string) => void;
  /** What this process runs, as another process waiting for the target is told (no secrets). */
  command?: string;
  /**
   * The run's cancellation (the CLI's Ctrl-C): running statements are cancelled on the database, waits end,
   * and no new statement starts. Drivers never exit the process or handle signals themselves.
   */
  signal?: AbortSignal;
}

// Each driver module is imported only for its target type: PGlite, pg and the AWS SDK are large, and a
// process that has loaded PGlite creates files several times slower (issue 9), which `compile` would pay.
export async function openWarehouse(targetName: string, target: WarehouseTarget, projectDir: string, opts: OpenOptions = {}): Promise<Warehouse> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  switch (target.type) {
    case 'embedded':
      return (await import('./embedded.js')).openEmbedded(path.resolve(projectDir, target.path ?? path.join('.sparkify', targetName)), target.schema, {
        wait: opts.wait ?? true,
        ...(opts.onWait ? { onWait: opts.onWait } : {}),
        ...(opts.command ? { command: opts.command } : {}),
        ...signal,
      });
    case 'postgres':
      return (await import('./postgres.js')).openPostgres(
        {
          ...(target.host ? { host: target.host } : {}),
          ...(target.port ? { port: Number(target.port) } : {}),
          ...(target.user ? { user: target.user } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.database ? { database: target.database } : {}),
          schema: target.schema,
          threads: opts.threads ?? target.threads ?? 4,
        },
        signal,
      );
    case 'redshift':
      return (await import('./redshift/index.js')).openRedshiftData(
        targetName,
        {
          ...(target.cluster_identifier ? { clusterIdentifier: target.cluster_identifier } : {}),
          ...(target.workgroup ? { workgroup: target.workgroup } : {}),
          ...(target.database ? { database: target.database } : {}),
          ...(target.db_user ? { dbUser: target.db_user } : {}),
          ...(target.secret_arn ? { secretArn: target.secret_arn } : {}),
          ...(target.region ? { region: target.region } : {}),
          ...(target.iam_role ? { iamRole: target.iam_role } : {}),
          schema: target.schema,
          threads: opts.threads ?? target.threads ?? 4,
        },
        signal,
      );
  }
}
