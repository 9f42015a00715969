import type { DescribeStatementResponse } from '@aws-sdk/client-redshift-data';
import { SparkifyError } from '../../core/errors.js';
import { SqlError } from '../errors.js';
import { customEndpoint } from './settings.js';

// What the Data API's failures mean to a user: SDK errors as SparkifyErrors with hints, without secrets.

/** A statement the Data API reports FAILED; callers turn it into a SqlError (or read its sub-statements). */
export class StatementFailed extends Error {
  constructor(readonly d: DescribeStatementResponse) {
    super(d.Error ?? 'FAILED');
  }
}

/** The statement stopped because the run was interrupted (or cancelled on Redshift). */
export function cancelled(what: string): SparkifyError {
  return new SparkifyError(`the statement was cancelled on Redshift: ${what}`, { exitCode: 1 });
}

/** "too many statements / sessions": worth retrying after a pause. */
export function isBusy(err: unknown): boolean {
  const name = (err as Error).name;
  return name === 'ActiveStatementsExceededException' || name === 'ActiveSessionsExceededException';
}

/** The Data API does not know the session any more (it expired or was closed). */
export function sessionGone(err: unknown): boolean {
  const name = (err as { awsError?: string }).awsError;
  return name === 'ResourceNotFoundException' || (name === 'ValidationException' && /session/i.test((err as Error).message));
}

/** `ERROR: relation "x" does not exist` → `relation "x" does not exist`. */
export function cleanError(message: string): string {
  return message.replace(/^\s*ERROR:\s*/, '').trim();
}

export function copyUnsupported(): SparkifyError {
  return new SparkifyError('loading rows from this machine (COPY FROM STDIN) is not available on Redshift', {
    hint: "Redshift loads staging files itself, from S3 (COPY ... FROM 's3://...'): put the files on S3 and point data_path at them.",
  });
}

/** An SDK error as a SparkifyError a user can act on, without secrets; `awsError` keeps the service's error name. */
export function explain(err: unknown, redact: (m: string) => string): unknown {
  if (!(err instanceof Error) || err instanceof SparkifyError || err instanceof SqlError) return err;
  const explained = describeError(err, redact);
  Object.defineProperty(explained, 'awsError', { value: err.name, enumerable: false });
  return explained;
}

function describeError(err: Error, redact: (m: string) => string): SparkifyError {
  const name = err.name;
  const msg = redact(err.message);
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  switch (name) {
    case 'ActiveStatementsExceededException':
      return new SparkifyError(`the Redshift Data API refused the statement: too many statements are running at once (ActiveStatementsExceededException: ${msg})`, {
        exitCode: 1,
        hint: 'Lower --threads (or threads: in the target), or wait for other clients of this cluster to finish their statements.',
      });
    case 'ActiveSessionsExceededException':
      return new SparkifyError(`the Redshift Data API refused a new session: too many sessions are open (ActiveSessionsExceededException: ${msg})`, {
        exitCode: 1,
        hint: 'Lower --threads, or wait a minute for idle sessions to close.',
      });
    case 'ValidationException':
      return new SparkifyError(`the Redshift Data API rejected the request (ValidationException: ${msg})`, {
        hint: 'Check cluster_identifier / workgroup, database, db_user and secret_arn in the target.',
      });
    case 'ResourceNotFoundException':
      return new SparkifyError(`the Redshift Data API does not know it (ResourceNotFoundException: ${msg})`, { exitCode: 1 });
    case 'DatabaseConnectionException':
      return new SparkifyError(`Redshift could not connect to the database (DatabaseConnectionException: ${msg})`, {
        hint: 'Check that the cluster or workgroup is available and the database and user exist.',
      });
    case 'CredentialsProviderError':
      return new SparkifyError(`no AWS credentials: ${msg}`, {
        hint: 'Use the standard AWS credential chain: AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, SSO, or an instance role.',
      });
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'AccessDeniedException':
    case 'ExpiredTokenException':
    case 'MissingAuthenticationTokenException':
      return new SparkifyError(`AWS refused the credentials (${name}: ${msg})`, {
        hint: 'Check the AWS credentials and that they may call redshift-data:* (and redshift:GetClusterCredentials or the secret).',
      });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || name === 'TimeoutError') {
    const endpoint = customEndpoint();
    return new SparkifyError(`cannot reach the Redshift Data API${endpoint ? ` at ${endpoint}` : ''}: ${msg || code}`, {
      hint: endpoint ? 'Is the server behind AWS_ENDPOINT_URL_REDSHIFT_DATA running?' : 'Check the network and AWS_REGION.',
    });
  }
  const service = (err as { $fault?: string }).$fault ? `${name}: ` : '';
  return new SparkifyError(`Redshift Data API error (${service}${msg})`, { exitCode: 1 });
}
