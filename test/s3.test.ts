import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../src/generate/sample.js';
import { showJson } from './in-process.js';
import { hasRealSample, makeProject, realSample, runCli } from './support/project.js';
import { startS3Server, type S3Server } from './support/s3-server.js';

// Staging loads from S3, through the real SDK against a real S3 protocol server on 127.0.0.1.

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let server: S3Server;
let env: Record<string, string>;
let s3: S3Client;

async function upload(bucket: string, root: string, prefix = ''): Promise<number> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const files = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  // A few at a time: s3rver writes each object to disk.
  for (let i = 0; i < files.length; i += 16) {
    await Promise.all(
      files.slice(i, i + 16).map((e) => {
        const full = path.join(e.parentPath, e.name);
        const key = prefix + path.relative(root, full).split(path.sep).join('/');
        return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(full) }));
      }),
    );
  }
  return files.length;
}

beforeAll(async () => {
  server = await startS3Server();
  const endpoint = server.endpoint;
  env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

const COUNTS = `select (select count(*) from fct_songplays) p, (select count(*) from dim_users) u, (select count(*) from dim_time) t,
  (select count(*) from dim_songs) s, (select count(*) from dim_artists) a, (select count(*) from fct_songplays where song_id is not null) l`;

describe.skipIf(!hasRealSample)('the real sample on S3', () => {
  it('builds the same warehouse from s3:// as from the local directory', async () => {
    const n = await upload('udacity-dend', realSample);
    expect(n).toBe(102);
    const p = makeProject();
    const r = await runCli(p.dir, ['build', '--vars', '{"data_path": "s3://udacity-dend"}'], env);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/OK created copy model public\.stg_events \.+ \[COPY 8056 in/);
    const show = await runCli(p.dir, ['show', '--output', 'json', '--inline', COUNTS], env);
    expect(Object.values((JSON.parse(show.stdout) as object[])[0]!)).toEqual([6820, 96, 6813, 71, 69, 1]);
  });
});

describe('S3 listing and errors', () => {
  it('pages through more than 1000 keys with continuation tokens', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'many-songs-'));
    const summary = await generateSample({ outDir: dir, events: 200, songs: 1040, users: 5, days: 1 });
    expect(summary.songFiles).toBeGreaterThan(1000);
    await upload('many-songs', dir, 'raw/');
    const p = makeProject();
    const r = await runCli(p.dir, ['run', '--select', 'stg_songs', '--vars', '{"data_path": "s3://many-songs/raw"}'], env);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain(`[COPY ${summary.songFiles} in`);
  });

  it('a missing bucket and denied access are clear errors, and the staging table is untouched', async () => {
    const p = makeProject();
    expect((await p.run('run', '--select', 'stg_songs')).code).toBe(0);
    const before = await showJson(p.dir, 'select count(*) as n from stg_songs');
    const missing = await runCli(p.dir, ['run', '--select', 'stg_songs', '--vars', '{"data_path": "s3://no-such-bucket"}'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("S3 bucket 'no-such-bucket' does not exist (s3://no-such-bucket/song_data)");
    await upload('private-bucket', path.join(p.dir, 'sample-data', 'song_data'), 'song_data/');
    // s3rver checks the access key id (not the signature's secret): an unknown key is a 403, as on AWS.
    const secret = 'a-secret-that-must-not-leak';
    const denied = await runCli(p.dir, ['run', '--select', 'stg_songs', '--vars', '{"data_path": "s3://private-bucket"}'], {
      ...env,
      AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN',
      AWS_SECRET_ACCESS_KEY: secret,
    });
    expect(denied.code).not.toBe(0);
    expect(denied.output).toContain('access denied to s3://private-bucket/song_data');
    expect(denied.output).not.toContain(secret);
    expect(await showJson(p.dir, 'select count(*) as n from stg_songs')).toEqual(before);
  });
});
