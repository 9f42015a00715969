import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { showJson } from './in-process.js';
import { makeProject, type Project } from './support/project.js';

// Bad staging input through the CLI, on the repo's own project: each case adds a new raw file (or breaks
// the model's JSONPaths file), runs the staging model, and checks the error names the file, line and what
// to do, and that stg_events holds exactly what it held before.

const event = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    artist: 'Some Artist',
    auth: 'Logged In',
    firstName: 'Ada',
    gender: 'F',
    itemInSession: 0,
    lastName: 'Lovelace',
    length: 200.5,
    level: 'free',
    location: 'London',
    method: 'PUT',
    page: 'NextSong',
    registration: 1540000000000,
    sessionId: 4242,
    song: 'Some Song',
    status: 200,
    ts: 1543600000000,
    userAgent: 'test',
    userId: '4242',
    ...over,
  });

describe('bad staging input, end to end', () => {
  let p: Project;
  let before: { n: number; h: string };
  const dir = 'sample-data/log_data/2099/01';
  const fingerprint = async (): Promise<{ n: number; h: string }> =>
    (await showJson<{ n: number; h: string }>(p.dir, "select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as h from stg_events t"))[0]!;

  /** Add `name` with `bytes`, run the staging model, and take the file away again. */
  const runWith = async (name: string, bytes: string | Buffer, ...args: string[]): Promise<Awaited<ReturnType<Project['run']>>> => {
    p.write(path.join(dir, name), '');
    fs.writeFileSync(path.join(p.dir, dir, name), bytes);
    try {
      return await p.run('run', '--select', 'stg_events', ...args);
    } finally {
      p.remove(path.join(dir, name));
    }
  };

  beforeAll(async () => {
    p = makeProject();
    const r = await p.run('run', '--select', 'stg_events');
    expect(r.code, r.output).toBe(0);
    before = await fingerprint();
    expect(before.n).toBeGreaterThan(1000);
  });

  it('a malformed JSON line: file and line, nothing loaded', async () => {
    const r = await runWith('malformed.json', `${event()}\n{"artist": "x", "auth"\n${event()}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('load failed: 1 row rejected (maxerror 0)');
    expect(r.stderr).toMatch(/2099\/01\/malformed\.json:2: malformed JSON/);
    expect(await fingerprint()).toEqual(before);
  });

  it('a value too long for its column: file, line, column and value', async () => {
    const r = await runWith('long.json', [event(), event(), event({ gender: 'x'.repeat(20) })].join('\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`2099/01/long.json:3 column gender: a value of 20 characters is longer than the column's 8; widen the column or set truncatecolumns (value: "${'x'.repeat(20)}")`);
    expect(await fingerprint()).toEqual(before);
  });

  it('a string in an integer column: file, line, column and value', async () => {
    const r = await runWith('string.json', [event({ sessionId: 'abc' }), event()].join('\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2099\/01\/string\.json:1 column session_id: .*'abc' is not an integer \(value: "abc"\)/);
    expect(await fingerprint()).toEqual(before);
  });

  it('invalid UTF-8: file and line', async () => {
    const bad = Buffer.concat([Buffer.from(`${event()}\n${event().slice(0, -20)}`), Buffer.from([0xff, 0xfe]), Buffer.from(`${event().slice(-20)}\n`)]);
    const r = await runWith('utf8.json', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2099\/01\/utf8\.json:2( column \w+)?: invalid UTF-8/);
    expect(await fingerprint()).toEqual(before);
    // acceptinvchars=false is off, as leaving it out is.
    const model = p.read('models/staging/stg_events.sql');
    p.write('models/staging/stg_events.sql', model.replace('{{config ', '{{config acceptinvchars=false '));
    try {
      const off = await runWith('utf8.json', bad);
      expect(off.code).toBe(1);
      expect(off.stderr).toMatch(/2099\/01\/utf8\.json:2( column \w+)?: invalid UTF-8/);
    } finally {
      p.write('models/staging/stg_events.sql', model);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('a truncated gzip file: named, nothing loaded', async () => {
    const gz = zlib.gzipSync(Buffer.from(Array.from({ length: 200 }, (_, i) => event({ itemInSession: i })).join('\n')));
    const r = await runWith('cut.json.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2099\/01\/cut\.json\.gz.*(truncated|unexpected end)/i);
    expect(await fingerprint()).toEqual(before);
  });

  it('a missing JSONPaths file names the model line and the path', async () => {
    const model = p.read('models/staging/stg_events.sql');
    p.write('models/staging/stg_events.sql', model.replace('format="log_json_path.json"', 'format="no_such_paths.json"'));
    try {
      const r = await p.run('run', '--select', 'stg_events', '--full-refresh');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('models/staging/stg_events.sql:1: the JSONPaths file of stg_events cannot be read:');
      expect(r.stderr).toContain('no_such_paths.json does not exist');
      expect(r.stderr).toContain('format="no_such_paths.json" names a JSONPaths file relative to data_path');
    } finally {
      p.write('models/staging/stg_events.sql', model);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('a JSONPaths file that is not valid JSON names its line and column', async () => {
    const paths = p.read('sample-data/log_json_path.json');
    const lines = paths.split('\n');
    const i = lines.findIndex((l) => l.includes("$['auth']"));
    lines[i] = lines[i]!.replace(',', ',,');
    p.write('sample-data/log_json_path.json', lines.join('\n'));
    try {
      const r = await p.run('run', '--select', 'stg_events', '--full-refresh');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`log_json_path.json:${i + 1}:`);
      expect(r.stderr).toContain("the JSONPaths file is not valid JSON: unexpected ','");
    } finally {
      p.write('sample-data/log_json_path.json', paths);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('a UTF-8 byte-order mark is skipped: the file loads', async () => {
    const r = await runWith('bom.json', `\uFEFF${event({ userId: 'bom1' })}\n${event({ userId: 'bom2' })}\n`);
    expect(r.code, r.output).toBe(0);
    const [after] = await showJson<{ n: number; bom: number }>(p.dir, "select count(*)::int as n, count(*) filter (where user_id like 'bom%')::int as bom from stg_events");
    expect(after).toEqual({ n: before.n + 2, bom: 2 });
  });
});
