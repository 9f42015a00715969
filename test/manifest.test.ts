import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import { parseManifest, resolveManifest, resolveUrl } from '../src/materialize/copy/manifest.js';
import { showJson } from './in-process.js';
import { makeProject, runCli, type Project } from './support/project.js';
import { startS3Server, type S3Server } from './support/s3-server.js';

// Redshift manifest files: a copy model with manifest="..." loads exactly the files the manifest lists.

const lines = (file: string): number => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length;

async function rejection(p: Promise<unknown>): Promise<SparkifyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SparkifyError);
    return err as SparkifyError;
  }
  throw new Error('expected a rejection');
}

describe('manifest parsing and resolution', () => {
  it('reads entries, mandatory defaulting to false as in Redshift, and content_length', () => {
    const text = '\uFEFF{"entries": [{"url": "s3://b/k1.json", "mandatory": true, "meta": {"content_length": 12}}, {"url": " log_data/a.json "}]}';
    expect(parseManifest(text, 'm.manifest')).toEqual([
      { url: 's3://b/k1.json', mandatory: true, contentLength: 12 },
      { url: 'log_data/a.json', mandatory: false },
    ]);
  });

  it('names the manifest and the entry in every error', () => {
    const err = (text: string): string => {
      try {
        parseManifest(text, 'manifests/x.manifest');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('{"entries": [')).toMatch(/^manifest manifests\/x\.manifest is not valid JSON: /);
    expect(err('{"files": []}')).toBe('manifest manifests/x.manifest has no "entries" list');
    expect(err('[]')).toBe('manifest manifests/x.manifest has no "entries" list');
    expect(err('{"entries": [{"url": "a"}, {"mandatory": true}]}')).toBe('manifest manifests/x.manifest, entry 2 has no "url"');
    expect(err('{"entries": [{"url": "a", "mandatory": "yes"}]}')).toBe('manifest manifests/x.manifest, entry 1 (a): "mandatory" must be true or false, not "yes"');
    expect(err('{"entries": [{"url": "a", "meta": {"content_length": -1}}]}')).toBe('manifest manifests/x.manifest, entry 1 (a): "meta.content_length" must be a whole number of bytes, not -1');
  });

  it('resolves relative urls against the data root, local or s3', () => {
    expect(resolveUrl('log_data/a.json', '/data')).toBe('/data/log_data/a.json');
    expect(resolveUrl('./a.json', 's3://bucket/raw/')).toBe('s3://bucket/raw/a.json');
    expect(resolveUrl('/abs/a.json', '/data')).toBe('/abs/a.json');
    expect(resolveUrl('s3://other/k', '/data')).toBe('s3://other/k');
  });

  it('finds each file; a missing mandatory entry is an error, a missing optional one is skipped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'd/a.json'), '{"x": 1}\n');
    fs.writeFileSync(path.join(dir, 'd/b.json'), '{"x": 2}\n{"x": 3}\n');
    const write = (entries: unknown[]): string => {
      const m = path.join(dir, 'm.manifest');
      fs.writeFileSync(m, JSON.stringify({ entries }));
      return m;
    };
    const ok = await resolveManifest(
      write([{ url: 'd/b.json', mandatory: true }, { url: path.join(dir, 'd/a.json'), meta: { content_length: 9 } }, { url: 'd/gone.json' }, { url: 'd/b.json' }]),
      dir,
    );
    expect(ok.files.map((f) => [f.display, f.size])).toEqual([
      ['d/b.json', 18],
      ['d/a.json', 9],
    ]);
    expect(ok.skipped).toEqual(['d/gone.json']);
    expect(ok.duplicates).toEqual(['d/b.json']);
    expect(ok.groups).toHaveLength(1);

    const missing = await rejection(resolveManifest(write([{ url: 'd/a.json', mandatory: true }, { url: 'd/nope.json', mandatory: true }]), dir));
    expect(missing.message).toBe("manifest m.manifest: mandatory entry 'd/nope.json' does not exist");
    expect(missing.exitCode).toBe(1);
    const length = await rejection(resolveManifest(write([{ url: 'd/a.json', meta: { content_length: 100 } }]), dir));
    expect(length.message).toBe("manifest m.manifest: entry 'd/a.json' has meta.content_length 100 but the file is 9 bytes");
    const folder = await rejection(resolveManifest(write([{ url: 'd' }]), dir));
    expect(folder.message).toBe('manifest entry d is not a file');
    const none = await rejection(resolveManifest(path.join(dir, 'no.manifest'), dir));
    expect(none.message).toContain('no.manifest does not exist');
  });
});

/** stg_events reading a manifest instead of a prefix. */
function manifestProject(): Project {
  const p = makeProject();
  p.write('models/staging/stg_events.sql', p.read('models/staging/stg_events.sql').replace('from="log_data"', 'manifest="manifests/events.manifest"'));
  return p;
}

const day = (d: number): string => `log_data/2018/11/2018-11-${String(d).padStart(2, '0')}-events.json`;

describe('copy models with a manifest', () => {
  it('load exactly the listed files, incrementally; a missing mandatory entry fails and changes nothing', async () => {
    const p = manifestProject();
    const data = fs.realpathSync(path.join(p.dir, 'sample-data'));
    const manifest = (entries: unknown[]): void => p.write('sample-data/manifests/events.manifest', JSON.stringify({ entries }, null, 2));
    const entries: unknown[] = [
      { url: day(1), mandatory: true },
      { url: day(2), mandatory: true },
      { url: path.join(data, day(3)), mandatory: true, meta: { content_length: fs.statSync(path.join(data, day(3))).size } },
      { url: 'log_data/2018/12/not-yet.json', mandatory: false },
    ];
    manifest(entries);
    const r = await p.run('run', '--select', 'stg_events');
    expect(r.code, r.output).toBe(0);
    const rows3 = [1, 2, 3].reduce((n, d) => n + lines(path.join(data, day(d))), 0);
    expect(r.stdout).toContain(`[COPY ${rows3} in`);
    expect(r.stderr).toContain("[WARNING] stg_events: manifest manifests/events.manifest: entry 'log_data/2018/12/not-yet.json' does not exist and is not mandatory: skipped");
    expect(await showJson(p.dir, `select count(*) as n from stg_events`)).toEqual([{ n: rows3 }]);
    expect(await showJson(p.dir, `select url from sparkify_loaded_files where model = 'stg_events' order by url`)).toEqual([1, 2, 3].map((d) => ({ url: path.join(data, day(d)) })));

    // A new entry: only its file is loaded.
    manifest([...entries, { url: day(4), mandatory: true }]);
    const more = await p.run('run', '--select', 'stg_events');
    expect(more.code, more.output).toBe(0);
    expect(more.stdout).toContain(`[COPY ${lines(path.join(data, day(4)))} (1 new file, 3 already loaded) in`);
    const before = await showJson(p.dir, 'select * from stg_events order by ts, session_id, item_in_session');

    // A mandatory entry that does not exist: exit 1 naming it, nothing loaded.
    manifest([...entries, { url: day(4), mandatory: true }, { url: day(5), mandatory: true }, { url: 'log_data/2018/11/missing.json', mandatory: true }]);
    const bad = await p.run('run', '--select', 'stg_events');
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("manifest manifests/events.manifest: mandatory entry 'log_data/2018/11/missing.json' does not exist");
    expect(bad.output).toContain('Nothing was loaded and the staging table is unchanged.');
    expect(await showJson(p.dir, 'select * from stg_events order by ts, session_id, item_in_session')).toEqual(before);
    expect(await showJson(p.dir, `select count(*) as n from sparkify_loaded_files where model = 'stg_events'`)).toEqual([{ n: 4 }]);
  }, 400_000);

  it('a manifest with no files to load is a warning, table unchanged; from and manifest together are an error', async () => {
    const p = manifestProject();
    p.write('sample-data/manifests/events.manifest', JSON.stringify({ entries: [{ url: 'log_data/none.json', mandatory: false }] }));
    const r = await p.run('run', '--select', 'stg_events');
    expect(r.code, r.output).toBe(0);
    expect(r.stderr).toContain('[WARNING] stg_events: no files to load in manifest manifests/events.manifest: nothing loaded, table unchanged');
    p.write('models/staging/stg_events.sql', p.read('models/staging/stg_events.sql').replace('manifest=', 'from="log_data" manifest='));
    const both = await p.run('run', '--select', 'stg_events');
    // A configuration error, found at compile time before anything runs.
    expect(both.code).toBe(2);
    expect(both.output).toMatch(/models\/staging\/stg_events\.sql:1:\d+: a copy model sets both 'from' and 'manifest'/);
    expect(both.output).not.toContain('START');
  }, 400_000);
});

describe('a manifest on S3', () => {
  let server: S3Server | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('loads the s3:// files it lists, and a missing mandatory key is an error naming it', async () => {
    server = await startS3Server();
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const env = { AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
    const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const p = manifestProject();
    const local = path.join(p.dir, 'sample-data');
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'raw' }));
      const put = (key: string, body: string | Buffer): Promise<unknown> => s3.send(new PutObjectCommand({ Bucket: 'raw', Key: key, Body: body }));
      await put('log_json_path.json', fs.readFileSync(path.join(local, 'log_json_path.json')));
      for (const d of [1, 2, 3]) await put(day(d), fs.readFileSync(path.join(local, day(d))));
      // 'day(1).json.gz'-like neighbours share the key as a prefix: only the exact key is loaded.
      await put(`${day(1)}.bak`, fs.readFileSync(path.join(local, day(4))));
      const entries = [
        { url: `s3://raw/${day(1)}`, mandatory: true },
        { url: day(2), mandatory: true },
        { url: `s3://raw/${day(3)}`, mandatory: false },
      ];
      await put('manifests/events.manifest', JSON.stringify({ entries }));
      const vars = ['--vars', '{"data_path": "s3://raw"}'];
      const r = await runCli(p.dir, ['run', '--select', 'stg_events', ...vars], env);
      expect(r.code, r.output).toBe(0);
      const rows = [1, 2, 3].reduce((n, d) => n + lines(path.join(local, day(d))), 0);
      expect(r.stdout).toContain(`[COPY ${rows} in`);
      expect(await showJson(p.dir, `select url from sparkify_loaded_files where model = 'stg_events' order by url`)).toEqual([1, 2, 3].map((d) => ({ url: `s3://raw/${day(d)}` })));

      await put('manifests/events.manifest', JSON.stringify({ entries: [...entries, { url: 's3://raw/log_data/2018/11/missing.json', mandatory: true }] }));
      const bad = await runCli(p.dir, ['run', '--select', 'stg_events', ...vars], env);
      expect(bad.code).toBe(1);
      expect(bad.output).toContain("manifest manifests/events.manifest: mandatory entry 'log_data/2018/11/missing.json' does not exist");
      expect(await showJson(p.dir, 'select count(*) as n from stg_events')).toEqual([{ n: rows }]);
    } finally {
      s3.destroy();
    }
  }, 400_000);
});
