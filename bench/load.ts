// Staging-load benchmark: `node dist/bench/load.js` (after `npm run build`), or runLoadBench() from another
// script. Generates 1M events (and with --big 10M) once into a reusable temp dir, then measures side by
// side, in one run:
//   PostgreSQL (PG* variables): our loader; `psql \copy` of the same rows pre-converted to CSV; row-by-row
//   INSERT (one statement a row, one transaction) on a sample;
//   PGlite: our loader; a plain `COPY ... FROM '/dev/blob'` of the same CSV;
//   memory: the peak RSS of a child process loading 1M and 10M events.
// Flags: --events N (1000000)  --big (also 10M for the RSS comparison)  --big-events N  --runs N (3)
//        --insert-sample N (20000)  --workers N  --no-pg  --no-embedded  --no-rss  --data-dir D  --json

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { generateSample } from '../src/generate/sample.js';
import { loadJson, type LoadSpec } from '../src/load/copy.js';
import type { ColumnType } from '../src/load/convert.js';
import { closeDecodeWorkers } from '../src/load/pool/workers.js';
import { localFiles } from '../src/load/sources/index.js';
import { openEmbedded } from '../src/warehouse/embedded.js';
import { openPostgres } from '../src/warehouse/postgres.js';
import type { Warehouse } from '../src/warehouse/types.js';

// dist/bench/load.js (or bench/load.ts) -> the repo root.
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

export interface LoadBenchOptions {
  events?: number;
  /** Also generate this many events for the peak-RSS comparison (10M with --big); 0 = skip. */
  bigEvents?: number;
  runs?: number;
  insertSample?: number;
  /** Decode workers for our loader (default: the loader's own choice). */
  workers?: number;
  pg?: boolean;
  embedded?: boolean;
  rss?: boolean;
  dataDir?: string;
  log?: (line: string) => void;
}

export interface Rate {
  rows: number;
  /** Median wall time of the runs, seconds. */
  seconds: number;
  rowsPerSec: number;
  runs: number[];
}

export interface LoadBenchResult {
  machine: { cpus: number; memoryGB: number; node: string; postgres?: string; loadAverage: number[] };
  events: number;
  jsonBytes: number;
  csvBytes: number;
  pg?: {
    ours: Rate;
    oursMainThread: Rate;
    psqlCopy: Rate;
    insert: Rate;
    /** Ratios of the medians; and run by run (each run measures all three back to back). */
    vsCopy: number;
    vsCopyMainThread: number;
    vsInsert: number;
    vsCopyByRun: number[];
  };
  embedded?: { ours: Rate; plainCopy: Rate; vsCopy: number; vsCopyByRun: number[] };
  rss?: { events: number; maxRssMB: number; runsMB: number[] }[];
  rssRatio?: number;
  /** The same for a load into PGlite (whose own footprint, a WebAssembly Postgres, is most of it). */
  rssEmbedded?: { events: number; maxRssMB: number; runsMB: number[] }[];
  rssEmbeddedRatio?: number;
}

const SCHEMA = 'sparkify_bench';

export async function runLoadBench(opts: LoadBenchOptions = {}): Promise<LoadBenchResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const events = opts.events ?? 1_000_000;
  const runs = opts.runs ?? 3;
  const dataRoot = opts.dataDir ?? path.join(os.tmpdir(), 'sparkify-bench-load');
  const data = await ensureData(dataRoot, events, log);
  const ddl = stagingDdl();
  const jsonFiles = await localFiles.list(path.join(data, 'log_data'));
  const jsonBytes = jsonFiles.reduce((n, f) => n + f.size, 0);
  const jsonPaths = fs.readFileSync(path.join(data, 'log_json_path.json'), 'utf8');
  const result: LoadBenchResult = {
    machine: { cpus: os.availableParallelism(), memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg() },
    events,
    jsonBytes,
    csvBytes: 0,
  };

  let wh: Warehouse | undefined;
  if (opts.pg !== false) {
    try {
      wh = await openPostgres({ schema: SCHEMA, threads: 1 });
      result.machine.postgres = String((await wh.driver.query('show server_version')).rows[0]!.server_version);
    } catch (err) {
      log(`PostgreSQL: skipped (${(err as Error).message.split('\n')[0]})`);
    }
  }
  const csv = path.join(data, 'stg_events.csv');
  try {
    if (!fs.existsSync(csv)) await makeCsv(csv, data, ddl, jsonPaths, wh, log);
    result.csvBytes = fs.statSync(csv).size;
    const spec = (relation: string, columns: ColumnType[], workers?: number): LoadSpec => ({
      relation: { schema: SCHEMA, identifier: relation },
      columns,
      files: jsonFiles,
      source: localFiles,
      format: { kind: 'jsonpaths', file: 'log_json_path.json', text: jsonPaths },
      options: { timeformat: 'epochmillisecs', blanksasnull: false, emptyasnull: false, truncatecolumns: false, maxerror: 0 },
      ...(workers !== undefined ? { workers } : opts.workers !== undefined ? { workers: opts.workers } : {}),
    });

    if (wh) {
      const w = wh;
      const fresh = async (t: string): Promise<ColumnType[]> => {
        await w.driver.exec(`drop table if exists ${SCHEMA}.${t}; create table ${SCHEMA}.${t} (${ddl})`);
        await w.driver.exec('checkpoint').catch(() => undefined); // start each run with no dirty buffers
        return columnsOf(w, SCHEMA, t);
      };
      const ours: number[] = [];
      const oursMain: number[] = [];
      const psql: number[] = [];
      for (let r = 1; r <= runs; r++) {
        log(`PostgreSQL run ${r}/${runs}: our loader ...`);
        let cols = await fresh('bench_ours');
        let t0 = performance.now();
        const loaded = await w.driver.transaction((tx) => loadJson(tx, spec('bench_ours', cols)));
        ours.push((performance.now() - t0) / 1000);
        if (loaded.rows !== events) throw new Error(`our loader loaded ${loaded.rows} rows, expected ${events}`);
        log(`  ${fmtRate(events, ours.at(-1)!)}; psql \\copy of the CSV ...`);
        await fresh('bench_psql');
        t0 = performance.now();
        const p = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${SCHEMA}.bench_psql from '${csv}' with (format csv)`], { encoding: 'utf8' });
        psql.push((performance.now() - t0) / 1000);
        if (p.status !== 0) throw new Error(`psql failed: ${p.stderr || p.error?.message}`);
        log(`  ${fmtRate(events, psql.at(-1)!)}; our loader on the main thread only (workers 0) ...`);
        cols = await fresh('bench_main');
        t0 = performance.now();
        await w.driver.transaction((tx) => loadJson(tx, spec('bench_main', cols, 0)));
        oursMain.push((performance.now() - t0) / 1000);
        log(`  ${fmtRate(events, oursMain.at(-1)!)}`);
      }
      const same = await w.driver.query(
        `select (select md5(string_agg(t::text, '|' order by ctid)) from ${SCHEMA}.bench_ours t) = (select md5(string_agg(t::text, '|' order by ctid)) from ${SCHEMA}.bench_psql t) as same`,
      );
      if (same.rows[0]!.same !== true) throw new Error('our loader and psql \\copy loaded different rows');
      log(`row-by-row INSERT of a ${opts.insertSample ?? 20_000}-row sample ...`);
      const insertSeconds = await insertSample(w, ddl, path.join(data, 'log_data'), opts.insertSample ?? 20_000);
      for (const t of ['bench_ours', 'bench_psql', 'bench_main', 'bench_insert']) await w.driver.exec(`drop table if exists ${SCHEMA}.${t}`);
      const oursRate = rate(events, ours);
      const copyRate = rate(events, psql);
      const mainRate = rate(events, oursMain);
      const insertRate = rate(opts.insertSample ?? 20_000, [insertSeconds]);
      result.pg = {
        ours: oursRate,
        oursMainThread: mainRate,
        psqlCopy: copyRate,
        insert: insertRate,
        vsCopy: oursRate.rowsPerSec / copyRate.rowsPerSec,
        vsCopyMainThread: mainRate.rowsPerSec / copyRate.rowsPerSec,
        vsInsert: oursRate.rowsPerSec / insertRate.rowsPerSec,
        vsCopyByRun: ours.map((s, i) => psql[i]! / s),
      };
    }

    if (opts.embedded !== false) result.embedded = await embeddedBench(ddl, csv, events, runs, (t, cols) => spec(t, cols), log);

    if (opts.rss !== false) {
      const sizes = [events, ...(opts.bigEvents ? [opts.bigEvents] : [])];
      const targets = [...(wh ? (['pg'] as const) : []), ...(opts.embedded !== false ? (['embedded'] as const) : [])];
      for (const target of targets) {
        const out: NonNullable<LoadBenchResult['rss']> = [];
        for (const n of sizes) {
          const dir = await ensureData(dataRoot, n, log);
          // Peak RSS moves a few MB with the garbage collector's timing: the median of a few runs.
          const tries = Math.max(1, Math.min(runs, 3));
          log(`peak RSS of a child process loading ${n} events into ${target === 'pg' ? 'PostgreSQL' : 'PGlite'} (median of ${tries}) ...`);
          const mbs: number[] = [];
          for (let t = 0; t < tries; t++) mbs.push(await childRss(dir, target, opts.workers));
          mbs.sort((a, b) => a - b);
          out.push({ events: n, maxRssMB: mbs[Math.floor(mbs.length / 2)]!, runsMB: mbs });
          log(`  ${mbs.map((x) => x.toFixed(0)).join(' / ')} MB`);
        }
        const ratio = out.length > 1 ? out[1]!.maxRssMB / out[0]!.maxRssMB : undefined;
        if (target === 'pg') {
          result.rss = out;
          if (ratio !== undefined) result.rssRatio = ratio;
        } else {
          result.rssEmbedded = out;
          if (ratio !== undefined) result.rssEmbeddedRatio = ratio;
        }
      }
    }
  } finally {
    await wh?.driver.exec(`drop schema if exists ${SCHEMA} cascade`).catch(() => undefined);
    await wh?.driver.close();
    await closeDecodeWorkers();
  }
  result.machine.loadAverage = os.loadavg();
  return result;
}

/** Our loader into PGlite vs a plain COPY of the CSV as one Blob (what PGlite's docs show), alternating. */
async function embeddedBench(
  ddl: string,
  csv: string,
  events: number,
  runs: number,
  spec: (t: string, cols: ColumnType[]) => LoadSpec,
  log: (s: string) => void,
): Promise<LoadBenchResult['embedded']> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-pglite-'));
  try {
    log('PGlite: initdb ...');
    const dataDir = path.join(dir, 'db');
    const init = await PGlite.create({ dataDir });
    await init.exec(`create schema ${SCHEMA}`);
    await init.close();
    const ours: number[] = [];
    const plain: number[] = [];
    const csvBytes = fs.readFileSync(csv);
    for (let r = 1; r <= runs; r++) {
      log(`PGlite run ${r}/${runs}: our loader ...`);
      const wh = await openEmbedded(dataDir, SCHEMA);
      try {
        await wh.driver.exec(`drop table if exists ${SCHEMA}.bench_ours; create table ${SCHEMA}.bench_ours (${ddl}); checkpoint`);
        const cols = await columnsOf(wh, SCHEMA, 'bench_ours');
        const t0 = performance.now();
        const loaded = await wh.driver.transaction((tx) => loadJson(tx, spec('bench_ours', cols)));
        ours.push((performance.now() - t0) / 1000);
        if (loaded.rows !== events) throw new Error(`PGlite: loaded ${loaded.rows} rows, expected ${events}`);
        await wh.driver.exec(`drop table ${SCHEMA}.bench_ours`);
      } finally {
        await wh.driver.close();
      }
      log(`  ${fmtRate(events, ours.at(-1)!)}; plain COPY of the CSV ...`);
      const db = await PGlite.create({ dataDir });
      try {
        await db.exec(`drop table if exists ${SCHEMA}.bench_plain; create table ${SCHEMA}.bench_plain (${ddl}); checkpoint`);
        const blob = new Blob([csvBytes]);
        const t0 = performance.now();
        const res = await db.query(`copy ${SCHEMA}.bench_plain from '/dev/blob' with (format csv)`, [], { blob });
        plain.push((performance.now() - t0) / 1000);
        if (res.affectedRows !== events) throw new Error(`PGlite plain COPY: ${res.affectedRows} rows, expected ${events}`);
        await db.exec(`drop table ${SCHEMA}.bench_plain`);
      } finally {
        await db.close();
      }
      log(`  ${fmtRate(events, plain.at(-1)!)}`);
    }
    const o = rate(events, ours);
    const p = rate(events, plain);
    return { ours: o, plainCopy: p, vsCopy: o.rowsPerSec / p.rowsPerSec, vsCopyByRun: ours.map((s, i) => plain[i]! / s) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The seeds' way: parse each event, one parameterised INSERT a row, all in one transaction. */
async function insertSample(wh: Warehouse, ddl: string, logDir: string, n: number): Promise<number> {
  await wh.driver.exec(`drop table if exists ${SCHEMA}.bench_insert; create table ${SCHEMA}.bench_insert (${ddl})`);
  const rows: unknown[][] = [];
  for (const f of await localFiles.list(logDir)) {
    for (const line of fs.readFileSync(f.url, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      rows.push([
        e.artist, e.auth, e.firstName, e.gender, e.itemInSession, e.lastName, e.length, e.level, e.location, e.method, e.page,
        e.registration, e.sessionId, e.song, e.status, new Date(e.ts as number).toISOString(), e.userAgent, e.userId,
      ]);
      if (rows.length >= n) break;
    }
    if (rows.length >= n) break;
  }
  const client = new pg.Client({ options: `-c search_path=${SCHEMA}` });
  await client.connect();
  try {
    const sql = `insert into bench_insert values (${rows[0]!.map((_, i) => `$${i + 1}`).join(', ')})`;
    const t0 = performance.now();
    await client.query('begin');
    for (const r of rows) await client.query(sql, r);
    await client.query('commit');
    return (performance.now() - t0) / 1000;
  } finally {
    await client.end();
  }
}

/** The same rows as our loader makes, as CSV: loaded once (outside any timing), then exported. */
async function makeCsv(csv: string, data: string, ddl: string, jsonPaths: string, wh: Warehouse | undefined, log: (s: string) => void): Promise<void> {
  log(`pre-converting the events to CSV (${csv}) ...`);
  const files = await localFiles.list(path.join(data, 'log_data'));
  const spec = (columns: ColumnType[], schema: string): LoadSpec => ({
    relation: { schema, identifier: 'bench_csv' },
    columns,
    files,
    source: localFiles,
    format: { kind: 'jsonpaths', file: 'log_json_path.json', text: jsonPaths },
    options: { timeformat: 'epochmillisecs', blanksasnull: false, emptyasnull: false, truncatecolumns: false, maxerror: 0 },
  });
  const tmp = `${csv}.tmp`;
  if (wh) {
    await wh.driver.exec(`drop table if exists ${SCHEMA}.bench_csv; create table ${SCHEMA}.bench_csv (${ddl})`);
    const cols = await columnsOf(wh, SCHEMA, 'bench_csv');
    await wh.driver.transaction((tx) => loadJson(tx, spec(cols, SCHEMA)));
    const p = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${SCHEMA}.bench_csv to '${tmp}' with (format csv)`], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`psql failed: ${p.stderr || p.error?.message}`);
    await wh.driver.exec(`drop table ${SCHEMA}.bench_csv`);
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-csv-'));
    try {
      const e = await openEmbedded(path.join(dir, 'db'), 'public');
      try {
        await e.driver.exec(`create table bench_csv (${ddl})`);
        const cols = await columnsOf(e, 'public', 'bench_csv');
        await e.driver.transaction((tx) => loadJson(tx, spec(cols, 'public')));
      } finally {
        await e.driver.close();
      }
      const db = await PGlite.create({ dataDir: path.join(dir, 'db') });
      const r = await db.query(`copy bench_csv to '/dev/blob' with (format csv)`);
      fs.writeFileSync(tmp, Buffer.from(await r.blob!.arrayBuffer()));
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.renameSync(tmp, csv);
}

/** Generated events under root/events-N, made once and reused (a marker file says it is complete). */
export async function ensureData(root: string, events: number, log: (s: string) => void): Promise<string> {
  const dir = path.join(root, `events-${events}`);
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return dir;
  log(`generating ${events} events into ${dir} (once; reused by later runs) ...`);
  fs.rmSync(dir, { recursive: true, force: true });
  await generateSample({ outDir: dir, events, users: 5000 });
  fs.writeFileSync(marker, new Date().toISOString());
  return dir;
}

/** The stg_events model's column list (its config and comments removed). */
function stagingDdl(): string {
  return fs
    .readFileSync(path.join(repoRoot, 'models/staging/stg_events.sql'), 'utf8')
    .replace(/\{\{[\s\S]*?\}\}/g, '')
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
}

async function columnsOf(wh: Warehouse, schema: string, table: string): Promise<ColumnType[]> {
  const res = await wh.driver.query(wh.dialect.listColumns(), [schema, table]);
  return res.rows.map((r) => ({
    name: String(r.column_name),
    dataType: String(r.data_type),
    maxLength: r.character_maximum_length == null ? null : Number(r.character_maximum_length),
  }));
}

/** Run this script as a child that loads `dir` into PostgreSQL or a new PGlite and reports its peak RSS (MB). */
function childRss(dir: string, target: 'pg' | 'embedded', workers?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--child-load', dir, '--child-target', target, ...(workers !== undefined ? ['--workers', String(workers)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the loader child exited with code ${code}`));
      resolve((JSON.parse(out) as { maxRssKB: number }).maxRssKB / 1024);
    });
  });
}

async function childLoad(dir: string, target: string, workers?: number): Promise<void> {
  const embeddedDir = target === 'embedded' ? fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-rss-')) : undefined;
  const schema = embeddedDir ? 'public' : `${SCHEMA}_rss`;
  const wh = embeddedDir ? await openEmbedded(embeddedDir, schema) : await openPostgres({ schema, threads: 1 });
  try {
    await wh.driver.exec(`drop table if exists ${schema}.bench_rss; create table ${schema}.bench_rss (${stagingDdl()})`);
    const columns = await columnsOf(wh, schema, 'bench_rss');
    const files = await localFiles.list(path.join(dir, 'log_data'));
    const text = fs.readFileSync(path.join(dir, 'log_json_path.json'), 'utf8');
    const r = await wh.driver.transaction((tx) =>
      loadJson(tx, {
        relation: { schema, identifier: 'bench_rss' },
        columns,
        files,
        source: localFiles,
        format: { kind: 'jsonpaths', file: 'log_json_path.json', text },
        options: { timeformat: 'epochmillisecs', blanksasnull: false, emptyasnull: false, truncatecolumns: false, maxerror: 0 },
        ...(workers !== undefined ? { workers } : {}),
      }),
    );
    if (!embeddedDir) await wh.driver.exec(`drop schema ${schema} cascade`);
    // The peak RSS of this process' own memory (VmHWM): getrusage's maxrss would count the parent's memory
    // at fork time (Linux carries it over exec).
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    process.stdout.write(JSON.stringify({ rows: r.rows, maxRssKB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }));
  } finally {
    await wh.driver.close();
    await closeDecodeWorkers();
    if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
  }
}

function rate(rows: number, seconds: number[]): Rate {
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { rows, seconds: median, rowsPerSec: rows / median, runs: seconds };
}

function fmtRate(rows: number, seconds: number): string {
  return `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s (${seconds.toFixed(2)} s)`;
}

export function formatLoadBench(r: LoadBenchResult): string {
  const k = (v: number): string => Math.round(v).toLocaleString('en-US');
  const runs = (x: Rate): string => x.runs.map((s) => s.toFixed(2)).join(' / ');
  const m = r.machine;
  const lines = [
    `sparkify load bench: ${r.events.toLocaleString('en-US')} events (${(r.jsonBytes / 2 ** 20).toFixed(0)} MB JSON, ${(r.csvBytes / 2 ** 20).toFixed(0)} MB as CSV)`,
    `machine: ${m.cpus} CPUs, ${m.memoryGB} GB, node ${m.node}${m.postgres ? `, PostgreSQL ${m.postgres}` : ''}, load average ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}`,
  ];
  if (r.pg) {
    const p = r.pg;
    lines.push(
      '',
      'PostgreSQL (median of runs; seconds of each run)',
      `  our loader                    ${k(p.ours.rowsPerSec).padStart(10)} rows/s   (${runs(p.ours)})`,
      `  our loader, main thread only  ${k(p.oursMainThread.rowsPerSec).padStart(10)} rows/s   (${runs(p.oursMainThread)})`,
      `  psql \\copy of the CSV         ${k(p.psqlCopy.rowsPerSec).padStart(10)} rows/s   (${runs(p.psqlCopy)})`,
      `  row-by-row INSERT (${k(p.insert.rows)} rows) ${k(p.insert.rowsPerSec).padStart(8)} rows/s   (${runs(p.insert)})`,
      `  ratio vs psql \\copy: ${p.vsCopy.toFixed(2)}x (main thread only: ${p.vsCopyMainThread.toFixed(2)}x); vs row-by-row INSERT: ${p.vsInsert.toFixed(1)}x`,
      `  ratio vs psql \\copy run by run: ${p.vsCopyByRun.map((x) => `${x.toFixed(2)}x`).join(' / ')}`,
    );
  }
  if (r.embedded) {
    const e = r.embedded;
    lines.push(
      '',
      'PGlite (embedded)',
      `  our loader                    ${k(e.ours.rowsPerSec).padStart(10)} rows/s   (${runs(e.ours)})`,
      `  plain COPY of the CSV (Blob)  ${k(e.plainCopy.rowsPerSec).padStart(10)} rows/s   (${runs(e.plainCopy)})`,
      `  ratio vs plain COPY: ${e.vsCopy.toFixed(2)}x (run by run: ${e.vsCopyByRun.map((x) => `${x.toFixed(2)}x`).join(' / ')})`,
    );
  }
  const rssLines = (title: string, rows: NonNullable<LoadBenchResult['rss']>, ratio: number | undefined): void => {
    lines.push('', title);
    for (const x of rows) lines.push(`  ${x.events.toLocaleString('en-US').padStart(12)} events: ${x.maxRssMB.toFixed(0)} MB   (${x.runsMB.map((v) => v.toFixed(0)).join(' / ')})`);
    if (ratio !== undefined) lines.push(`  ratio: ${ratio.toFixed(2)}`);
  };
  if (r.rss) rssLines('peak RSS of a loader process (PostgreSQL target; median of runs)', r.rss, r.rssRatio);
  if (r.rssEmbedded) rssLines('peak RSS of a loader process (PGlite target, in the same process; median of runs)', r.rssEmbedded, r.rssEmbeddedRatio);
  return `${lines.join('\n')}\n`;
}

function flag(name: string): boolean {
  return process.argv.includes(name);
}
function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
function numberOption(name: string): number | undefined {
  const v = option(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`${name} takes a whole number\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const child = option('--child-load');
  if (child) return childLoad(child, option('--child-target') ?? 'pg', numberOption('--workers'));
  const big = flag('--big') ? (numberOption('--big-events') ?? 10_000_000) : 0;
  const r = await runLoadBench({
    ...(numberOption('--events') !== undefined ? { events: numberOption('--events')! } : {}),
    bigEvents: big,
    ...(numberOption('--runs') !== undefined ? { runs: numberOption('--runs')! } : {}),
    ...(numberOption('--insert-sample') !== undefined ? { insertSample: numberOption('--insert-sample')! } : {}),
    ...(numberOption('--workers') !== undefined ? { workers: numberOption('--workers')! } : {}),
    ...(option('--data-dir') ? { dataDir: option('--data-dir')! } : {}),
    pg: !flag('--no-pg'),
    embedded: !flag('--no-embedded'),
    rss: !flag('--no-rss'),
  });
  process.stdout.write(flag('--json') ? `${JSON.stringify(r, null, 2)}\n` : formatLoadBench(r));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
