import { SparkifyError } from '../../core/errors.js';

/** A redshift target as the driver takes it (project.yml's keys, typed). */
export interface RedshiftDataSettings {
  clusterIdentifier?: string;
  /** Redshift Serverless workgroup name or ARN. */
  workgroup?: string;
  database?: string;
  dbUser?: string;
  /** Secrets Manager secret with the database user's name and password. Never shown. */
  secretArn?: string;
  region?: string;
  schema: string;
  threads: number;
  /** Seconds a session stays open after its last statement (default 60). */
  sessionKeepAliveSeconds?: number;
  /** DescribeStatement polling: first wait and longest wait in ms (default 50 and 1000). */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Retries, with backoff, of a statement refused because too many statements or sessions are active (default 3). */
  busyRetries?: number;
  /** IAM role (ARN, or `default`) Redshift's COPY reads S3 with. Never shown. */
  iamRole?: string;
  /** Run lock: a holder not seen for this long is gone (crashed) and loses the lock (default 90 s). */
  runLockStaleSeconds?: number;
  /** Run lock: how often the holder says it is still there (default 20 s). */
  runLockHeartbeatSeconds?: number;
}

/** The connection parameters every sessionless request carries. */
export interface Identity {
  ClusterIdentifier?: string;
  WorkgroupName?: string;
  Database?: string;
  DbUser?: string;
  SecretArn?: string;
}

/** A setting with surrounding blanks removed; blank means unset. */
export const clean = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The Data API identity a target names, or a usage error that says what is missing or contradictory. */
export function identityOf(targetName: string, s: RedshiftDataSettings): Identity {
  const cluster = clean(s.clusterIdentifier);
  const workgroup = clean(s.workgroup);
  const database = clean(s.database);
  const dbUser = clean(s.dbUser);
  const secretArn = clean(s.secretArn);
  if (cluster && workgroup) {
    throw new SparkifyError(`target '${targetName}' sets both cluster_identifier and workgroup`, {
      hint: 'A provisioned cluster takes cluster_identifier; Redshift Serverless takes workgroup. Keep one.',
    });
  }
  if (!cluster && !workgroup && !secretArn) {
    throw new SparkifyError(`target '${targetName}' does not say which Redshift to use`, {
      hint:
        'Set cluster_identifier (with database and db_user), workgroup (Redshift Serverless, with database) or secret_arn in project.yml; ' +
        'the Sparkify project reads the cluster from REDSHIFT_CLUSTER.',
    });
  }
  if (!database) {
    throw new SparkifyError(`target '${targetName}' needs a database`, { hint: 'Set database: in the target (the Sparkify project reads REDSHIFT_DATABASE, default dev).' });
  }
  return {
    ...(cluster ? { ClusterIdentifier: cluster } : {}),
    ...(workgroup ? { WorkgroupName: workgroup } : {}),
    Database: database,
    // A database user is how a cluster is reached with temporary credentials; with a secret the user is the
    // secret's, and Serverless derives it from the IAM identity.
    ...(cluster && dbUser && !secretArn ? { DbUser: dbUser } : {}),
    ...(secretArn ? { SecretArn: secretArn } : {}),
  };
}

/** The Data API endpoint when it is not AWS's own (the SDK reads the same variables). */
export function customEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA || process.env.AWS_ENDPOINT_URL || undefined;
}

/** Where this warehouse is, without the secret: cluster or workgroup, database, user, schema. */
export function describeTarget(id: Identity, schema: string, region: string | undefined): string {
  const where = id.ClusterIdentifier ? `cluster ${id.ClusterIdentifier}` : id.WorkgroupName ? `workgroup ${id.WorkgroupName}` : 'the cluster named by its secret';
  const who = id.DbUser ? ` as ${id.DbUser}` : id.SecretArn ? ' (credentials from Secrets Manager)' : '';
  const endpoint = customEndpoint();
  const extra = [region ? `region ${region}` : '', endpoint ? `endpoint ${endpoint}` : ''].filter(Boolean).join(', ');
  return `${where}, database ${id.Database}${who}, schema ${schema}${extra ? ` (${extra})` : ''}`;
}

/**
 * A function that masks the target's secrets in a message or an echoed statement: the whole secret ARN and
 * its name part (…:secret:NAME-abcdef), the IAM role's ARN and its name (…:role/NAME).
 */
export function secretMask(s: RedshiftDataSettings): (message: string) => string {
  const arn = clean(s.secretArn);
  const role = clean(s.iamRole);
  const secrets = [
    ...(arn ? [arn, ...(/:secret:(.+)$/.exec(arn)?.slice(1) ?? [])] : []),
    ...(role && role.toLowerCase() !== 'default' ? [role, ...(/:(role\/.+)$/.exec(role)?.slice(1) ?? [])] : []),
  ].sort((a, b) => b.length - a.length);
  return (message) => {
    let m = message;
    for (const secret of secrets) m = m.split(secret).join('****');
    return m;
  };
}
