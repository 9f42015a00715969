import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SparkifyError } from '../../core/errors.js';
import type { Warehouse } from '../types.js';
import { redshiftDialect } from './dialect.js';
import { RedshiftDataDriver } from './driver.js';
import { clean, describeTarget, identityOf, type RedshiftDataSettings } from './settings.js';

// Amazon Redshift through the Redshift Data API (HTTP calls that run statements asynchronously). One small
// file per role: settings (target → identity, masking), data-api (the calls, polling, paging, cancelling),
// sessions, driver (transactions), run-lock, copy (COPY from S3 and its rejected rows), errors, statements
// (splitting, parameters), results (records → rows), dialect (the SQL).

export type { RedshiftDataSettings } from './settings.js';

export interface RedshiftOpenOptions {
  /** The run's cancellation: running statements get CancelStatement, nothing new starts. */
  signal?: AbortSignal;
}

export async function openRedshiftData(targetName: string, s: RedshiftDataSettings, opts: RedshiftOpenOptions = {}): Promise<Warehouse> {
  const identity = identityOf(targetName, s);
  const region = clean(s.region) ?? clean(process.env.AWS_REGION) ?? clean(process.env.AWS_DEFAULT_REGION);
  const where = describeTarget(identity, s.schema, region);
  // The standard credential chain; the SDK itself reads AWS_ENDPOINT_URL_REDSHIFT_DATA (and AWS_ENDPOINT_URL).
  const client = new RedshiftDataClient(region ? { region } : {});
  const driver = new RedshiftDataDriver(client, identity, s, opts.signal);
  try {
    driver.region = await client.config.region();
  } catch {
    client.destroy();
    throw new SparkifyError(`no AWS region for target '${targetName}' (${where})`, { hint: 'Set AWS_REGION, or region: in the target.' });
  }
  try {
    // One sessionless statement: the schema must exist before a session sets its search_path to it.
    await driver.api.statement(redshiftDialect.createSchema(s.schema), undefined, undefined);
  } catch (err) {
    await driver.close();
    const e = err as Error & { hint?: string };
    throw new SparkifyError(`cannot use Redshift (${where}): ${driver.redact(e.message)}`, {
      hint:
        e.hint ??
        'Check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), AWS_REGION, and the target in project.yml; ' +
          'AWS_ENDPOINT_URL_REDSHIFT_DATA points at another Data API endpoint (e.g. the test stand-in).',
    });
  }
  return { driver, dialect: redshiftDialect, schema: s.schema, description: `Redshift Data API, ${where}` };
}
