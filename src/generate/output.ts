/**
 * Which directories the generator may write into. It writes a marker, `.sparkify-generated`, listing every
 * file it writes and the options it ran with; it regenerates only into a missing or empty directory or one
 * holding its own marker and nothing else, and then deletes only the files the marker lists. Anything else
 * is refused unless forced, and even then files it did not write are kept: it never deletes what it did
 * not make (the committed sample-data/ once lost hand-added files this way).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { SparkifyError } from '../core/errors.js';

export const MARKER = '.sparkify-generated';
const GENERATOR = 'sparkify generate';

export interface Marker {
  generator: typeof GENERATOR;
  about: string;
  options: Record<string, string | number>;
  /** Paths relative to the directory, forward slashes, sorted. */
  files: string[];
}

/** Every file under dir (relative, forward slashes, sorted); [] when dir does not exist. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** A listed path stays inside the directory (a marker is a file anyone can edit). */
const safeRelative = (f: unknown): f is string =>
  typeof f === 'string' && f !== '' && !path.isAbsolute(f) && !f.split(/[\\/]/).some((s) => s === '..' || s === '' || s === '.');

async function readMarker(dir: string): Promise<Marker | 'invalid' | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, MARKER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const m = JSON.parse(text) as Partial<Marker>;
    if (m.generator === GENERATOR && Array.isArray(m.files) && m.files.every(safeRelative)) return m as Marker;
  } catch {
    // fall through: not a marker this generator wrote
  }
  return 'invalid';
}

/**
 * Check that the generator may write into `dir` and clear what it wrote there before. Throws (exit 2,
 * nothing touched) when the directory holds files it did not write, unless `force`.
 */
export async function claimOutputDir(dir: string, force: boolean): Promise<void> {
  const marker = await readMarker(dir);
  const own = new Set(marker && marker !== 'invalid' ? marker.files : []);
  const files = await listFiles(dir);
  const foreign = files.filter((f) => f !== MARKER && !own.has(f));
  if ((foreign.length > 0 || marker === 'invalid') && !force) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, ... (${foreign.length} in all)` : '');
    const why =
      marker === 'invalid'
        ? `its ${MARKER} was not written by ${GENERATOR}`
        : marker
          ? `it holds files ${GENERATOR} did not write: ${shown}`
          : `${GENERATOR} did not create it (no ${MARKER} in it) and it holds files: ${shown}`;
    throw new SparkifyError(`generate: refusing to write into ${dir}: ${why}`, {
      hint: `Write somewhere else with --out <new dir>, or pass --force to write into it anyway (files it did not write are kept; it deletes only those its ${MARKER} lists).`,
    });
  }
  for (const f of own) await fsp.rm(path.join(dir, f), { force: true });
  await pruneEmptyDirs(dir, [...own]);
}

/** Remove the directories the listed files were in, and their parents, where they are now empty. */
async function pruneEmptyDirs(dir: string, files: string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  // Deepest first, so a parent is tried after its children.
  for (const d of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      await fsp.rmdir(path.join(dir, d));
    } catch {
      // not empty (other files) or already gone
    }
  }
}

/** Written before the data files, so an interrupted run still owns what it wrote. */
export async function writeMarker(dir: string, options: Marker['options'], files: string[]): Promise<void> {
  const marker: Marker = {
    generator: GENERATOR,
    about: `Written by ${GENERATOR} with these options. It regenerates this directory and deletes only the files listed here.`,
    options,
    files: [...files].sort(),
  };
  await fsp.writeFile(path.join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}
