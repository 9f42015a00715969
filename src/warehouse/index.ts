import path from 'node:path';
import { SparkifyError } from '../errors.js';
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
      throw new SparkifyError(`target '${targetName}' is of type ${target.type}, which this version cannot connect to yet`, {
        hint: 'Use the embedded target (the default): --target dev.',
      });
  }
}
