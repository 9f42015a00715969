import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import { mulberry32 } from '../src/generate/sample.js';
import type { ColumnType } from '../src/load/convert.js';
import { converterFor } from '../src/load/convert.js';
import { loadJson, type LoadResult, type LoadSpec } from '../src/load/copy.js';
import { FileDecoder } from '../src/load/decode.js';
import { compilePlan, MAX_JSON_VALUE_BYTES, type DecodePlan, type JsonFormat } from '../src/load/plan.js';
import { localFiles, type FileRef, type FileSource } from '../src/load/sources/index.js';
import { formatLoadProgress } from '../src/load/progress.js';
import { consoleLogger } from '../src/run/log.js';
import { epochMsText } from '../src/load/time.js';
import { closeDecodeWorkers } from '../src/load/pool/workers.js';
import { openPostgres } from '../src/warehouse/postgres.js';
import type { Session, Warehouse } from '../src/warehouse/types.js';
import { closeLoadFixture, fileSetWriter, openLoadFixture, tableColumns } from './support/load-fixture.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { startS3Server, type S3Server } from './support/s3-server.js';
import type { CopyOptions, RejectedRow } from '../src/core/copy.js';
import type { LoadProgress } from '../src/core/progress.js';

// The streaming loader: gzip, bad bytes on the read path, values larger than the maximum, the decode
// workers against the main-thread path, and the byte-level fast path against JSON.parse.

const OPTS: CopyOptions = { timeformat: 'auto', blanksasnull: false, emptyasnull: false, truncatecolumns: false };

let tmp: string;
let wh: Warehouse;
let writeFiles: (files: Record<string, string | Buffer>) => string;

beforeAll(async () => {
  ({ tmp, wh } = await openLoadFixture('sparkify-load-stream-'));
  writeFiles = fileSetWriter(tmp);
});

afterAll(async () => {
  await closeDecodeWorkers();
  await closeLoadFixture({ tmp, wh });
});

function columnsOf(session: Session, table: string): Promise<ColumnType[]> {
  return tableColumns(wh, session, 'public', table);
}

async function createTable(table: string, ddl: string): Promise<void> {
  await wh.driver.exec(`drop table if exists ${table}; create table ${table} (${ddl})`);
}

interface LoadOpts {
  options?: Partial<LoadSpec['options']>;
  format?: JsonFormat;
  workers?: number;
  source?: FileSource;
  maxValueBytes?: number;
  onProgress?: (p: LoadProgress) => void;
  copyFormat?: 'text' | 'binary';
}

async function loadDir(table: string, dir: string, opts: LoadOpts = {}): Promise<LoadResult> {
  const list = await localFiles.list(dir);
  return wh.driver.transaction(async (tx) =>
    loadJson(tx, {
      relation: { schema: 'public', identifier: table },
      columns: await columnsOf(tx, table),
      files: list,
      source: opts.source ?? localFiles,
      format: opts.format ?? { kind: 'auto', ignoreCase: false },
      options: { ...OPTS, maxerror: 0, ...opts.options },
      workers: opts.workers ?? 0,
      ...(opts.maxValueBytes !== undefined ? { maxValueBytes: opts.maxValueBytes } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.copyFormat ? { copyFormat: opts.copyFormat } : {}),
    }),
  );
}

function load(table: string, files: Record<string, string | Buffer>, opts: LoadOpts = {}): Promise<LoadResult> {
  return loadDir(table, writeFiles(files), opts);
}

/** Every column as Postgres prints it (::text), in physical order (the order COPY wrote the rows). */
async function tableText(table: string): Promise<string[]> {
  const cols = await columnsOf(wh.driver, table);
  const res = await wh.driver.query(`select concat_ws('|', ${cols.map((c) => `coalesce(${wh.dialect.quote(c.name)}::text, '∅')`).join(', ')}) as r from ${table} order by ctid`);
  return res.rows.map((r) => String(r.r));
}

async function loadError(p: Promise<unknown>): Promise<SparkifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SparkifyError);
  return err as SparkifyError;
}

/** The message JSON.parse gives for this text, as the loader reports it. */
function parseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return `malformed JSON: ${(err as Error).message}`;
  }
  throw new Error(`${text} parses`);
}

/** A FileSource over in-memory files that streams each in chunks of `size` bytes (to split values, BOMs). */
function chunkedSource(files: Record<string, Buffer>, size: number): { source: FileSource; refs: FileRef[] } {
  const refs = Object.entries(files).map(([name, b]) => ({ url: `mem://${name}`, display: name, size: b.length, mtimeMs: 0 }));
  const source: FileSource = {
    list: () => Promise.resolve(refs),
    read: (f) => Promise.resolve(files[f.display]!),
    readText: () => Promise.reject(new Error('not here')),
    open: (f) => {
      const b = files[f.display]!;
      const parts: Buffer[] = [];
      for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
      return Readable.from(parts, { objectMode: false });
    },
  };
  return { source, refs };
}

// ---------------------------------------------------------------------------------------------------------

describe('gzip', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i, name: `name ${i}`, ts: 1541105830796 + i })).join('\n');

  it('reads .gz files as gzip, and other files too with the gzip option', async () => {
    await createTable('t_gz', 'id integer, name varchar(16), ts timestamp');
    const bySuffix = await load('t_gz', { 'a.json.gz': zlib.gzipSync(lines), 'b.json': '{"id": -1, "name": "plain"}\n' }, { options: { timeformat: 'epochmillisecs' } });
    expect(bySuffix).toMatchObject({ files: 2, rows: 5001, rejected: [] });
    expect(bySuffix.bytes).toBe(zlib.gzipSync(lines).length + Buffer.byteLength('{"id": -1, "name": "plain"}\n'));
    const rows = await tableText('t_gz');
    expect(rows[0]).toBe('0|name 0|2018-11-01 20:57:10.796');
    expect(rows[4999]).toBe('4999|name 4999|2018-11-01 20:57:15.795');
    expect(rows[5000]).toBe('-1|plain|∅');

    await createTable('t_gz_opt', 'id integer, name varchar(16), ts timestamp');
    const byOption = await load('t_gz_opt', { 'part-0000': zlib.gzipSync(lines) }, { options: { timeformat: 'epochmillisecs', gzip: true } });
    expect(byOption).toMatchObject({ files: 1, rows: 5000, rejected: [] });
    expect(await tableText('t_gz_opt')).toEqual(rows.slice(0, 5000));
  });

  it('reads gzip through the decode workers, and concatenated gzip members as one file', async () => {
    await createTable('t_gz_workers', 'id integer, name varchar(16), ts timestamp');
    const half = lines.split('\n');
    const twoMembers = Buffer.concat([zlib.gzipSync(half.slice(0, 2500).join('\n') + '\n'), zlib.gzipSync(half.slice(2500).join('\n'))]);
    const r = await load('t_gz_workers', { 'a.json.gz': twoMembers, 'b.json.gz': zlib.gzipSync('{"id": -1}') }, { workers: 2, options: { timeformat: 'epochmillisecs' } });
    expect(r).toMatchObject({ files: 2, rows: 5001, rejected: [] });
    expect((await tableText('t_gz_workers')).slice(0, 2)).toEqual(['0|name 0|2018-11-01 20:57:10.796', '1|name 1|2018-11-01 20:57:10.797']);
  });

  it('fails the whole load on a truncated gzip file, naming it, and leaves the table as it was', async () => {
    await createTable('t_gz_trunc', 'id integer, name varchar(16), ts timestamp');
    await load('t_gz_trunc', { 'old.json': '{"id": 1, "name": "kept"}\n' });
    const gz = zlib.gzipSync(lines);
    for (const workers of [0, 1]) {
      const dir = writeFiles({ 'a-good.json.gz': gz, 'b-cut.json.gz': gz.subarray(0, Math.floor(gz.length / 2)) });
      const err = await loadError(
        wh.driver.transaction(async (tx) => {
          await tx.exec('delete from t_gz_trunc');
          return loadJson(tx, {
            relation: { schema: 'public', identifier: 't_gz_trunc' },
            columns: await columnsOf(tx, 't_gz_trunc'),
            files: await localFiles.list(dir),
            source: localFiles,
            format: { kind: 'auto', ignoreCase: false },
            // maxerror does not help: a broken file is not a rejected row.
            options: { ...OPTS, timeformat: 'epochmillisecs', maxerror: 100 },
            workers,
          });
        }),
      );
      expect(err.message).toBe('load failed: b-cut.json.gz is a truncated gzip file (unexpected end of file)');
      expect(err.exitCode).toBe(1);
      expect(err.hint).toBe('The load failed and the staging table is unchanged. Replace or remove the file, then run again.');
      expect(await tableText('t_gz_trunc')).toEqual(['1|kept|∅']);
    }
  });

  it('says when a file given as gzip is not gzip', async () => {
    await createTable('t_gz_not', 'id integer');
    const err = await loadError(load('t_gz_not', { 'x.json': '{"id": 1}\n' }, { options: { gzip: true } }));
    expect(err.message).toBe('load failed: x.json is not gzip data (incorrect header check)');
  });
});

describe('ignoreheader', () => {
  const header = 'this file was exported by tool X, version 3 {not json\n# columns: k, s\n';
  const files = {
    'a.json': `\uFEFF${header}{"k": 1, "s": "a"}\n{"k": "x", "s": "b"}\n{"k": 3, "s": "c"}\n`,
    'b.json': `${header}{"k": 4, "s": "d"}\n`,
    'c.json': 'only one line, no newline',
  };

  it('skips that many lines of each file, counting them in line numbers, on either path', async () => {
    for (const workers of [0, 2]) {
      await createTable('t_header', 'k integer, s varchar(4)');
      const r = await load('t_header', files, { workers, options: { ignoreheader: 2, maxerror: 1 } });
      expect(r.rows).toBe(3);
      expect(r.rejected.map((e) => `${e.file}:${e.line} ${e.column}`)).toEqual(['a.json:4 k']);
      expect(await tableText('t_header')).toEqual(['1|a', '3|c', '4|d']);
    }
  });

  it('reads past a header that straddles the chunks the file arrives in', () => {
    const plan: DecodePlan = {
      columns: [
        { name: 'k', dataType: 'integer', maxLength: null },
        { name: 's', dataType: 'character varying', maxLength: 4 },
      ],
      format: { kind: 'auto', ignoreCase: false },
      options: { ...OPTS, maxerror: 10, ignoreheader: 2 },
      maxValueBytes: MAX_JSON_VALUE_BYTES,
      chunkBytes: 64,
      fastPath: true,
      binary: false,
    };
    for (const chunk of [1, 2, 7, 1000]) {
      const out = decodeAll(plan, Object.entries(files).map(([n, t]) => [n, Buffer.from(t)]), chunk);
      expect(out.text, `chunk ${chunk}`).toBe('1\ta\n3\tc\n4\td\n');
      expect(out.rejects.map((e) => `${e.file}:${e.line}`), `chunk ${chunk}`).toEqual(['a.json:4']);
    }
  });

  it('without it, the header lines are rejected rows', async () => {
    await createTable('t_noheader', 'k integer, s varchar(4)');
    const err = await loadError(load('t_noheader', { 'b.json': files['b.json'] }));
    expect(err.message).toMatch(/b\.json:1: malformed JSON/);
  });
});

describe('bad bytes on the read path', () => {
  it('skips a UTF-8 byte-order mark, even when it arrives split across chunks', async () => {
    await createTable('t_bom', 'id integer, name text');
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id": 1, "name": "après"}\n{"id": 2, "name": "x"}\n')]);
    for (const size of [1, 2, 3, 1 << 20]) {
      for (const workers of [0, 1]) {
        await wh.driver.exec('truncate t_bom');
        const { source, refs } = chunkedSource({ 'bom.json': file }, size);
        const r = await wh.driver.transaction(async (tx) =>
          loadJson(tx, {
            relation: { schema: 'public', identifier: 't_bom' },
            columns: await columnsOf(tx, 't_bom'),
            files: refs,
            source,
            format: { kind: 'auto', ignoreCase: false },
            options: { ...OPTS, maxerror: 0 },
            workers,
          }),
        );
        expect(r).toMatchObject({ rows: 2, rejected: [] });
        expect(await tableText('t_bom')).toEqual(['1|après', '2|x']);
      }
    }
    // A BOM later in a file is not skipped: it is not JSON.
    const r = await load('t_bom', { 'x.json': '{"id": 3}\n\uFEFF{"id": 4}\n' }, { options: { maxerror: 1 } });
    expect(r.rejected).toEqual([{ file: 'x.json', line: 2, column: '', raw: '\uFEFF{"id": 4}', reason: parseMessage('\uFEFF{"id": 4}') }]);
  });

  // Bytes that are not UTF-8: 0xff can never appear; 0xc3 0x28 is a lead byte without its continuation;
  // 0xed 0xa0 0x80 is a UTF-16 surrogate written as UTF-8 (three invalid bytes).
  const invalid = Buffer.concat([
    Buffer.from('{"id": 1, "name": "ok"}\n{"id": 2, "name": "bad '),
    Buffer.from([0xff]),
    Buffer.from(' byte"}\n{"id": 3, "name": "lead '),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"}\n{"id": 4, "name": "surrogate '),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from('!"}\n{"id": 5, "name": "fine é"}\n'),
  ]);

  it('rejects invalid UTF-8 with file, line, column and the byte, on either path', async () => {
    await createTable('t_utf8', 'id integer, name text');
    for (const workers of [0, 1]) {
      await wh.driver.exec('truncate t_utf8');
      const r = await load('t_utf8', { 'x.json': invalid }, { options: { maxerror: 3 }, workers });
      expect(r.rejected).toEqual([
        { file: 'x.json', line: 2, column: 'name', raw: 'bad \uFFFD byte', reason: 'invalid UTF-8 (byte 0xff); set acceptinvchars to replace it' },
        { file: 'x.json', line: 3, column: 'name', raw: 'lead \uFFFD(', reason: 'invalid UTF-8 (byte 0xc3); set acceptinvchars to replace it' },
        { file: 'x.json', line: 4, column: 'name', raw: 'surrogate \uFFFD\uFFFD\uFFFD!', reason: 'invalid UTF-8 (byte 0xed); set acceptinvchars to replace it' },
      ]);
      expect(await tableText('t_utf8')).toEqual(['1|ok', '5|fine é']);
    }
  });

  it('fails the load on invalid UTF-8 with maxerror 0, naming file and line', async () => {
    await createTable('t_utf8_fail', 'id integer, name text');
    const err = await loadError(load('t_utf8_fail', { 'x.json': invalid }));
    expect(err.message).toBe(
      'load failed: 1 row rejected (maxerror 0)\n  x.json:2 column name: invalid UTF-8 (byte 0xff); set acceptinvchars to replace it (value: "bad \uFFFD byte")',
    );
    expect(err.location).toEqual({ file: 'x.json', line: 2, column: 0 });
  });

  it('with acceptinvchars replaces each invalid byte, as Redshift does', async () => {
    await createTable('t_utf8_accept', 'id integer, name text');
    const r = await load('t_utf8_accept', { 'x.json': invalid }, { options: { acceptinvchars: '?' } });
    expect(r).toMatchObject({ rows: 5, rejected: [] });
    expect(await tableText('t_utf8_accept')).toEqual(['1|ok', '2|bad ? byte', '3|lead ?(', '4|surrogate ???!', '5|fine é']);
    await wh.driver.exec('truncate t_utf8_accept');
    await load('t_utf8_accept', { 'x.json': invalid }, { options: { acceptinvchars: '^' }, workers: 1 });
    expect(await tableText('t_utf8_accept')).toEqual(['1|ok', '2|bad ^ byte', '3|lead ^(', '4|surrogate ^^^!', '5|fine é']);
  });

  it('rejects a malformed JSON line with the parser message, on either path', async () => {
    await createTable('t_malformed', 'id integer, name text');
    for (const workers of [0, 1]) {
      await wh.driver.exec('truncate t_malformed');
      const r = await load('t_malformed', { 'x.json': '{"id": 1}\n{"id": 2, "name": }\n{"id": 3,, "name": "x"}\n{"id": 4}\n' }, { options: { maxerror: 2 }, workers });
      expect(r.rejected).toEqual([
        { file: 'x.json', line: 2, column: '', raw: '{"id": 2, "name": }', reason: parseMessage('{"id": 2, "name": }') },
        { file: 'x.json', line: 3, column: '', raw: '{"id": 3,, "name": "x"}', reason: parseMessage('{"id": 3,, "name": "x"}') },
      ]);
      expect(await tableText('t_malformed')).toEqual(['1|∅', '4|∅']);
    }
  });
});

describe('a value over the maximum size', () => {
  const big = `{"id": 2, "payload": "${'x'.repeat(50 * 1024 * 1024)}"}`;

  it('rejects a 50 MB line with file and line, reads past it, and loads the rest', async () => {
    await createTable('t_huge', 'id integer, payload text');
    const file = `{"id": 1, "payload": "small"}\n${big}\n{"id": 3, "payload": "after"}\n`;
    for (const workers of [0, 1]) {
      await wh.driver.exec('truncate t_huge');
      const r = await load('t_huge', { 'huge.json': file }, { options: { maxerror: 1 }, workers });
      expect(r.rows).toBe(2);
      expect(r.rejected).toEqual([
        {
          file: 'huge.json',
          line: 2,
          column: '',
          raw: `${big.slice(0, 200)}…`,
          reason: `the JSON value is ${big.length} bytes long, over the maximum of 4194304 bytes for one JSON object (4 MB, Redshift's limit)`,
        },
      ]);
      expect(await tableText('t_huge')).toEqual(['1|small', '3|after']);
    }
    expect(MAX_JSON_VALUE_BYTES).toBe(4 * 1024 * 1024);
  });

  it('fails the load on it with maxerror 0', async () => {
    await createTable('t_huge_fail', 'id integer, payload text');
    const err = await loadError(load('t_huge_fail', { 'huge.json': `{"id": 1}\n\n${big}` }));
    expect(err.message).toBe(
      `load failed: 1 row rejected (maxerror 0)\n  huge.json:3: the JSON value is ${big.length} bytes long, over the maximum of 4194304 bytes for one JSON object (4 MB, Redshift's limit) (value: ${JSON.stringify(`${big.slice(0, 200)}…`)})`,
    );
    expect(await tableText('t_huge_fail')).toEqual([]);
  });

  it('loads a 3 MB value, whole, straddling many chunks; a lower maximum can be set', async () => {
    await createTable('t_large', 'id integer, payload text');
    const payload = 'é'.repeat(1_500_000); // 3 MB of UTF-8
    const r = await load('t_large', { 'x.json': `{"id": 1, "payload": "${payload}"}\n{"id": 2, "payload": "y"}` });
    expect(r).toMatchObject({ rows: 2, rejected: [] });
    const [row] = (await wh.driver.query(`select length(payload) as n, payload = $1 as same from t_large where id = 1`, [payload])).rows;
    expect(row).toEqual({ n: 1_500_000, same: true });
    const small = await load('t_large', { 'x.json': '{"id": 3, "payload": "0123456789"}\n{"id": 4}' }, { maxValueBytes: 20, options: { maxerror: 1 } });
    expect(small.rejected.map((e) => e.reason)).toEqual(['the JSON value is 34 bytes long, over the maximum of 20 bytes for one JSON object']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The decode workers against the main thread, and the fast path against JSON.parse.

/** Files that exercise both the fast path and the generic one, with rejects. */
function mixedFiles(): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {};
  for (let f = 0; f < 5; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = f * 10000 + i;
      const o: Record<string, unknown> = { k, s: `row ${k} \\ "quoted" \t tab é 😀`, n: k % 7 === 0 ? null : k / 8, ts: 1541105830796 + k * 1000, b: k % 2 === 0 };
      if (i % 97 === 0) o.s = 'x'.repeat(40); // too long: a reject
      if (i % 101 === 0) o.n = 'not a number'; // a reject
      if (i % 13 === 0) delete o.b;
      if (i % 17 === 0) o.extra = { nested: [1, 2, { a: 'b' }] }; // generic path, same row
      lines.push(i % 29 === 0 ? JSON.stringify(o, null, 2) : JSON.stringify(o));
    }
    files[`part-${f}.json`] = `${lines.join(f % 2 ? '\r\n' : '\n')}\n`;
  }
  return files;
}

describe('decode workers', () => {
  it('load byte-identical table contents to the main-thread path, with the same rejects', async () => {
    const ddl = 'k integer, s varchar(32), n double precision, ts timestamp, b boolean';
    const dir = writeFiles(mixedFiles());
    await createTable('t_main', ddl);
    await createTable('t_workers', ddl);
    const opts: LoadOpts = { options: { timeformat: 'epochmillisecs', maxerror: 1000 } };
    const main = await loadDir('t_main', dir, { ...opts, workers: 0 });
    const workers = await loadDir('t_workers', dir, { ...opts, workers: 2 });
    expect(workers).toEqual(main);
    expect(main.rows).toBe(15000 - main.rejected.length);
    expect(main.rejected.length).toBeGreaterThan(100);
    const a = await tableText('t_main');
    const b = await tableText('t_workers');
    expect(b.length).toBe(a.length);
    expect(b).toEqual(a);
    const hash = (t: string): Promise<unknown> => wh.driver.query(`select md5(string_agg(x::text, '|' order by ctid)) as h from ${t} x`).then((r) => r.rows[0]!.h);
    expect(await hash('t_workers')).toBe(await hash('t_main'));
  });

  it('report rejects with exact file, line, column, value and reason', async () => {
    await createTable('t_worker_rejects', 'k integer, s varchar(4)');
    const files = {
      'a.json': '{"k": 1, "s": "ok"}\n{"k": 2, "s": "toolong"}\n{"k": "x", "s": "ok"}\n',
      'b.json': '{\n  "k": 4,\n  "s": "ok"\n}\n{\n  "k": 5.5\n}\n[6]\n',
    };
    const r = await load('t_worker_rejects', files, { workers: 2, options: { maxerror: 10 } });
    expect(r.rejected).toEqual([
      { file: 'a.json', line: 2, column: 's', raw: 'toolong', reason: "a value of 7 characters is longer than the column's 4; widen the column or set truncatecolumns" },
      { file: 'a.json', line: 3, column: 'k', raw: 'x', reason: "invalid digit: 'x' is not an integer" },
      { file: 'b.json', line: 5, column: 'k', raw: '5.5', reason: '5.5 is not a whole number for a integer column' },
      { file: 'b.json', line: 8, column: '', raw: '[6]', reason: 'not a JSON object' },
    ]);
    expect(await tableText('t_worker_rejects')).toEqual(['1|ok', '4|ok']);
    // Past maxerror the load fails with the same first rejects, in file order.
    const err = await loadError(load('t_worker_rejects', files, { workers: 2, options: { maxerror: 2 } }));
    expect(err.message.split('\n').slice(0, 4)).toEqual([
      'load failed: 3 rows rejected (maxerror 2)',
      "  a.json:2 column s: a value of 7 characters is longer than the column's 4; widen the column or set truncatecolumns (value: \"toolong\")",
      '  a.json:3 column k: invalid digit: \'x\' is not an integer (value: "x")',
      '  b.json:5 column k: 5.5 is not a whole number for a integer column (value: "5.5")',
    ]);
  });

  it('reports progress and ends with a done report', async () => {
    await createTable('t_progress', 'k integer, s varchar(32), n double precision, ts timestamp, b boolean');
    const seen: LoadProgress[] = [];
    const r = await load('t_progress', mixedFiles(), { workers: 1, options: { timeformat: 'epochmillisecs', maxerror: 1000 }, onProgress: (p) => seen.push(p) });
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ done: true, files: 5, totalFiles: 5, rows: r.rows, bytes: r.bytes, totalBytes: r.bytes });
    expect(formatLoadProgress('stg', { ...last, elapsedMs: 2000, bytes: 4 * 2 ** 20, totalBytes: 8 * 2 ** 20 }, true)).toBe(
      `stg [##########··········] 5/5 files  ${r.rows.toLocaleString('en-US')} rows  2.0 MB/s`,
    );
    // On a terminal: one status line for every running load, cleared for each log line and drawn again.
    const written: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const log = consoleLogger(tty, tty);
    const a = log.loadProgress!('stg_a');
    const b = log.loadProgress!('stg_b');
    a({ ...last, done: false });
    b({ ...last, done: false });
    log.info('hello');
    a(last);
    b(last);
    const barA = formatLoadProgress('stg_a', { ...last, done: false }, true);
    const barB = formatLoadProgress('stg_b', { ...last, done: false }, true);
    expect(written.join('')).toBe(
      `\r\x1b[2K${barA}` +
        `\r\x1b[2K\r\x1b[2K${barA}  |  ${barB}` +
        `\r\x1b[2K${written.find((w) => w.endsWith('  hello\n'))}\r\x1b[2K${barA}  |  ${barB}` +
        `\r\x1b[2K\r\x1b[2K${barB}` +
        '\r\x1b[2K',
    );
    // Otherwise: a plain log line every plainEveryMs, none at the end.
    const lines: string[] = [];
    const plain = consoleLogger({ write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream, process.stderr, { plainEveryMs: 1000 }).loadProgress!('stg');
    plain({ ...last, done: false, elapsedMs: 500 });
    plain({ ...last, done: false, elapsedMs: 1500 });
    plain({ ...last, done: false, elapsedMs: 1600 });
    plain(last);
    expect(lines.map((l) => l.slice(10))).toEqual([`${formatLoadProgress('stg', { ...last, done: false, elapsedMs: 1500 }, false)}\n`]);
  });
});

/** Edge values for every type with a binary form, and rows that go through the generic path. */
const EDGE_DDL = 'k integer, si smallint, bi bigint, d double precision, f boolean, ts timestamp, tz timestamptz, v varchar(12), c char(4), t text';
function edgeFile(): string {
  const rows: Record<string, unknown>[] = [
    { k: 1, si: -32768, bi: '9223372036854775807', d: 246.30812, f: true, ts: 1541105830796, tz: 1541105830796, v: 'héllo😀', c: 'ab', t: 'tab\there\nnew\\line' },
    { k: 2, si: 32767, bi: '-9223372036854775808', d: -0.5, f: 0, ts: -62135596800000, tz: 253402300799999, v: '', c: '', t: '' },
    { k: 3, si: '7', bi: 1540991795796, d: '1e-300', f: 'yes', ts: '1541105830796', tz: -1, v: '  ', c: 'abcd', t: '\\N' },
    { k: 4, bi: 9007199254740993, d: 1e21, f: 1, ts: 0, tz: 0.9, v: 'x', t: '\u0001\u007f' },
    { k: 5, si: null, bi: -1, d: '0.1', f: 'f', ts: 1541105830, tz: '1541105830796.9', v: '\u00e9\t\"', c: 'é', t: { nested: [1, 'two'] } },
    { k: 6, si: true, bi: false, d: '-0', f: false, ts: 951782400000, tz: 951868799999, v: 'abcdefghijkl', c: null, t: 12.5 },
  ];
  return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

describe('binary COPY', () => {
  it('loads exactly the values of the text format (fast and generic paths, edge values)', async () => {
    const files = { ...mixedFiles(), 'z-edge.json': edgeFile() };
    const dir = writeFiles(files);
    const mixedDdl = 'k integer, s varchar(32), n double precision, ts timestamp, b boolean';
    for (const [table, ddl, opts] of [
      ['mixed', mixedDdl, { timeformat: 'epochmillisecs', maxerror: 1000 }],
      ['edge', EDGE_DDL, { timeformat: 'epochmillisecs', maxerror: 1000 }],
      ['edge_secs', EDGE_DDL, { timeformat: 'epochsecs', maxerror: 100000, emptyasnull: true, blanksasnull: true }],
    ] as const) {
      await createTable(`t_${table}_text`, ddl);
      await createTable(`t_${table}_binary`, ddl);
      const text = await loadDir(`t_${table}_text`, dir, { options: opts, copyFormat: 'text' });
      const binary = await loadDir(`t_${table}_binary`, dir, { options: opts, copyFormat: 'binary', workers: 1 });
      expect(binary).toEqual(text);
      expect(text.rows).toBeGreaterThan(0);
      expect(await tableText(`t_${table}_binary`)).toEqual(await tableText(`t_${table}_text`));
    }
    expect((await tableText('t_edge_text')).slice(-6)).toEqual([
      '1|-32768|9223372036854775807|246.30812|true|2018-11-01 20:57:10.796|2018-11-01 20:57:10.796+00|héllo😀|ab|tab\there\nnew\\line',
      '2|32767|-9223372036854775808|-0.5|false|0001-01-01 00:00:00|9999-12-31 23:59:59.999+00|||',
      '3|7|1540991795796|1e-300|true|2018-11-01 20:57:10.796|1969-12-31 23:59:59.999+00|  |abcd|\\N',
      '4|∅|9007199254740992|1e+21|true|1970-01-01 00:00:00|1970-01-01 00:00:00+00|x|∅|\u0001\u007f',
      '5|∅|-1|0.1|false|1970-01-18 20:05:05.83|2018-11-01 20:57:10.796+00|é\t"|é|{"nested":[1,"two"]}',
      '6|1|0|-0|false|2000-02-29 00:00:00|2000-02-29 23:59:59.999+00|abcdefghijkl|∅|12.5',
    ]);
  });

  it('is used only when every column has a binary form', async () => {
    await createTable('t_json', 'k integer, j jsonb');
    const r = await load('t_json', { 'x.json': '{"k": 1, "j": {"a": [1, 2]}}\n' }, { copyFormat: 'binary' });
    expect(r.rows).toBe(1);
    expect(await tableText('t_json')).toEqual(['1|{"a": [1, 2]}']);
  });
});

/** Decode `files` with a plan; all rows and rejects, in order. */
function decodeAll(plan: DecodePlan, files: [string, Buffer][], chunk: number): { text: string; bytes: Buffer; rejects: RejectedRow[]; rows: number; fastRows: number } {
  const compiled = compilePlan(plan);
  const out: Buffer[] = [];
  const rejects: RejectedRow[] = [];
  let rows = 0;
  let fastRows = 0;
  for (const [name, bytes] of files) {
    const d = new FileDecoder(compiled, name, (c) => {
      out.push(Buffer.from(c.bytes));
      rejects.push(...c.rejects);
    });
    for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk));
    d.end();
    rows += d.rows;
    fastRows += d.fastRows;
  }
  const bytes = Buffer.concat(out);
  return { text: bytes.toString('utf8'), bytes, rejects, rows, fastRows };
}


describe('splitting a file into JSON values', () => {
  // Every value here is rejected on purpose (a string in an integer column, or not JSON at all), so the
  // rejects say where each value was found: its line, and what it held. Fed whole and byte by byte.
  const plan: DecodePlan = {
    columns: [{ name: 'a', dataType: 'integer', maxLength: null }],
    format: { kind: 'auto', ignoreCase: false },
    options: { ...OPTS, maxerror: 1000 },
    maxValueBytes: MAX_JSON_VALUE_BYTES,
    chunkBytes: 64,
    fastPath: true,
    binary: false,
  };
  const found = (text: string): string[] => {
    const [whole, ...rest] = [1000, 1, 3].map((chunk) => decodeAll(plan, [['f.json', Buffer.from(text)]], chunk).rejects.map((e) => `${e.line} ${e.raw || e.reason}`));
    for (const r of rest) expect(r).toEqual(whole);
    return whole!;
  };

  it('finds one value a line, with its line number', () => {
    expect(found('{"a":"x"}\n{"a":"y"}\n{"a":"z"}\n')).toEqual(['1 x', '2 y', '3 z']);
  });

  it('finds several objects on one line, with and without separators, and after blank lines', () => {
    expect(found('{"a":"p"} {"a":"q"}{"a":"r"}\n\n  {"a":"s"}')).toEqual(['1 p', '1 q', '1 r', '3 s']);
  });

  it('keeps one object spread over many lines whole, at the line it starts on', () => {
    expect(found('\n{\n  "b": {\n    "c": [1,\n 2]\n  },\n "a": "x"\n}\n{"a": "y"}\n')).toEqual(['2 x', '9 y']);
  });

  it('counts CRLF line ends; ignores braces and quotes inside strings', () => {
    expect(found('{"a":"}{"}\r\n\r\n{"a":"\\"{["}\r\n{"a":"w"}')).toEqual(['1 }{', '3 "{[', '4 w']);
  });

  it('finds nothing in an empty or blank file', () => {
    expect(found('')).toEqual([]);
    expect(found(' \n\t\r\n')).toEqual([]);
  });

  it('reports a truncated value (or string) at the line it starts on, after the values before it', () => {
    expect(found('{"a":"x"}\n{"a":\n  {"b": 2}\n')).toEqual(['1 x', '2 malformed JSON: the JSON value is not closed before the end of the file (truncated?)']);
    expect(found('{"a":"x"}\n\n{"a":"y}')).toEqual(['1 x', '3 malformed JSON: the JSON value is not closed before the end of the file (truncated?)']);
  });

  it('takes a line that is not a JSON value as one rejected row, and goes on with the next line', () => {
    expect(found('{"a":"x"}\noops, not json  \n{"a":"y"}\n')).toEqual(['1 x', '2 oops, not json', '3 y']);
  });
});

describe('the fast path', () => {
  const columns: ColumnType[] = [
    { name: 'v', dataType: 'character varying', maxLength: 6 },
    { name: 't', dataType: 'text', maxLength: null },
    { name: 'i', dataType: 'integer', maxLength: null },
    { name: 'si', dataType: 'smallint', maxLength: null },
    { name: 'bi', dataType: 'bigint', maxLength: null },
    { name: 'd', dataType: 'double precision', maxLength: null },
    { name: 'n', dataType: 'numeric', maxLength: null },
    { name: 'f', dataType: 'boolean', maxLength: null },
    { name: 'ts', dataType: 'timestamp without time zone', maxLength: null },
    { name: 'tz', dataType: 'timestamp with time zone', maxLength: null },
    { name: 'dt', dataType: 'date', maxLength: null },
    { name: 'j', dataType: 'json', maxLength: null },
  ];
  const strings = [
    '', ' ', '  ', 'abc', 'abcdef', 'abcdefg', 'é', 'ééééééé', '😀', '\u00a0', '\u2028', '\ufeff', '\t', '\n', '\\', '"', '/',
    'a\\"b', '\\u0000', '\\ud800', '\\udc00x', '\\ud83d\\ude00', '\\u00e9', '\\u0009', '\\u005c', '\\u000a\\u000d', '\\b\\f', '\\/', '1',
    '12', '2018-11-01', '2018-11-01 20:57:10', 'true', '\\u2028', 'x\\ty', 'ab\\ncd', '\u0001',
  ];
  const numbers = [
    '0', '-0', '1', '-1', '7', '32767', '32768', '-32769', '2147483647', '2147483648', '1541105830796', '1541105830796.0', '1540991795796.000',
    '246.30812', '0.1', '0.10', '-0.5', '1e3', '1E-7', '0.000001', '0.0000001', '123456789012345', '1234567890123456', '12345678901234567890',
    '1.5', '100.0', '99999999999999.9', '0.0', '-0.0', '253402300799999', '253402300800000', '-62135596800000', '-62135596800001', '1e400',
    '01', '1.', '.5', '-', '+1', '2.50e1',
  ];
  const literal = ['true', 'false', 'null'];

  /** A value that usually fits the column (so most rows load), else anything. */
  const fitting: Record<string, string[]> = {
    v: ['"abc"', '"é😀"', '""', '" "', '"a\\tb"', '"\\u00e9t\\u00e9"', '12', 'true', 'null'],
    t: ['"plain text"', '"\\"q\\" \\\\ \\/"', '"line\\nbreak"', '"日本語"', '"\\ud83d\\ude00"', '""', '"  "', '1.5', 'false'],
    i: ['0', '42', '-7', '2147483647', 'true', 'null', '3.0'],
    si: ['1', '-32768', '32767'],
    bi: ['1540991795796.0', '9007199254740991', '-5'],
    d: ['246.30812', '0.5', '-1', '1e3', '0.1'],
    n: ['12.5', '0', '100.0'],
    f: ['true', 'false', '0', '1'],
    ts: ['1541105830796', '0', '-1', '1541105830'],
    tz: ['1541105830796', '86400000'],
    dt: ['"2018-11-01"', 'null'],
    j: ['{"a": 1}', '[1, 2]', '"s"', 'null'],
  };

  function randomLine(r: () => number, keys: string[]): string {
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const parts: string[] = [];
    // Half the objects have their keys in column order (values then go straight to the output), now and
    // then with one missing, one swapped or one extra; the others have random keys.
    const ordered = r() < 0.5;
    const n = ordered ? keys.length : Math.floor(r() * (keys.length + 3));
    for (let i = 0; i < n; i++) {
      if (ordered && r() < 0.03) continue;
      const key = ordered ? (r() < 0.02 ? pick(keys) : r() < 0.02 ? 'other' : keys[i]!) : r() < 0.9 ? pick(keys) : pick(['other', 'V', 'I', 'TS', 'x\\u0076']);
      const x = fitting[key] && r() < 0.85 ? -1 : r();
      const value =
        x < 0
          ? r() < 0.002 && (key === 't' || key === 'v') ? `"${pick(['L'.repeat(70 * 1024), 'é'.repeat(40 * 1024)])}"` : pick(fitting[key]!)
          : x < 0.4
          ? `"${pick(strings)}${r() < 0.3 ? pick(strings) : ''}"`
          : x < 0.75
            ? pick(numbers)
            : x < 0.9
              ? pick(literal)
              : x < 0.95
                ? pick(['{"a": [1, {"b": null}]}', '[1, "2"]', '[]', '{}'])
                : pick(['"unclosed', 'tru', 'nul', '"bad \\x escape"', '"raw\tcontrol"']);
      parts.push(`${pick(['', ' ', '\n'])}"${key}"${pick(['', ' '])}:${pick(['', ' ', '\n '])}${value}`);
    }
    const body = `{${parts.join(',')}${pick(['', ' ', '\n'])}}`;
    return r() < 0.03 ? pick([body.slice(0, -1) + ',}', `[${body}]`, `${body} trailing`, 'not json', body.replace(':', ''), `{${body}}`]) : body;
  }

  function randomFile(seed: number, keys: string[], lines: number): Buffer {
    const r = mulberry32(seed);
    const parts: Buffer[] = [];
    for (let i = 0; i < lines; i++) {
      parts.push(Buffer.from(randomLine(r, keys)));
      // Now and then raw bytes that are not UTF-8, inside a string.
      if (r() < 0.01) parts.push(Buffer.from(`{"t": "bad ${String.fromCharCode(65 + i % 26)}`), Buffer.from([0xc0 + (i % 64)]), Buffer.from('"}'));
      parts.push(Buffer.from(r() < 0.1 ? ' \r\n' : '\n'));
    }
    return Buffer.concat(parts);
  }

  const variants: [string, Partial<CopyOptions> & { format?: JsonFormat }][] = [
    ['epochmillisecs', { timeformat: 'epochmillisecs' }],
    ['epochsecs, emptyasnull', { timeformat: 'epochsecs', emptyasnull: true }],
    ['blanksasnull, truncatecolumns, acceptinvchars', { timeformat: 'epochmillisecs', blanksasnull: true, truncatecolumns: true, acceptinvchars: '?' }],
    ["auto timeformat, 'auto ignorecase'", { timeformat: 'auto', format: { kind: 'auto', ignoreCase: true } }],
    [
      'a JSONPaths file (one key fed to two columns)',
      {
        timeformat: 'epochmillisecs',
        format: {
          kind: 'jsonpaths',
          file: 'p.json',
          text: JSON.stringify({ jsonpaths: ["$['v']", '$.t', '$["i"]', "$['si']", "$['bi']", "$['d']", "$['n']", "$['f']", "$['ts']", "$['ts']", "$['dt']", "$['j']"] }),
        },
      },
    ],
  ];

  it.each(variants)('gives exactly the rows and rejects of JSON.parse + convert.ts on random input (%s)', (_name, v) => {
    const { format, ...options } = v;
    const keys = columns.map((c) => c.name);
    const files: [string, Buffer][] = [1, 2, 3].map((s) => [`f${s}.json`, randomFile(s * 7919 + _name.length, keys, 1500)]);
    const plan = (fastPath: boolean): DecodePlan => ({
      columns,
      format: format ?? { kind: 'auto', ignoreCase: false },
      options: { ...OPTS, ...options, maxerror: 1e9 },
      maxValueBytes: MAX_JSON_VALUE_BYTES,
      chunkBytes: 4096,
      fastPath,
      binary: false,
    });
    const generic = decodeAll(plan(false), files, 1 << 20);
    const fast = decodeAll(plan(true), files, 1 << 20);
    expect(fast.rejects).toEqual(generic.rejects);
    expect(fast.text).toBe(generic.text);
    // Rows and rejects in numbers, and many rows made by the fast path (it does not just give up).
    expect(generic.rows).toBeGreaterThan(200);
    expect(generic.rejects.length).toBeGreaterThan(300);
    expect(fast.fastRows).toBeGreaterThan(generic.rows / 5);
    // Chunk boundaries anywhere (inside values, escapes, multi-byte characters) change nothing.
    for (const size of [1, 7, 4096]) {
      const again = decodeAll(plan(true), files, size);
      expect(again.rejects).toEqual(generic.rejects);
      expect(again.text).toBe(generic.text);
    }
  });

  it('gives exactly the tuples of the generic path in binary COPY format', () => {
    const binaryColumns = columns.filter((c) => !['n', 'dt', 'j'].includes(c.name));
    const keys = columns.map((c) => c.name);
    const files: [string, Buffer][] = [4, 5].map((s) => [`f${s}.json`, randomFile(s * 104729, keys, 1500)]);
    for (const options of [{ timeformat: 'epochmillisecs' }, { timeformat: 'epochsecs', emptyasnull: true, blanksasnull: true, acceptinvchars: '?' }]) {
      const plan = (fastPath: boolean): DecodePlan => ({
        columns: binaryColumns,
        format: { kind: 'auto', ignoreCase: false },
        options: { ...OPTS, ...options, maxerror: 1e9 },
        maxValueBytes: MAX_JSON_VALUE_BYTES,
        chunkBytes: 4096,
        fastPath,
        binary: true,
      });
      const generic = decodeAll(plan(false), files, 1 << 20);
      const fast = decodeAll(plan(true), files, 1 << 20);
      expect(fast.rejects).toEqual(generic.rejects);
      expect(fast.bytes.equals(generic.bytes)).toBe(true);
      expect(generic.rows).toBeGreaterThan(500);
      expect(fast.fastRows).toBeGreaterThan(generic.rows / 4);
      const again = decodeAll(plan(true), files, 7);
      expect(again.bytes.equals(generic.bytes)).toBe(true);
    }
  });

  it('takes the fast path for the generated events (no row goes through JSON.parse)', () => {
    const plan = compilePlan({
      columns: [
        { name: 'artist', dataType: 'character varying', maxLength: 512 },
        { name: 'length', dataType: 'double precision', maxLength: null },
        { name: 'registration', dataType: 'bigint', maxLength: null },
        { name: 'ts', dataType: 'timestamp without time zone', maxLength: null },
        { name: 'user_agent', dataType: 'character varying', maxLength: 512 },
      ],
      format: { kind: 'jsonpaths', file: 'p', text: `{"jsonpaths": ["$['artist']", "$['length']", "$['registration']", "$['ts']", "$['userAgent']"]}` },
      options: { ...OPTS, timeformat: 'epochmillisecs', maxerror: 0 },
      maxValueBytes: MAX_JSON_VALUE_BYTES,
      chunkBytes: 1 << 20,
      fastPath: true,
      binary: false,
    });
    const line = Buffer.from(
      '{"artist":"Des\'ree","length":246.30812,"registration":1540991795796.0,"ts":1541105830796,"userAgent":"\\"Mozilla\\/5.0 (Windows NT 6.1)\\"","firstName":"Andr\\u00e9"}',
    );
    const sink = { buf: Buffer.alloc(1 << 17), pos: 0, ensure: () => undefined, ensureFrom: () => sink.buf };
    expect(plan.fast!.row(line, 0, line.length, sink)).toBe(line.length);
    expect(sink.buf.toString('utf8', 0, sink.pos)).toBe('Des\'ree\t246.30812\t1540991795796\t2018-11-01T20:57:10.796\t"Mozilla/5.0 (Windows NT 6.1)"\n');
  });
});

describe('epoch times by arithmetic', () => {
  it('match Date#toISOString over the whole range', () => {
    const r = mulberry32(42);
    const samples = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000, 1_541_105_830_796, -62135596800000, 253402300799999];
    for (let i = 0; i < 20000; i++) samples.push(Math.floor((r() * 2 - 1) * 3e14));
    for (const ms of samples) {
      const iso = new Date(ms).toISOString();
      if (ms < -62135596800000 || ms > 253402300799999) {
        expect(epochMsText(ms, true)).toBeUndefined(); // before year 1 or after 9999
        continue;
      }
      expect(epochMsText(ms, true)).toBe(iso);
      expect(epochMsText(ms, false)).toBe(iso.slice(0, -1));
    }
    expect(epochMsText(-62135596800001, false)).toBeUndefined();
    expect(epochMsText(253402300800000, false)).toBeUndefined();
    expect(epochMsText(Number.NaN, false)).toBeUndefined();
    const conv = converterFor({ name: 'ts', dataType: 'timestamp without time zone', maxLength: null }, { ...OPTS, timeformat: 'epochmillisecs' });
    expect([conv(1.9), conv(-1.9), conv('1541105830796.7')]).toEqual(['1970-01-01T00:00:00.001', '1969-12-31T23:59:59.999', '2018-11-01T20:57:10.796']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Streaming from S3 (a real S3 protocol server): the main thread reads, or the workers read themselves.

describe('from S3', () => {
  let server: S3Server;
  let client: S3Client;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    server = await startS3Server();
    const env = { AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new CreateBucketCommand({ Bucket: 'stream' }));
    const lines = (from: number): string => Array.from({ length: 4000 }, (_, i) => JSON.stringify({ id: from + i, name: `n${from + i}`, ts: 1541105830796 + i })).join('\n');
    await client.send(new PutObjectCommand({ Bucket: 'stream', Key: 'events/a.json', Body: lines(0) }));
    await client.send(new PutObjectCommand({ Bucket: 'stream', Key: 'events/b.json.gz', Body: zlib.gzipSync(lines(10000)) }));
    await client.send(new PutObjectCommand({ Bucket: 'stream', Key: 'events/c.json', Body: '{"id": "bad"}\n{"id": -1, "name": "last"}\n' }));
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function s3Load(table: string, workers: number): Promise<LoadResult> {
    const { s3Files } = await import('../src/load/sources/s3.js');
    const files = await s3Files.list('s3://stream/events');
    return wh.driver.transaction(async (tx) =>
      loadJson(tx, {
        relation: { schema: 'public', identifier: table },
        columns: await columnsOf(tx, table),
        files,
        source: s3Files,
        format: { kind: 'auto', ignoreCase: false },
        options: { ...OPTS, timeformat: 'epochmillisecs', maxerror: 1 },
        workers,
      }),
    );
  }

  it('loads the same rows whether the main thread or the workers read the objects', async () => {
    await createTable('t_s3_main', 'id integer, name text, ts timestamp');
    await createTable('t_s3_workers', 'id integer, name text, ts timestamp');
    const main = await s3Load('t_s3_main', 0);
    const workers = await s3Load('t_s3_workers', 2);
    expect(main).toMatchObject({ files: 3, rows: 8001 });
    expect(main.rejected).toEqual([{ file: 'c.json', line: 1, column: 'id', raw: 'bad', reason: "invalid digit: 'bad' is not an integer" }]);
    expect(workers).toEqual(main);
    expect(await tableText('t_s3_workers')).toEqual(await tableText('t_s3_main'));
  });

  it('fails the load, naming the object, when one vanishes between listing and reading', async () => {
    const { s3Files } = await import('../src/load/sources/s3.js');
    await createTable('t_s3_gone', 'id integer, name text, ts timestamp');
    const files = await s3Files.list('s3://stream/events');
    await client.send(new PutObjectCommand({ Bucket: 'stream', Key: 'events/d.json', Body: '{"id": 1}' }));
    const listed = await s3Files.list('s3://stream/events');
    await client.send(new DeleteObjectCommand({ Bucket: 'stream', Key: 'events/d.json' }));
    expect(listed.length).toBe(files.length + 1);
    for (const workers of [0, 1]) {
      const err = await loadError(
        wh.driver.transaction(async (tx) =>
          loadJson(tx, {
            relation: { schema: 'public', identifier: 't_s3_gone' },
            columns: await columnsOf(tx, 't_s3_gone'),
            files: listed,
            source: s3Files,
            format: { kind: 'auto', ignoreCase: false },
            options: { ...OPTS, timeformat: 'epochmillisecs', maxerror: 5 },
            workers,
          }),
        ),
      );
      expect(err.message).toBe('s3://stream/events/d.json does not exist');
      expect(await tableText('t_s3_gone')).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The same loads into a real PostgreSQL server (pg-copy-streams: text and binary COPY FROM STDIN).

const pgUnreachable = await postgresSkipReason('load-stream tests on PostgreSQL');

describe.skipIf(!!pgUnreachable)('on PostgreSQL', () => {
  const schema = `sparkify_load_${process.pid}_${Date.now().toString(36)}`;
  let pgw: Warehouse;

  beforeAll(async () => {
    pgw = await openPostgres({ schema, threads: 1 });
  });

  afterAll(async () => {
    await pgw?.driver.close();
    await dropSchema(schema);
  });

  async function pgLoad(table: string, ddl: string, dir: string, opts: LoadOpts): Promise<{ result: LoadResult; rows: string[] }> {
    await pgw.driver.exec(`drop table if exists ${table}; create table ${table} (${ddl})`);
    const result = await pgw.driver.transaction(async (tx) => {
      const cols = (await tx.query(pgw.dialect.listColumns(), [schema, table])).rows.map((r) => ({
        name: String(r.column_name),
        dataType: String(r.data_type),
        maxLength: r.character_maximum_length == null ? null : Number(r.character_maximum_length),
      }));
      return loadJson(tx, {
        relation: { schema, identifier: table },
        columns: cols,
        files: await localFiles.list(dir),
        source: localFiles,
        format: { kind: 'auto', ignoreCase: false },
        options: { ...OPTS, maxerror: 0, ...opts.options },
        workers: opts.workers ?? 0,
        ...(opts.copyFormat ? { copyFormat: opts.copyFormat } : {}),
      });
    });
    const cols = (await pgw.driver.query(pgw.dialect.listColumns(), [schema, table])).rows.map((r) => String(r.column_name));
    const res = await pgw.driver.query(`select concat_ws('|', ${cols.map((c) => `coalesce("${c}"::text, '∅')`).join(', ')}) as r from ${table} order by ctid`);
    return { result, rows: res.rows.map((r) => String(r.r)) };
  }

  it('loads the same table in text and binary format, from the main thread and from workers, as the embedded database', async () => {
    const dir = writeFiles({ ...mixedFiles(), 'z-edge.json': edgeFile() });
    const options = { timeformat: 'epochmillisecs', maxerror: 1000 };
    const text = await pgLoad('t_text', EDGE_DDL, dir, { options, copyFormat: 'text' });
    const binary = await pgLoad('t_binary', EDGE_DDL, dir, { options, copyFormat: 'binary', workers: 2 });
    expect(binary.result).toEqual(text.result);
    expect(binary.rows).toEqual(text.rows);
    await createTable('t_pg_same', EDGE_DDL);
    await wh.driver.exec(`set timezone to 'UTC'`);
    const embedded = await loadDir('t_pg_same', dir, { options, workers: 1 });
    expect(embedded).toEqual(text.result);
    await pgw.driver.exec(`set timezone to 'UTC'`);
    const pgRows = await pgw.driver.transaction(async (tx) => {
      await tx.exec(`set local timezone to 'UTC'`);
      return (await tx.query(`select concat_ws('|', ${['k', 'si', 'bi', 'd', 'f', 'ts', 'tz', 'v', 'c', 't'].map((c) => `coalesce(${c}::text, '∅')`).join(', ')}) as r from t_binary order by ctid`)).rows.map((r) => String(r.r));
    });
    expect(pgRows).toEqual(await tableText('t_pg_same'));
  });

  it('rolls back the whole load on a truncated gzip file', async () => {
    const gz = zlib.gzipSync(Array.from({ length: 3000 }, (_, i) => JSON.stringify({ k: i })).join('\n'));
    const dir = writeFiles({ 'a.json.gz': gz, 'b.json.gz': gz.subarray(0, gz.length - 10) });
    for (const workers of [0, 1]) {
      const err = await loadError(pgLoad('t_trunc', 'k integer', dir, { workers }));
      expect(err.message).toBe('load failed: b.json.gz is a truncated gzip file (unexpected end of file)');
      expect((await pgw.driver.query('select count(*) as n from t_trunc')).rows[0]!.n).toBe(0);
    }
  });
});
