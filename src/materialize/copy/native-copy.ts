import { SparkifyError } from '../../core/errors.js';
import { loadFailure, type LoadResult } from '../../load/copy.js';
import { fileSourceFor, type FileRef } from '../../load/sources/index.js';
import { parseManifest } from './manifest.js';
import { CopyRejectedError } from '../../warehouse/errors.js';
import type { Relation, S3CopySpec, Session } from '../../warehouse/types.js';
import type { SourceLocation } from '../../core/location.js';
import type { RejectedRow } from '../../core/copy.js';

// Staging loads on a warehouse that loads files itself, from S3 (Session.copyFromS3, e.g. Redshift's COPY).
// The engine still lists the files (the ledger records exactly what a load read) but never reads their
// rows; the warehouse does, inside the load's transaction.

/** Where a copy model's files come from. */
export type CopyOrigin = { kind: 'prefix'; url: string } | { kind: 'manifest'; url: string };

export interface NativeLoad {
  model: string;
  relation: Relation;
  columns: string[];
  /** The files to load now (all of them, or only the new ones). */
  files: FileRef[];
  /** Every file the model's prefix or manifest lists now. */
  listed: FileRef[];
  origin: CopyOrigin;
  format: { kind: 'auto'; ignoreCase: boolean } | { kind: 'jsonpaths'; url: string };
  options: { timeformat: string; blanksasnull: boolean; emptyasnull: boolean; truncatecolumns: boolean; acceptinvchars?: string; ignoreheader?: number };
  /** The model's gzip config, when it has one. */
  gzip?: boolean;
  /** The bucket's region, when the model names one. */
  region?: string;
  maxerror: number;
}

/**
 * The warehouse reads only S3: a file, prefix, manifest or JSONPaths file on this machine is a configuration
 * error that says what to do.
 */
export function requireS3(model: string, where: SourceLocation, dataPath: string, locations: string[]): void {
  const local = locations.find((l) => !l.startsWith('s3://'));
  if (local === undefined) return;
  const root = dataPath.startsWith('s3://') ? '<dir>' : dataPath;
  throw new SparkifyError(`${model}: this warehouse loads staging files itself, from S3, and cannot read ${local} on this machine`, {
    location: where,
    hint:
      `Put the raw data on S3 (e.g. aws s3 sync ${root} s3://<bucket>/<prefix>) and point data_path at it: --vars '{"data_path": "s3://<bucket>/<prefix>"}' ` +
      '(or vars.data_path in project.yml; manifest entries and the JSONPaths file must be s3:// URLs too). The dev and pg targets load local files.',
  });
}

/** One COPY: a prefix that matches exactly `files` among the listed keys, or a manifest listing them. */
interface CopyUnit {
  from: string;
  manifest: boolean;
  files: FileRef[];
}

/**
 * Load `files` with the warehouse's COPY from S3, one statement per unit (see copyUnits); MAXERROR counts
 * across them, as the engine's loader counts across sources. Rejected rows come back named as the loader
 * names them (the file's display name). Too many rejected rows fail the load with loadFailure's error.
 */
export async function loadNative(tx: Session, load: NativeLoad): Promise<LoadResult> {
  const units = await copyUnits(load);
  const display = new Map(load.files.map((f) => [f.url, f.display]));
  const name = (row: RejectedRow): string => {
    const exact = display.get(row.file);
    if (exact !== undefined) return exact;
    // A warehouse may keep only the start of a long file name (Redshift: 256 characters): found by its start.
    const cut = row.file.length >= 255 ? load.files.find((f) => f.url.startsWith(row.file)) : undefined;
    return cut?.display ?? row.file;
  };
  const toLoadError = (row: RejectedRow): RejectedRow => ({ file: name(row), line: row.line, column: row.column, raw: row.raw, reason: row.reason });
  const total: LoadResult = { files: 0, rows: 0, bytes: 0, rejected: [] };
  for (const unit of units) {
    const spec: S3CopySpec = {
      relation: load.relation,
      columns: load.columns,
      from: unit.from,
      manifest: unit.manifest,
      format: load.format,
      ...load.options,
      maxerror: load.maxerror - total.rejected.length,
      gzip: gzipOf(load, unit),
      ...(load.region ? { region: load.region } : {}),
    };
    let r;
    try {
      r = await tx.copyFromS3!(spec);
    } catch (err) {
      if (err instanceof CopyRejectedError) throw loadFailure([...total.rejected, ...err.rejected.map(toLoadError)], load.maxerror);
      throw err;
    }
    total.files += unit.files.length;
    total.bytes += unit.files.reduce((n, f) => n + f.size, 0);
    total.rows += r.rows;
    total.rejected.push(...r.rejected.map(toLoadError));
  }
  return total;
}

/**
 * What to COPY so that the warehouse reads exactly `load.files`. A COPY FROM 's3://bucket/x' reads every key
 * that starts with x (S3CopySpec.from; Redshift's rule), so:
 * - a prefix model whose every listed file is to be loaded: one COPY of the model's prefix (the listing
 *   used the same prefix rule);
 * - otherwise (an incremental load of new files), the fewest prefixes that start only new keys: for each new
 *   key, the shortest of the model's prefix, its folders (…/2018/12/) and the key itself such that every
 *   listed key under it is new and not yet covered. The listing holds every key under the model's prefix,
 *   hence every key that starts with one of these. A new key that another, already loaded, key starts with
 *   (a.json beside a.json.bak) cannot be read alone: an error says so;
 * - a manifest model loading all its files, when the manifest lists each file once by its s3:// URL: one
 *   COPY ... MANIFEST; otherwise one COPY per key, each key checked by listing it as a prefix.
 * Keys added under a prefix between the listing and the COPY would be loaded without being in the ledger:
 * a race the listing cannot close (only a manifest written to S3 could).
 */
export async function copyUnits(load: NativeLoad): Promise<CopyUnit[]> {
  if (load.origin.kind === 'prefix') {
    const { units, ambiguous } = prefixCover(load.origin.url, load.listed, load.files);
    if (ambiguous.length) throw ambiguity(load, ambiguous[0]!.key, ambiguous[0]!.other);
    return units;
  }
  const all = load.files.length === load.listed.length && load.listed.every((f) => load.files.includes(f));
  if (all && (await manifestUsable(load.origin.url))) return [{ from: load.origin.url, manifest: true, files: load.files }];
  const units: CopyUnit[] = [];
  for (const f of load.files) {
    const under = await (await fileSourceFor(f.url)).list(f.url);
    const other = under.find((g) => g.url !== f.url);
    if (other) throw ambiguity(load, f.url, other.url);
    units.push({ from: f.url, manifest: false, files: [f] });
  }
  return units;
}

/** Does the manifest name each file once, by full s3:// URL, as COPY ... MANIFEST needs? */
async function manifestUsable(url: string): Promise<boolean> {
  const entries = parseManifest(await (await fileSourceFor(url)).readText(url), url);
  const urls = entries.map((e) => e.url);
  return urls.every((u) => u.startsWith('s3://')) && new Set(urls).size === urls.length;
}

/** The prefixes that cover exactly `fresh` among `listed` (see copyUnits). Exported for unit tests. */
export function prefixCover(prefix: string, listed: FileRef[], fresh: FileRef[]): { units: CopyUnit[]; ambiguous: { key: string; other: string }[] } {
  const files = [...listed].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const urls = files.map((f) => f.url);
  const isFresh = new Set(fresh.map((f) => f.url));
  // old[i]: how many of the first i listed keys are not to be loaded.
  const old = [0];
  for (const u of urls) old.push(old[old.length - 1]! + (isFresh.has(u) ? 0 : 1));
  const lowerBound = (p: string): number => {
    let lo = 0;
    let hi = urls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (urls[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Keys that start with p are a run of the sorted list from lowerBound(p).
  const range = (p: string): [number, number] => {
    const lo = lowerBound(p);
    let a = lo;
    let b = urls.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (urls[mid]!.startsWith(p)) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  };
  const units: CopyUnit[] = [];
  const ambiguous: { key: string; other: string }[] = [];
  let covered = 0;
  for (let i = 0; i < urls.length; i++) {
    const key = urls[i]!;
    if (!isFresh.has(key) || i < covered) continue;
    const candidates = [prefix];
    for (let at = key.indexOf('/', prefix.length); at >= 0 && at < key.length - 1; at = key.indexOf('/', at + 1)) candidates.push(key.slice(0, at + 1));
    candidates.push(key);
    let chosen = false;
    for (const c of candidates) {
      if (!key.startsWith(c)) continue;
      const [lo, hi] = range(c);
      if (lo < covered || old[hi]! - old[lo]! > 0) continue;
      units.push({ from: c, manifest: false, files: files.slice(lo, hi) });
      covered = hi;
      chosen = true;
      break;
    }
    if (!chosen) {
      const [lo, hi] = range(key);
      const other = urls.slice(lo, hi).find((u) => u !== key && !isFresh.has(u)) ?? urls.slice(lo, hi).find((u) => u !== key) ?? key;
      ambiguous.push({ key, other });
      covered = Math.max(covered, i + 1);
    }
  }
  return { units, ambiguous };
}

function ambiguity(load: NativeLoad, key: string, other: string): SparkifyError {
  return new SparkifyError(
    `${load.model}: cannot load ${key} on its own: COPY from S3 reads every key that starts with it, and ${other} (not to be loaded now) does too`,
    { exitCode: 1, hint: `Nothing was loaded. Rename the file so that no other key starts with its name, or rebuild ${load.model} from all its files with --full-refresh.` },
  );
}

/** GZIP for a COPY: by the model's gzip config, or when every file is *.gz (as the engine's loader decides per file). */
function gzipOf(load: NativeLoad, unit: CopyUnit): boolean {
  if (load.gzip !== undefined) return load.gzip;
  const gz = unit.files.filter((f) => /\.gz$/i.test(f.url));
  if (gz.length === 0) return false;
  if (gz.length === unit.files.length) return true;
  const plain = unit.files.find((f) => !/\.gz$/i.test(f.url))!;
  throw new SparkifyError(`${load.model}: ${unit.from} holds gzip files (${gz[0]!.display}) and plain ones (${plain.display}); one COPY from S3 reads one kind at a time`, {
    exitCode: 1,
    hint: 'Keep .gz files and plain files under different prefixes (or compress them all), or set gzip=true if every file is gzip whatever its name.',
  });
}
