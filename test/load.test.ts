import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import { ConvertError, converterFor, escapeCopy, NULL_FIELD, type ColumnType } from '../src/load/convert.js';
import { loadJson, type LoadResult, type LoadSpec } from '../src/load/copy.js';
import { localFiles } from '../src/load/sources/index.js';
import { autoExtractors, compileJsonPath, jsonPathsExtractors } from '../src/load/row-paths.js';
import type { Session, Warehouse } from '../src/warehouse/types.js';
import { closeLoadFixture, fileSetWriter, openLoadFixture, tableColumns } from './support/load-fixture.js';
import { repoRoot } from './support/project.js';
import type { CopyOptions } from '../src/core/copy.js';

// The COPY loader piece by piece: the pure functions directly, then loadJson against a real embedded
// Postgres (one for the whole file).

const OPTS: CopyOptions = { timeformat: 'auto', blanksasnull: false, emptyasnull: false, truncatecolumns: false };

function conv(dataType: string, opts: Partial<CopyOptions> = {}, maxLength: number | null = null): (v: unknown) => string {
  return converterFor({ name: 'c', dataType, maxLength }, { ...OPTS, ...opts });
}

/** Run a converter expecting a ConvertError; returns its message. */
function convErr(f: (v: unknown) => string, v: unknown): string {
  try {
    f(v);
  } catch (err) {
    expect(err).toBeInstanceOf(ConvertError);
    return (err as Error).message;
  }
  throw new Error(`expected a ConvertError for ${String(v)}`);
}

function sparkifyError(fn: () => unknown): SparkifyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SparkifyError);
    return err as SparkifyError;
  }
  throw new Error('expected a SparkifyError');
}

describe('compileJsonPath', () => {
  const doc = { a: { b: [10, { c: 'deep' }] }, 'it\'s': 1, "q\"uote": 2, top: 'x', arr: [[5]] };

  it('reads bracket, dot, index and double-quoted forms', () => {
    expect(compileJsonPath("$['top']")(doc)).toBe('x');
    expect(compileJsonPath('$["top"]')(doc)).toBe('x');
    expect(compileJsonPath('$.top')(doc)).toBe('x');
    expect(compileJsonPath('$.a.b')(doc)).toEqual([10, { c: 'deep' }]);
    expect(compileJsonPath("$['a']['b'][0]")(doc)).toBe(10);
    expect(compileJsonPath('$["a"].b[1].c')(doc)).toBe('deep');
    expect(compileJsonPath("$[ 'a' ]['b'][1]['c']")(doc)).toBe('deep');
    expect(compileJsonPath("$['it\\'s']")(doc)).toBe(1);
    expect(compileJsonPath('$["q\\"uote"]')(doc)).toBe(2);
    expect(compileJsonPath('$.arr[0][0]')(doc)).toBe(5);
    expect(compileJsonPath('$[1]')(['zero', 'one'])).toBe('one');
  });

  it('gives undefined for what is not there, never an inherited property', () => {
    expect(compileJsonPath("$['missing']")(doc)).toBeUndefined();
    expect(compileJsonPath('$.top.length')(doc)).toBeUndefined(); // through a string
    expect(compileJsonPath('$.a.b[5]')(doc)).toBeUndefined();
    expect(compileJsonPath('$.a.missing.deeper')(doc)).toBeUndefined();
    expect(compileJsonPath("$['x']")(null)).toBeUndefined();
    expect(compileJsonPath("$['x']")('a string')).toBeUndefined();
    expect(compileJsonPath("$['constructor']")({})).toBeUndefined();
    expect(compileJsonPath('$.a.toString')(doc)).toBeUndefined();
    expect(compileJsonPath("$['__proto__']")(JSON.parse('{"__proto__": 7}'))).toBe(7);
  });

  it.each([
    ['top', "a JSONPath starts with '$': top"],
    ['$', 'a JSONPath must name a field: $'],
    ['$.', "bad member name after '.' at position 1 in $."],
    ['$.1a', "bad member name after '.' at position 1 in $.1a"],
    ['$[a]', 'bad bracket expression at position 1 in $[a]'],
    ["$['a'", "bad bracket expression at position 1 in $['a'"],
    ['$.a[*]', 'bad bracket expression at position 3 in $.a[*]'],
    ['$..a', "bad member name after '.' at position 1 in $..a"],
    ['$a', "unexpected 'a' at position 1 in $a"],
  ])('rejects %s', (expr, message) => {
    expect(() => compileJsonPath(expr)).toThrow(new Error(message));
  });
});

describe('jsonPathsExtractors', () => {
  it('compiles one path a column, in order', () => {
    const ex = jsonPathsExtractors('paths.json', '{"jsonpaths": ["$[\'b\']", "$.a.c", "$[\'missing\']"]}', ['x', 'y', 'z']);
    const obj = { a: { c: 3 }, b: 'two' };
    expect(ex.map((f) => f(obj))).toEqual(['two', 3, undefined]);
  });

  it('fails when the path count differs from the column count', () => {
    const e = sparkifyError(() => jsonPathsExtractors('log_json_path.json', '{"jsonpaths": ["$.a", "$.b"]}', ['a', 'b', 'c']));
    expect(e.message).toBe('the JSONPaths file has 2 paths but the staging table has 3 columns');
    expect(e.location).toEqual({ file: 'log_json_path.json', line: 1, column: 0 });
    expect(e.hint).toBe('Give one path per column, in column order: a, b, c.');
    expect(e.exitCode).toBe(2);
  });

  it('fails on text that is not JSON', () => {
    const e = sparkifyError(() => jsonPathsExtractors('p.json', '{"jsonpaths": ["$.a",]}', ['a']));
    expect(e.message).toBe("the JSONPaths file is not valid JSON: unexpected ']'");
    expect(e.location).toEqual({ file: 'p.json', line: 1, column: 22 });
  });

  it.each([
    ['a short text', '{"a": [1,}', 1, 10],
    ['a long text, early', '{"a": tru, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1}', 1, 10],
    ['a long text, late', '{"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1,\n "a": [1,}', 2, 10],
    ['the middle of a long text', '{\n  "jsonpaths": [\n    "$.artist",\n    "$.auth",,\n    "$.x"\n  ]\n}', 4, 14],
    ['a missing colon (a position)', '{\n"aaaa" 1}', 2, 8],
    ['the end of the text', '{\n"a": [1,\n', 3, 1],
  ])('places a JSON syntax error at its line and column: %s', (_what, text, line, column) => {
    const e = sparkifyError(() => jsonPathsExtractors('p.json', text, ['a']));
    expect(e.message).toMatch(/^the JSONPaths file is not valid JSON: [^\n]+$/);
    expect(e.location).toEqual({ file: 'p.json', line, column });
  });

  it.each([['{"paths": ["$.a"]}'], ['{"jsonpaths": "$.a"}'], ['{"jsonpaths": [1]}'], ['null'], ['[]']])('fails without a jsonpaths array of strings: %s', (text) => {
    const e = sparkifyError(() => jsonPathsExtractors('p.json', text, ['a']));
    expect(e.message).toBe('the JSONPaths file has no "jsonpaths" array of strings');
  });

  it('fails on a bad path, naming the column and the line of the path', () => {
    const text = '{\n  "jsonpaths": [\n    "$.a",\n    "$.b[x]"\n  ]\n}\n';
    const e = sparkifyError(() => jsonPathsExtractors('p.json', text, ['first', 'second']));
    expect(e.message).toBe('invalid JSONPath for column second: bad bracket expression at position 3 in $.b[x]');
    expect(e.location).toEqual({ file: 'p.json', line: 4, column: 0 });
  });
});

describe('autoExtractors', () => {
  const obj = { userId: '39', firstName: 'Walter', level: 'free' };

  it("'auto' matches key names exactly", () => {
    expect(autoExtractors(['userid', 'firstName', 'level', 'LEVEL', 'constructor'], false).map((f) => f(obj))).toEqual([
      undefined,
      'Walter',
      'free',
      undefined,
      undefined,
    ]);
  });

  it("'auto ignorecase' matches key names in any case", () => {
    expect(autoExtractors(['userid', 'FIRSTNAME', 'level', 'missing', 'constructor'], true).map((f) => f(obj))).toEqual([
      '39',
      'Walter',
      'free',
      undefined,
      undefined,
    ]);
  });

  it('gives undefined for a value that is not an object', () => {
    expect(autoExtractors(['a'], false)[0]!(null)).toBeUndefined();
    expect(autoExtractors(['a'], true)[0]!('a')).toBeUndefined();
  });
});

describe('converterFor', () => {
  it('passes null and a missing value as \\N for every type', () => {
    for (const t of ['smallint', 'integer', 'bigint', 'numeric', 'boolean', 'timestamp without time zone', 'date', 'character varying', 'json']) {
      expect(conv(t)(null)).toBe(NULL_FIELD);
      expect(conv(t)(undefined)).toBe(NULL_FIELD);
    }
    expect(NULL_FIELD).toBe('\\N');
  });

  it('checks smallint, integer and bigint ranges, for numbers and strings', () => {
    const small = conv('smallint');
    expect([small(32767), small(-32768), small('-32768')]).toEqual(['32767', '-32768', '-32768']);
    expect(convErr(small, 32768)).toBe('32768 is out of range for a smallint column');
    expect(convErr(small, '-32769')).toBe('-32769 is out of range for a smallint column');
    const int = conv('integer');
    expect([int(2147483647), int(-2147483648), int('2147483647')]).toEqual(['2147483647', '-2147483648', '2147483647']);
    expect(convErr(int, 2147483648)).toBe('2147483648 is out of range for a integer column');
    expect(convErr(int, '-2147483649')).toBe('-2147483649 is out of range for a integer column');
    const big = conv('bigint');
    expect(big('9223372036854775807')).toBe('9223372036854775807');
    expect(big('-9223372036854775808')).toBe('-9223372036854775808');
    expect(big(2 ** 53)).toBe('9007199254740992');
    expect(convErr(big, '9223372036854775808')).toBe('9223372036854775808 is out of range for a bigint column');
    expect(convErr(big, 1e19)).toBe('10000000000000000000 is out of range for a bigint column');
  });

  it('reads integers from numeric strings, trimmed, with a sign or leading zeros', () => {
    const int = conv('integer');
    expect([int(' 42 '), int('+7'), int('007'), int('-0')]).toEqual(['42', '7', '7', '0']);
    expect(convErr(int, '4.0')).toBe("invalid digit: '4.0' is not an integer");
    expect(convErr(int, '12abc')).toBe("invalid digit: '12abc' is not an integer");
    expect(convErr(int, '1e3')).toBe("invalid digit: '1e3' is not an integer");
  });

  it('rejects a float with a fraction in an integer column, accepts an integral float', () => {
    expect(convErr(conv('integer'), 1.5)).toBe('1.5 is not a whole number for a integer column');
    expect(convErr(conv('bigint'), 246.30812)).toBe('246.30812 is not a whole number for a bigint column');
    // The raw log's registration: 1540991795796.0 in the file.
    const registration = (JSON.parse('{"registration":1540991795796.0}') as { registration: number }).registration;
    expect(conv('bigint')(registration)).toBe('1540991795796');
    expect(convErr(conv('integer'), registration)).toBe('1540991795796 is out of range for a integer column');
  });

  it("treats '' in a number column as an error unless blanksasnull or emptyasnull", () => {
    for (const t of ['smallint', 'integer', 'bigint']) {
      expect(convErr(conv(t), '')).toBe("invalid digit: '' is not an integer");
      expect(convErr(conv(t), '  ')).toBe("invalid digit: '  ' is not an integer");
      expect(conv(t, { blanksasnull: true })('')).toBe(NULL_FIELD);
      expect(conv(t, { blanksasnull: true })('  ')).toBe(NULL_FIELD);
      expect(conv(t, { emptyasnull: true })('')).toBe(NULL_FIELD);
    }
    expect(convErr(conv('double precision'), '')).toBe("'' is not a number");
    expect(conv('double precision', { emptyasnull: true })('')).toBe(NULL_FIELD);
    expect(convErr(conv('boolean'), '')).toBe("'' is not a boolean");
    expect(conv('boolean', { blanksasnull: true })(' ')).toBe(NULL_FIELD);
    expect(convErr(conv('date'), '')).toBe("'' is not a date (expected YYYY-MM-DD)");
    expect(conv('date', { emptyasnull: true })('')).toBe(NULL_FIELD);
    expect(convErr(conv('timestamp without time zone'), '')).toBe("'' is not a timestamp (expected YYYY-MM-DD HH:MI:SS)");
    expect(conv('timestamp without time zone', { blanksasnull: true, timeformat: 'epochmillisecs' })('')).toBe(NULL_FIELD);
  });

  it('turns booleans into 1/0 for integers and objects into errors', () => {
    expect([conv('integer')(true), conv('integer')(false)]).toEqual(['1', '0']);
    expect(convErr(conv('integer'), { a: 1 })).toBe('a JSON object cannot go into a integer column');
    expect(convErr(conv('bigint'), [1])).toBe('a JSON array cannot go into a bigint column');
  });

  it('converts numbers for real, double precision and numeric', () => {
    const d = conv('double precision');
    expect([d(246.30812), d(-0.5), d(1e21), d(' 1.5e3 '), d('.5'), d('-7.')]).toEqual(['246.30812', '-0.5', '1e+21', '1.5e3', '.5', '-7.']);
    expect(conv('numeric')('12345678901234567890.123')).toBe('12345678901234567890.123');
    expect(conv('real')(3)).toBe('3');
    expect(convErr(d, 'abc')).toBe("'abc' is not a number");
    expect(convErr(d, '1,5')).toBe("'1,5' is not a number");
    expect(convErr(d, true)).toBe('a JSON boolean cannot go into a numeric column');
    expect(convErr(d, { x: 1 })).toBe('a JSON object cannot go into a numeric column');
  });

  it('converts booleans from JSON booleans, 0/1 and words', () => {
    const b = conv('boolean');
    expect([true, false, 1, 0, 'true', ' YES ', 'y', 't', '1', 'False', 'no', 'n', 'f', '0'].map(b)).toEqual([
      't', 'f', 't', 'f', 't', 't', 't', 't', 't', 'f', 'f', 'f', 'f', 'f',
    ]);
    expect(convErr(b, 2)).toBe("'2' is not a boolean");
    expect(convErr(b, 'maybe')).toBe("'maybe' is not a boolean");
    expect(convErr(b, {})).toBe("'[object Object]' is not a boolean");
  });

  it('converts epoch milliseconds and seconds to UTC timestamps', () => {
    const ms = conv('timestamp without time zone', { timeformat: 'epochmillisecs' });
    expect(ms(1541105830796)).toBe('2018-11-01T20:57:10.796');
    expect(ms('1541105830796')).toBe('2018-11-01T20:57:10.796');
    expect(ms(0)).toBe('1970-01-01T00:00:00.000');
    expect(ms(-1)).toBe('1969-12-31T23:59:59.999');
    expect(conv('timestamp without time zone', { timeformat: 'EPOCHMILLISECS' })(1541105830796)).toBe('2018-11-01T20:57:10.796');
    expect(conv('timestamp with time zone', { timeformat: 'epochmillisecs' })(1541105830796)).toBe('2018-11-01T20:57:10.796Z');
    const secs = conv('timestamp without time zone', { timeformat: 'epochsecs' });
    expect(secs(1541105830)).toBe('2018-11-01T20:57:10.000');
    expect(secs('1541105830.5')).toBe('2018-11-01T20:57:10.500');
    expect(convErr(ms, '2018-11-01 20:57:10')).toBe("'2018-11-01 20:57:10' is not an epoch time (TIMEFORMAT 'epochmillisecs')");
    expect(convErr(ms, true)).toBe('a JSON boolean cannot go into a timestamp column');
    // Milliseconds read as seconds: far past year 9999, which Postgres cannot take in this form.
    expect(convErr(secs, 1541105830796)).toBe("1541105830796 is not a valid epoch time (TIMEFORMAT 'epochsecs')");
    expect(convErr(ms, 1e17)).toBe("100000000000000000 is not a valid epoch time (TIMEFORMAT 'epochmillisecs')");
  });

  it("reads timestamp strings with timeformat 'auto' and refuses epoch numbers", () => {
    const ts = conv('timestamp without time zone');
    expect(ts('2018-11-01 20:57:10')).toBe('2018-11-01 20:57:10');
    expect(ts(' 2018-11-01T20:57:10.796Z ')).toBe('2018-11-01T20:57:10.796Z');
    expect(ts('2018-11-01T20:57+0530')).toBe('2018-11-01T20:57+0530');
    expect(ts('2016-02-29 00:00:00')).toBe('2016-02-29 00:00:00');
    expect(ts('2018-11-01')).toBe('2018-11-01');
    expect(convErr(ts, 1541105830796)).toBe("1541105830796 is a number; set timeformat 'epochmillisecs' or 'epochsecs' to load epoch times");
    for (const bad of ['2018-11-01 20:57:10 PM', '01/11/2018', '2018-02-30 10:00:00', '2018-02-29 10:00:00', '2018-13-01 00:00', '0000-01-01 00:00', '2018-11-01 24:00:00', '2018-11-01 20:60', '2018-11-01 20:57:61', '2018-11-01 20:57:10+16:00', '2018-11-01 20:57:10+05:60']) {
      expect(convErr(ts, bad)).toBe(`'${bad}' is not a timestamp (expected YYYY-MM-DD HH:MI:SS)`);
    }
  });

  it('reads dates as YYYY-MM-DD', () => {
    const d = conv('date');
    expect([d('2018-11-01'), d(' 2016-02-29 '), d('2000-02-29')]).toEqual(['2018-11-01', '2016-02-29', '2000-02-29']);
    for (const bad of ['2018-02-29', '1900-02-29', '2018-04-31', '2018-00-10', '2018-11-01T00:00', '18-11-01']) {
      expect(convErr(d, bad)).toBe(`'${bad}' is not a date (expected YYYY-MM-DD)`);
    }
    expect(convErr(d, 20181101)).toBe('a JSON number cannot go into a date column');
  });

  it('checks varchar length in characters, truncating only with truncatecolumns', () => {
    const v5 = conv('character varying', {}, 5);
    expect(v5('abcde')).toBe('abcde');
    expect(convErr(v5, 'abcdef')).toBe("a value of 6 characters is longer than the column's 5; widen the column or set truncatecolumns");
    expect(v5('😀😀😀😀😀')).toBe('😀😀😀😀😀'); // 5 characters, 10 UTF-16 units
    expect(convErr(v5, '😀😀😀😀😀😀')).toBe("a value of 6 characters is longer than the column's 5; widen the column or set truncatecolumns");
    const t5 = conv('character varying', { truncatecolumns: true }, 5);
    expect(t5('abcdefgh')).toBe('abcde');
    expect(t5('😀😀😀😀😀😀')).toBe('😀😀😀😀😀');
    expect(t5('ab\t\tcdef')).toBe('ab\\t\\tc'); // truncated first, then escaped
    expect(conv('character varying')('x'.repeat(10000))).toBe('x'.repeat(10000));
  });

  it("keeps '' in a string column unless emptyasnull, and blanks unless blanksasnull", () => {
    expect(conv('character varying')('')).toBe('');
    expect(conv('character varying', { emptyasnull: true })('')).toBe(NULL_FIELD);
    expect(conv('text', { emptyasnull: true })('  ')).toBe('  ');
    expect(conv('text', { blanksasnull: true })('  ')).toBe(NULL_FIELD);
    expect(conv('text', { blanksasnull: true })('')).toBe(NULL_FIELD);
  });

  it('writes non-strings into string columns as text, objects as JSON', () => {
    const t = conv('text');
    expect([t(5), t(1540919166796.0), t(true), t({ a: [1, 'x\ty'] }), t([1, 2])]).toEqual(['5', '1540919166796', 'true', '{"a":[1,"x\\\\ty"]}', '[1,2]']);
  });

  it('rejects unpaired surrogates unless acceptinvchars, which replaces only them', () => {
    const t = conv('text');
    expect(convErr(t, 'a\uD800b')).toBe('invalid UTF-8 (an unpaired surrogate); set acceptinvchars to replace it');
    expect(convErr(t, '\uDC00')).toBe('invalid UTF-8 (an unpaired surrogate); set acceptinvchars to replace it');
    const q = conv('text', { acceptinvchars: '?' });
    expect(q('a\uD800b\uDC00c')).toBe('a?b?c');
    expect(q('\uFFFD \uD83D\uDE00 \uD83D')).toBe('\uFFFD \uD83D\uDE00 ?'); // a real U+FFFD and a real pair stay
    expect(conv('text', { acceptinvchars: '$&' })('x\uD800')).toBe('x$&');
  });

  it('rejects a NUL character, which Postgres text cannot hold', () => {
    expect(convErr(conv('text'), 'a\u0000b')).toBe('a NUL character (\\u0000) cannot be stored in a text column');
  });

  it('escapes backslash, tab, newline and carriage return for COPY text', () => {
    expect(escapeCopy('plain')).toBe('plain');
    expect(escapeCopy('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(escapeCopy('\\N')).toBe('\\\\N');
    expect(conv('character varying', {}, 20)('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
  });

  it('passes json and other types through as text', () => {
    expect(conv('json')({ a: 'x\ny' })).toBe('{"a":"x\\\\ny"}');
    expect(conv('jsonb')([1, null])).toBe('[1,null]');
    expect(conv('uuid')('0e3f6b3c-9a1d-4b8e-8f5e-2b2f5f0c9a11')).toBe('0e3f6b3c-9a1d-4b8e-8f5e-2b2f5f0c9a11');
  });
});

// ---------------------------------------------------------------------------------------------------------
// loadJson against a real embedded Postgres.

let tmp: string;
let wh: Warehouse;
let writeFiles: (files: Record<string, string | Buffer>) => string;

beforeAll(async () => {
  ({ tmp, wh } = await openLoadFixture('sparkify-load-test-'));
  writeFiles = fileSetWriter(tmp);
});

afterAll(() => closeLoadFixture({ tmp, wh }));

interface LoadOpts {
  options?: Partial<LoadSpec['options']>;
  format?: LoadSpec['format'];
  /** Load through this session instead of a transaction of its own. */
  session?: Session;
}

function columnsOf(session: Session, table: string): Promise<ColumnType[]> {
  return tableColumns(wh, session, 'public', table);
}

async function load(table: string, files: Record<string, string | Buffer>, opts: LoadOpts = {}): Promise<LoadResult> {
  const dir = writeFiles(files);
  const list = await localFiles.list(dir);
  const run = async (s: Session): Promise<LoadResult> =>
    loadJson(s, {
      relation: { schema: 'public', identifier: table },
      columns: await columnsOf(s, table),
      files: list,
      source: localFiles,
      format: opts.format ?? { kind: 'auto', ignoreCase: false },
      options: { ...OPTS, maxerror: 0, ...opts.options },
    });
  return opts.session ? run(opts.session) : wh.driver.transaction(run);
}

async function createTable(table: string, ddl: string): Promise<void> {
  await wh.driver.exec(`drop table if exists ${table}; create table ${table} (${ddl})`);
}

/** Every column as Postgres prints it (::text), rows in the given order. */
async function textRows(table: string, orderBy: string): Promise<Record<string, string | null>[]> {
  const cols = await columnsOf(wh.driver, table);
  const res = await wh.driver.query(`select ${cols.map((c) => `${wh.dialect.quote(c.name)}::text as ${wh.dialect.quote(c.name)}`).join(', ')} from ${table} order by ${orderBy}`);
  return res.rows as Record<string, string | null>[];
}

async function loadError(p: Promise<unknown>): Promise<SparkifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SparkifyError);
  return err as SparkifyError;
}

describe('loadJson into the embedded Postgres', () => {
  it('loads every layout from files listed recursively, in sorted order, skipping dotfiles', async () => {
    await createTable('t_layouts', 'id integer, name varchar(16)');
    const r = await load('t_layouts', {
      'b/lines.json': '{"id": 1, "name": "one"}\n{"id": 2, "name": "two"}\n',
      'a/pretty.json': '\uFEFF{\n  "id": 3,\n  "name": "three"\n}\n{\n  "id": 4\n}',
      'c/several.json': '{"id": 5, "name": "five"} {"id": 6, "name": null}{"name": "seven", "id": 7}',
      '.hidden.json': '{"id": 99}',
    });
    expect(r).toMatchObject({ files: 3, rows: 7, rejected: [] });
    expect(r.bytes).toBe(
      Buffer.byteLength('{"id": 1, "name": "one"}\n{"id": 2, "name": "two"}\n') +
        Buffer.byteLength('\uFEFF{\n  "id": 3,\n  "name": "three"\n}\n{\n  "id": 4\n}') +
        Buffer.byteLength('{"id": 5, "name": "five"} {"id": 6, "name": null}{"name": "seven", "id": 7}'),
    );
    expect(await textRows('t_layouts', 'id')).toEqual([
      { id: '1', name: 'one' },
      { id: '2', name: 'two' },
      { id: '3', name: 'three' },
      { id: '4', name: null },
      { id: '5', name: 'five' },
      { id: '6', name: null },
      { id: '7', name: 'seven' },
    ]);
    // Physical order follows the sorted file list: a/ before b/ before c/.
    expect((await wh.driver.query('select id from t_layouts')).rows.map((x) => x.id)).toEqual([3, 4, 1, 2, 5, 6, 7]);
  });

  it('rejects a malformed line with its line number; with maxerror=1 the other rows load', async () => {
    await createTable('t_malformed', 'id integer, name varchar(16)');
    const r = await load('t_malformed', { 'x.json': '{"id": 1, "name": "a"}\n{"id": 2, "name": }\n{"id": 3, "name": "c"}\n' }, { options: { maxerror: 1 } });
    expect(r.rows).toBe(2);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ file: 'x.json', line: 2, column: '', raw: '{"id": 2, "name": }' });
    expect(r.rejected[0]!.reason).toMatch(/^malformed JSON: /);
    expect(await textRows('t_malformed', 'id')).toEqual([
      { id: '1', name: 'a' },
      { id: '3', name: 'c' },
    ]);
  });

  it('rejects a line that is not JSON at all and still loads the lines after it', async () => {
    await createTable('t_junk', 'id integer');
    const r = await load('t_junk', { 'x.json': '{"id": 1}\nthis is not json\n{"id": 3}\n{"id": 4}\n' }, { options: { maxerror: 1 } });
    expect(r.rows).toBe(3);
    expect(r.rejected).toEqual([{ file: 'x.json', line: 2, column: '', raw: 'this is not json', reason: expect.stringMatching(/^malformed JSON: /) as string }]);
    expect(await textRows('t_junk', 'id')).toEqual([{ id: '1' }, { id: '3' }, { id: '4' }]);
  });

  it("rejects a value that is not an object under 'auto'", async () => {
    await createTable('t_scalar', 'id integer');
    const r = await load('t_scalar', { 'x.json': '{"id": 1}\n[2]\n"three"\n' }, { options: { maxerror: 2 } });
    expect(r.rows).toBe(1);
    expect(r.rejected).toEqual([
      { file: 'x.json', line: 2, column: '', raw: '[2]', reason: 'not a JSON object' },
      { file: 'x.json', line: 3, column: '', raw: '"three"', reason: 'not a JSON object' },
    ]);
  });

  it('rejects the rest of a truncated file at the line the value starts, and loads the other files', async () => {
    await createTable('t_truncated', 'id integer');
    const r = await load(
      't_truncated',
      { '1.json': '{"id": 1}\n{"id": 2}\n', '2.json': '{"id": 3}\n{"id": 4,\n "more": [1, 2\n' },
      { options: { maxerror: 1 } },
    );
    expect(r.rows).toBe(3);
    expect(r.rejected).toEqual([
      { file: '2.json', line: 2, column: '', raw: '', reason: 'malformed JSON: the JSON value is not closed before the end of the file (truncated?)' },
    ]);
    expect(await textRows('t_truncated', 'id')).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }]);
  });

  it('names each rejected row when rejects exceed maxerror', async () => {
    await createTable('t_fail', 'id integer, name varchar(3)');
    const err = await loadError(
      load('t_fail', { 'x.json': '{"id": 1, "name": "a"}\n{"id": "a", "name": "b"}\n{"id": 3, "name": "abcd"}\n{"id": 4}\n' }, { options: { maxerror: 1 } }),
    );
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      'load failed: 2 rows rejected (maxerror 1)\n' +
        '  x.json:2 column id: invalid digit: \'a\' is not an integer (value: "a")\n' +
        '  x.json:3 column name: a value of 4 characters is longer than the column\'s 3; widen the column or set truncatecolumns (value: "abcd")',
    );
    expect(err.location).toEqual({ file: 'x.json', line: 2, column: 0 });
    expect(await textRows('t_fail', 'id')).toEqual([]);
  });

  it('fails with maxerror 0 on the first reject', async () => {
    await createTable('t_fail0', 'id integer');
    const err = await loadError(load('t_fail0', { 'x.json': '{"id": 1}\n{"id": 1.5}\n' }));
    expect(err.message).toBe('load failed: 1 row rejected (maxerror 0)\n  x.json:2 column id: 1.5 is not a whole number for a integer column (value: "1.5")');
  });

  it('leaves the previously loaded rows exactly as they were when a later load fails inside its transaction', async () => {
    await createTable('t_keep', 'id integer, name text');
    const first = await load('t_keep', { 'good.json': '{"id": 1, "name": "kept"}\n{"id": 2, "name": "also kept"}\n' });
    expect(first.rows).toBe(2);
    const before = await textRows('t_keep', 'id');
    expect(before).toEqual([
      { id: '1', name: 'kept' },
      { id: '2', name: 'also kept' },
    ]);

    // Over 4 MiB of good rows first, so at least one chunk reaches the table before the rejects stop the load.
    const big = Array.from({ length: 4_500 }, (_, i) => JSON.stringify({ id: 1000 + i, name: 'x'.repeat(1000) })).join('\n');
    let chunksSent = 0;
    const err = await loadError(
      wh.driver.transaction(async (tx) => {
        await tx.exec(`insert into t_keep values (3, 'inserted in the failing transaction')`);
        const counting: Session = {
          query: (sql, params) => tx.query(sql, params),
          exec: (sql) => tx.exec(sql),
          copyIn: (relation, columns, chunks) =>
            tx.copyIn(
              relation,
              columns,
              (async function* () {
                for await (const c of chunks) {
                  chunksSent++;
                  yield c;
                }
              })(),
            ),
        };
        return load('t_keep', { 'a-big.json': big, 'b-bad.json': '{"id": "x"}\n{"id": "y"}\n' }, { session: counting, options: { maxerror: 1 } });
      }),
    );
    expect(chunksSent).toBeGreaterThanOrEqual(1);
    expect(err.message).toMatch(/^load failed: 2 rows rejected \(maxerror 1\)\n  b-bad\.json:1 column id: /);
    expect(await textRows('t_keep', 'id')).toEqual(before);
  });

  it('stores each type as Postgres reads the converted text', async () => {
    await createTable(
      't_types',
      `k integer, s smallint, i integer, b bigint, d double precision, n numeric, f boolean,
       ts timestamp, tz timestamptz, dt date, v varchar(8), t text, j json, jb jsonb`,
    );
    const rows = [
      { k: 1, s: -32768, i: '2147483647', b: 1540991795796.0, d: 246.30812, n: '12345678901234567890.123', f: true, ts: 1541105830796, tz: '1541105830796', dt: '2018-11-01', v: 'héllo😀', t: '', j: { a: [1, 'b'] }, jb: { z: 1, a: null } },
      { k: 2, s: '32767', i: ' -2147483648 ', b: '9223372036854775807', d: '1e-3', n: 0.1, f: 'no', ts: 0, tz: -1, dt: '2016-02-29', v: '', t: 'x', j: [], jb: [1, 'two'] },
      { k: 3 },
    ];
    // As in the raw logs, the bigint arrives written as a float: 1540991795796.0
    const text = rows.map((x) => JSON.stringify(x)).join('\n').replace('"b":1540991795796,', '"b":1540991795796.0,');
    expect(text).toContain('"b":1540991795796.0,');
    const r = await load('t_types', { 'x.json': text }, { options: { timeformat: 'epochmillisecs' } });
    expect(r).toMatchObject({ rows: 3, rejected: [] });
    expect(await textRows('t_types', 'k')).toEqual([
      { k: '1', s: '-32768', i: '2147483647', b: '1540991795796', d: '246.30812', n: '12345678901234567890.123', f: 'true', ts: '2018-11-01 20:57:10.796', tz: '2018-11-01 20:57:10.796+00', dt: '2018-11-01', v: 'héllo😀', t: '', j: '{"a":[1,"b"]}', jb: '{"a": null, "z": 1}' },
      { k: '2', s: '32767', i: '-2147483648', b: '9223372036854775807', d: '0.001', n: '0.1', f: 'false', ts: '1970-01-01 00:00:00', tz: '1969-12-31 23:59:59.999+00', dt: '2016-02-29', v: '', t: 'x', j: '[]', jb: '[1, "two"]' },
      { k: '3', s: null, i: null, b: null, d: null, n: null, f: null, ts: null, tz: null, dt: null, v: null, t: null, j: null, jb: null },
    ]);
  });

  it("stores epochsecs and 'auto' timestamps in UTC; an offset counts only for timestamptz", async () => {
    await createTable('t_secs', 'k integer, ts timestamp, tz timestamptz');
    await load('t_secs', { 'x.json': '{"k": 1, "ts": 1541105830, "tz": "1541105830.25"}\n' }, { options: { timeformat: 'epochsecs' } });
    expect(await textRows('t_secs', 'k')).toEqual([{ k: '1', ts: '2018-11-01 20:57:10', tz: '2018-11-01 20:57:10.25+00' }]);

    await createTable('t_auto', 'k integer, ts timestamp, tz timestamptz');
    const r = await load(
      't_auto',
      {
        'x.json': [
          '{"k": 1, "ts": "2018-11-01 20:57:10", "tz": "2018-11-01 20:57:10"}',
          '{"k": 2, "ts": "2018-11-01T20:57:10+02:00", "tz": "2018-11-01T20:57:10+02:00"}',
          '{"k": 3, "ts": "2018-11-01T20:57:10.5Z", "tz": "2018-11-01 20:57:10-0530"}',
          '{"k": 4, "ts": 1541105830796}',
          '{"k": 5, "ts": "2018-02-30 00:00:00"}',
        ].join('\n'),
      },
      { options: { maxerror: 2 } },
    );
    expect(r.rejected.map((e) => [e.line, e.column, e.reason])).toEqual([
      [4, 'ts', "1541105830796 is a number; set timeformat 'epochmillisecs' or 'epochsecs' to load epoch times"],
      [5, 'ts', "'2018-02-30 00:00:00' is not a timestamp (expected YYYY-MM-DD HH:MI:SS)"],
    ]);
    expect(await textRows('t_auto', 'k')).toEqual([
      { k: '1', ts: '2018-11-01 20:57:10', tz: '2018-11-01 20:57:10+00' },
      { k: '2', ts: '2018-11-01 20:57:10', tz: '2018-11-01 18:57:10+00' },
      { k: '3', ts: '2018-11-01 20:57:10.5', tz: '2018-11-02 02:27:10+00' },
    ]);
  });

  it('stores epoch times as UTC whatever the session time zone', async () => {
    await createTable('t_zone', 'k integer, ts timestamp, tz timestamptz');
    await wh.driver.transaction(async (tx) => {
      await tx.exec(`set local timezone to 'Asia/Kolkata'`);
      return load('t_zone', { 'x.json': '{"k": 1, "ts": 1541105830796, "tz": 1541105830796}' }, { session: tx, options: { timeformat: 'epochmillisecs' } });
    });
    expect(await textRows('t_zone', 'k')).toEqual([{ k: '1', ts: '2018-11-01 20:57:10.796', tz: '2018-11-01 20:57:10.796+00' }]);
  });

  it('loads an impossible date as a reject, not a failed COPY', async () => {
    await createTable('t_dates', 'k integer, d date');
    const r = await load('t_dates', { 'x.json': '{"k": 1, "d": "2018-02-28"}\n{"k": 2, "d": "2018-02-29"}\n{"k": 3, "d": "2020-02-29"}\n' }, { options: { maxerror: 1 } });
    expect(r.rejected.map((e) => [e.line, e.column, e.raw])).toEqual([[2, 'd', '2018-02-29']]);
    expect(await textRows('t_dates', 'k')).toEqual([
      { k: '1', d: '2018-02-28' },
      { k: '3', d: '2020-02-29' },
    ]);
  });

  it("loads '' as NULL in a number column only with blanksasnull or emptyasnull", async () => {
    await createTable('t_blank', 'k integer, n integer, s varchar(4)');
    const files = { 'x.json': '{"k": 1, "n": "", "s": ""}\n{"k": 2, "n": " ", "s": " "}\n' };
    const strict = await load('t_blank', files, { options: { maxerror: 2 } });
    expect(strict.rows).toBe(0);
    expect(strict.rejected.map((e) => [e.line, e.column, e.reason])).toEqual([
      [1, 'n', "invalid digit: '' is not an integer"],
      [2, 'n', "invalid digit: ' ' is not an integer"],
    ]);
    // emptyasnull: '' is NULL everywhere; a blank string stays, a blank number is NULL (it trims to '').
    expect((await load('t_blank', files, { options: { emptyasnull: true } })).rejected).toEqual([]);
    expect(await textRows('t_blank', 'k')).toEqual([
      { k: '1', n: null, s: null },
      { k: '2', n: null, s: ' ' },
    ]);
    await wh.driver.exec('truncate t_blank');
    expect((await load('t_blank', files, { options: { blanksasnull: true } })).rejected).toEqual([]);
    expect(await textRows('t_blank', 'k')).toEqual([
      { k: '1', n: null, s: null },
      { k: '2', n: null, s: null },
    ]);
  });

  it('round-trips tabs, newlines, carriage returns and backslashes byte for byte', async () => {
    await createTable('t_bytes', 'k integer, s text, v varchar(64)');
    const values = [
      'tab\there',
      'new\nline',
      'cr\rlf\r\n',
      'back\\slash\\',
      '\\N',
      '\\.',
      'a\\tb',
      '"quoted" \'single\'',
      'unicode é ß 日本 😀',
      '\u00a0\u2028\u2029',
      ' lead and trail ',
      '\b\f\u0001',
    ];
    const text = values.map((s, k) => JSON.stringify({ k, s, v: s })).join('\n');
    const r = await load('t_bytes', { 'x.json': text });
    expect(r).toMatchObject({ rows: values.length, rejected: [] });
    const res = await wh.driver.query(
      `select k, s, encode(convert_to(s, 'UTF8'), 'hex') as s_hex, encode(convert_to(v, 'UTF8'), 'hex') as v_hex, s is null as is_null from t_bytes order by k`,
    );
    expect(res.rows).toEqual(
      values.map((s, k) => ({ k, s, s_hex: Buffer.from(s, 'utf8').toString('hex'), v_hex: Buffer.from(s, 'utf8').toString('hex'), is_null: false })),
    );
  });

  it('stores nested objects as JSON text in text, varchar, json and jsonb columns', async () => {
    await createTable('t_nested', 'k integer, t text, v varchar(200), j json, jb jsonb');
    const payload = { a: [1, { b: 'x\ty\\z' }], c: { d: null, e: true } };
    const r = await load('t_nested', { 'x.json': JSON.stringify({ k: 1, t: payload, v: payload, j: payload, jb: payload }) });
    expect(r.rejected).toEqual([]);
    const expected = JSON.stringify(payload);
    const [row] = (await wh.driver.query(`select t, v, j::text as j, jb->'a'->1->>'b' as b, jb = $1::jsonb as same from t_nested`, [expected])).rows;
    expect(row).toEqual({ t: expected, v: expected, j: expected, b: 'x\ty\\z', same: true });
  });

  it('truncates long strings to the column only with truncatecolumns', async () => {
    await createTable('t_trunc', 'k integer, v varchar(5)');
    const files = { 'x.json': '{"k": 1, "v": "abcdefgh"}\n{"k": 2, "v": "😀😀😀😀😀😀😀"}\n{"k": 3, "v": "😀😀😀😀😀"}\n' };
    const strict = await load('t_trunc', files, { options: { maxerror: 2 } });
    expect(strict.rejected.map((e) => [e.line, e.column, e.reason])).toEqual([
      [1, 'v', "a value of 8 characters is longer than the column's 5; widen the column or set truncatecolumns"],
      [2, 'v', "a value of 7 characters is longer than the column's 5; widen the column or set truncatecolumns"],
    ]);
    expect(await textRows('t_trunc', 'k')).toEqual([{ k: '3', v: '😀😀😀😀😀' }]);
    await wh.driver.exec('truncate t_trunc');
    await load('t_trunc', files, { options: { truncatecolumns: true } });
    expect(await textRows('t_trunc', 'k')).toEqual([
      { k: '1', v: 'abcde' },
      { k: '2', v: '😀😀😀😀😀' },
      { k: '3', v: '😀😀😀😀😀' },
    ]);
  });

  it('rejects unpaired surrogates unless acceptinvchars', async () => {
    await createTable('t_surrogates', 'k integer, s text');
    const files = { 'x.json': '{"k": 1, "s": "a\\ud800b"}\n{"k": 2, "s": "ok \\ud83d\\ude00"}\n' };
    const strict = await load('t_surrogates', files, { options: { maxerror: 1 } });
    expect(strict.rejected).toEqual([
      { file: 'x.json', line: 1, column: 's', raw: 'a\uD800b', reason: 'invalid UTF-8 (an unpaired surrogate); set acceptinvchars to replace it' },
    ]);
    await wh.driver.exec('truncate t_surrogates');
    const lenient = await load('t_surrogates', files, { options: { acceptinvchars: '?' } });
    expect(lenient.rejected).toEqual([]);
    expect(await textRows('t_surrogates', 'k')).toEqual([
      { k: '1', s: 'a?b' },
      { k: '2', s: 'ok 😀' },
    ]);
  });

  it("maps keys with 'auto' (exact case) and 'auto ignorecase'", async () => {
    await createTable('t_case', 'userid varchar(8), firstname varchar(16), level varchar(8)');
    const files = { 'x.json': '{"userId": "39", "firstName": "Walter", "level": "free"}\n' };
    await load('t_case', files, { format: { kind: 'auto', ignoreCase: false } });
    await load('t_case', files, { format: { kind: 'auto', ignoreCase: true } });
    expect(await textRows('t_case', 'userid nulls first')).toEqual([
      { userid: null, firstname: null, level: 'free' },
      { userid: '39', firstname: 'Walter', level: 'free' },
    ]);
  });

  it('maps with a JSONPaths file, objects and arrays alike', async () => {
    await createTable('t_paths', 'id integer, name varchar(16), tag varchar(8)');
    const jsonpaths = { kind: 'jsonpaths' as const, file: 'paths.json', text: '{"jsonpaths": ["$[0]", "$[1].name", "$[1][\'tags\'][0]"]}' };
    const r = await load('t_paths', { 'x.json': '[1, {"name": "one", "tags": ["a", "b"]}]\n[2, {"name": "two"}]\n{"name": "obj"}\n' }, { format: jsonpaths });
    expect(r).toMatchObject({ rows: 3, rejected: [] });
    expect(await textRows('t_paths', 'id nulls last')).toEqual([
      { id: '1', name: 'one', tag: 'a' },
      { id: '2', name: 'two', tag: null },
      { id: null, name: null, tag: null },
    ]);
  });

  it('fails before loading anything when the JSONPaths file does not fit the table', async () => {
    await createTable('t_paths_bad', 'a integer, b integer');
    const err = await loadError(load('t_paths_bad', { 'x.json': '{"a": 1}' }, { format: { kind: 'jsonpaths', file: 'p.json', text: '{"jsonpaths": ["$.a"]}' } }));
    expect(err.message).toBe('the JSONPaths file has 1 paths but the staging table has 2 columns');
    expect(err.exitCode).toBe(2);
    expect(await textRows('t_paths_bad', 'a')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The real sample's first events file, through the real JSONPaths file, into a table shaped like stg_events.

const realSample = path.resolve(repoRoot, '../shared/sparkify-data');
const eventsFile = path.join(realSample, 'log_data/2018/11/2018-11-01-events.json');
const jsonPathsFile = path.join(realSample, 'log_json_path.json');
const hasSample = fs.existsSync(eventsFile) && fs.existsSync(jsonPathsFile);
if (!hasSample) console.warn(`[skipped] real-sample load tests: ${eventsFile} or ${jsonPathsFile} does not exist`);

describe.skipIf(!hasSample)('the real sample through log_json_path.json', () => {
  interface RawEvent {
    artist: string | null;
    auth: string;
    firstName: string;
    gender: string;
    itemInSession: number;
    lastName: string;
    length: number | null;
    level: string;
    location: string;
    method: string;
    page: string;
    registration: number;
    sessionId: number;
    song: string | null;
    status: number;
    ts: number;
    userAgent: string;
    userId: string;
  }
  let raw: RawEvent[];
  let result: LoadResult;
  let rows: Record<string, string | null>[];

  beforeAll(async () => {
    raw = fs
      .readFileSync(eventsFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as RawEvent);
    // The staging model's column list, without its config and comments.
    const model = fs.readFileSync(path.join(repoRoot, 'models/staging/stg_events.sql'), 'utf8');
    const ddl = model
      .replace(/\{\{[\s\S]*?\}\}/g, '')
      .split('\n')
      .filter((l) => !l.trim().startsWith('--'))
      .join('\n');
    await createTable('stg_events_sample', ddl);
    const files = await localFiles.list(eventsFile);
    result = await wh.driver.transaction(async (tx) =>
      loadJson(tx, {
        relation: { schema: 'public', identifier: 'stg_events_sample' },
        columns: await columnsOf(tx, 'stg_events_sample'),
        files,
        source: localFiles,
        format: { kind: 'jsonpaths', file: 'log_json_path.json', text: fs.readFileSync(jsonPathsFile, 'utf8') },
        options: { ...OPTS, timeformat: 'epochmillisecs', maxerror: 0 },
      }),
    );
    rows = await textRows('stg_events_sample', 'ts, item_in_session');
  });

  it('loads every event of the file without a reject', () => {
    expect(raw).toHaveLength(15);
    expect(result).toMatchObject({ files: 1, rows: 15, bytes: fs.statSync(eventsFile).size, rejected: [] });
  });

  it('holds the first event exactly', () => {
    expect(rows[0]).toEqual({
      artist: null,
      auth: 'Logged In',
      first_name: 'Walter',
      gender: 'M',
      item_in_session: '0',
      last_name: 'Frye',
      length: null,
      level: 'free',
      location: 'San Francisco-Oakland-Hayward, CA',
      method: 'GET',
      page: 'Home',
      registration: '1540919166796',
      session_id: '38',
      song: null,
      status: '200',
      ts: '2018-11-01 20:57:10.796',
      user_agent: '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
      user_id: '39',
    });
  });

  it('matches the raw JSON in every row', () => {
    const pgTime = (ms: number): string =>
      new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/Z$/, '')
        .replace(/\.?0+$/, '');
    const expected = [...raw]
      .sort((a, b) => a.ts - b.ts || a.itemInSession - b.itemInSession)
      .map((e) => ({
        artist: e.artist,
        first_name: e.firstName,
        item_in_session: String(e.itemInSession),
        length: e.length === null ? null : String(e.length),
        page: e.page,
        registration: String(e.registration),
        session_id: String(e.sessionId),
        song: e.song,
        ts: pgTime(e.ts),
        user_agent: e.userAgent,
        user_id: e.userId,
      }));
    const actual = rows.map((r) => ({
      artist: r.artist,
      first_name: r.first_name,
      item_in_session: r.item_in_session,
      length: r.length,
      page: r.page,
      registration: r.registration,
      session_id: r.session_id,
      song: r.song,
      ts: r.ts,
      user_agent: r.user_agent,
      user_id: r.user_id,
    }));
    expect(actual).toEqual(expected);
    expect(rows.filter((r) => r.page === 'NextSong').map((r) => r.song)).toContain('You Gotta Be');
    expect(rows.find((r) => r.song === 'You Gotta Be')).toMatchObject({ artist: "Des'ree", length: '246.30812', user_id: '8', ts: '2018-11-01 21:01:46.796' });
  });
});
