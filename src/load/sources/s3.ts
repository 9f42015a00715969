import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { SparkifyError } from '../../core/errors.js';
import type { FileRef, FileSource } from './types.js';

/**
 * Files on S3 through the SDK's standard configuration: the credential chain, AWS_REGION, and
 * AWS_ENDPOINT_URL_S3 for an S3-compatible server (then addressed path-style, as such servers expect).
 */
let client: S3Client | undefined;

function s3(): S3Client {
  client ??= new S3Client({
    forcePathStyle: !!process.env.AWS_ENDPOINT_URL_S3 || !!process.env.AWS_ENDPOINT_URL,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // A bucket in another region than AWS_REGION (the sample's udacity-dend is in us-west-2) is followed
    // there, as Redshift's COPY REGION would, instead of failing with a redirect.
    followRegionRedirects: true,
  });
  return client;
}

export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new SparkifyError(`not an S3 URL: ${url}`, { hint: 'Write S3 locations as s3://bucket/prefix.' });
  return { bucket: m[1]!, key: m[2]! };
}

/** An S3 error as the user can act on it; never the credentials. */
function s3Error(err: unknown, url: string): SparkifyError {
  const e = err as S3ServiceException & { Code?: string };
  const code = e.name ?? e.Code;
  const { bucket } = parseS3Url(url);
  if (code === 'NoSuchBucket') {
    return new SparkifyError(`S3 bucket '${bucket}' does not exist (${url})`, { hint: 'Check the bucket name in data_path, and the region (AWS_REGION).' });
  }
  if (code === 'AccessDenied' || code === 'Forbidden' || e.$metadata?.httpStatusCode === 403) {
    return new SparkifyError(`access denied to ${url}`, {
      hint: 'The credentials in use may not read this bucket: check the AWS profile or keys and the bucket policy.',
    });
  }
  if (code === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
    return new SparkifyError(`${url} does not exist`, { hint: 'Check the path (relative paths in model config are under data_path).' });
  }
  if (code === 'CredentialsProviderError') {
    return new SparkifyError(`no AWS credentials to read ${url}`, { hint: 'Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.' });
  }
  return new SparkifyError(`S3 error reading ${url}: ${code ?? ''} ${(err as Error).message}`.trim(), { cause: err });
}

export const s3Files: FileSource = {
  reopenable: true,
  async list(prefixUrl) {
    const { bucket, key } = parseS3Url(prefixUrl);
    const prefix = key;
    const files: FileRef[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/')) continue;
          // A prefix names a folder or a file name's start, as in Redshift's COPY FROM 's3://…/prefix'.
          files.push({
            url: `s3://${bucket}/${o.Key}`,
            display: o.Key.slice(prefix.length).replace(/^\//, '') || o.Key.split('/').pop()!,
            size: o.Size ?? 0,
            mtimeMs: o.LastModified?.getTime() ?? 0,
            ...(o.ETag ? { etag: o.ETag.replace(/"/g, '') } : {}),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw s3Error(err, prefixUrl);
    }
    return files.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  },
  async read(file) {
    const { bucket, key } = parseS3Url(file.url);
    try {
      const r = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      throw s3Error(err, file.url);
    }
  },
  open(file) {
    // GetObject's body streams from the socket; the request is made when the stream is first read.
    const { bucket, key } = parseS3Url(file.url);
    return Readable.from(
      (async function* () {
        let body: AsyncIterable<Uint8Array>;
        try {
          const r = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          body = r.Body as AsyncIterable<Uint8Array>;
        } catch (err) {
          throw s3Error(err, file.url);
        }
        for await (const chunk of body) yield chunk;
      })(),
      { objectMode: false },
    );
  },
  async readText(url) {
    const { bucket, key } = parseS3Url(url);
    try {
      const r = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body!.transformToString('utf8');
    } catch (err) {
      throw s3Error(err, url);
    }
  },
};
