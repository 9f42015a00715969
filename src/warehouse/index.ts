import path from 'node:path';
import type { TargetConfig } from '../project/schema.js';
import { openEmbedded } from './embedded.js';
import { openPostgres } from './postgres.js';
import type { Warehouse } from './types.js';

export type { Warehouse, Driver, Dialect, Relation, Session, QueryResult } from './types.js';
export { SqlError } from './errors.js';

/** Open the warehouse a target names. */
export interface OpenOptions {
  /** Connections for --threads (a server's pool size). */
  threads?: number;
  /** Wait for another process using the target (default), or fail at once. */
  wait?: boolean;
}

export async function openWarehouse(targetName: string, target: TargetConfig, projectDir: string, opts: OpenOptions = {}): Promise<Warehouse> {
  switch (target.type) {
    case 'embedded':
      return openEmbedded(path.resolve(projectDir, target.path ?? path.join('.sparkify', targetName)), target.schema, { wait: opts.wait ?? true });
    case 'postgres':
      return openPostgres({
        ...(target.host ? { host: target.host } : {}),
        ...(target.port ? { port: Number(target.port) } : {}),
        ...(target.user ? { user: target.user } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.database ? { database: target.database } : {}),
        schema: target.schema,
        threads: opts.threads ?? target.threads ?? 4,
      });
    case 'redshift':
      // Loaded only for this target: the AWS SDK is large.
      return (await import('./redshift-data.js')).openRedshiftData(targetName, {
        ...(target.cluster_identifier ? { clusterIdentifier: target.cluster_identifier } : {}),
        ...(target.workgroup ? { workgroup: target.workgroup } : {}),
        ...(target.database ? { database: target.database } : {}),
        ...(target.db_user ? { dbUser: target.db_user } : {}),
        ...(target.secret_arn ? { secretArn: target.secret_arn } : {}),
        ...(target.region ? { region: target.region } : {}),
        ...(target.iam_role ? { iamRole: target.iam_role } : {}),
        schema: target.schema,
        threads: opts.threads ?? target.threads ?? 4,
      });
  }
}
