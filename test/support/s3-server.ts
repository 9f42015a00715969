import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A real S3 protocol server (s3rver) on 127.0.0.1, in a child process: s3rver makes its ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider.
 */
export interface S3Server {
  endpoint: string;
  close(): Promise<void>;
}

const SCRIPT = `
const S3rver = require('s3rver');
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[1] });
server.run().then(({ port }) => console.log('PORT ' + port));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

export async function startS3Server(): Promise<S3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SCRIPT, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const m = /^PORT (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Put objects (key → body) into a bucket of the S3 stand-in, creating the bucket if it is new. */
export async function putObjects(endpoint: string, bucket: string, objects: Record<string, string | Buffer>): Promise<void> {
  const { CreateBucketCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_KEYS });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
    const entries = Object.entries(objects);
    // A few at a time: s3rver writes each object to disk.
    for (let i = 0; i < entries.length; i += 16) {
      await Promise.all(entries.slice(i, i + 16).map(([Key, Body]) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }))));
    }
  } finally {
    client.destroy();
  }
}

/** Upload a directory's files to a bucket of the S3 stand-in (keys relative to the directory, under `prefix`); returns how many. */
export async function uploadDirectory(endpoint: string, bucket: string, dir: string, prefix = ''): Promise<number> {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const objects: Record<string, Buffer> = {};
  for (const e of files) {
    const full = path.join(e.parentPath, e.name);
    objects[prefix + path.relative(dir, full).split(path.sep).join('/')] = fs.readFileSync(full);
  }
  await putObjects(endpoint, bucket, objects);
  return files.length;
}
