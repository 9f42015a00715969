import fs from 'node:fs/promises';
import path from 'node:path';
import { SparkifyError } from '../../core/errors.js';
import { fileSourceFor, type FileRef, type FileSource } from '../../load/sources/index.js';

// Redshift manifest files: the exact list of files a COPY loads.
//
//   {"entries": [{"url": "s3://bucket/key", "mandatory": true, "meta": {"content_length": 1234}}, ...]}
//
// As in Redshift, `mandatory` defaults to false: a missing mandatory entry fails the load, a missing optional
// one is skipped. Here a url may also be a local path; a relative one is resolved against the data root.

export interface ManifestEntry {
  url: string;
  mandatory: boolean;
  contentLength?: number;
}

/** The files of a manifest, grouped by the source that reads them (a manifest may mix local and s3:// urls). */
export interface ResolvedManifest {
  groups: { source: FileSource; files: FileRef[] }[];
  /** Every file, in manifest order. */
  files: FileRef[];
  /** Non-mandatory entries that do not exist, skipped. */
  skipped: string[];
  /** Entries listed more than once (loaded once). */
  duplicates: string[];
}

/** Parse a manifest's text; errors name the manifest and, where it helps, the entry. */
export function parseManifest(text: string, display: string): ManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SparkifyError(`manifest ${display} is not valid JSON: ${(err as Error).message}`, {
      hint: 'A manifest is {"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}.',
    });
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !Array.isArray(entries)) {
    throw new SparkifyError(`manifest ${display} has no "entries" list`, {
      hint: 'A manifest is {"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}.',
    });
  }
  return entries.map((e: unknown, i): ManifestEntry => {
    const where = `manifest ${display}, entry ${i + 1}`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new SparkifyError(`${where} is not an object`, { hint: 'Each entry is {"url": "...", "mandatory": true|false}.' });
    const { url, mandatory, meta } = e as { url?: unknown; mandatory?: unknown; meta?: unknown };
    if (typeof url !== 'string' || url.trim() === '') throw new SparkifyError(`${where} has no "url"`, { hint: 'Each entry is {"url": "...", "mandatory": true|false}.' });
    if (mandatory !== undefined && typeof mandatory !== 'boolean') throw new SparkifyError(`${where} (${url}): "mandatory" must be true or false, not ${JSON.stringify(mandatory)}`);
    let contentLength: number | undefined;
    if (meta !== undefined) {
      const n = (meta as { content_length?: unknown } | null)?.content_length;
      if (n !== undefined) {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new SparkifyError(`${where} (${url}): "meta.content_length" must be a whole number of bytes, not ${JSON.stringify(n)}`);
        contentLength = n;
      }
    }
    return { url: url.trim(), mandatory: mandatory ?? false, ...(contentLength === undefined ? {} : { contentLength }) };
  });
}

/** Where a manifest url points: s3:// and absolute paths as they are, a relative path under the data root. */
export function resolveUrl(url: string, base: string): string {
  if (url.startsWith('s3://') || path.isAbsolute(url)) return url;
  if (base.startsWith('s3://')) return `${base.replace(/\/+$/, '')}/${url.replace(/^\.\//, '')}`;
  return path.resolve(base, url);
}

/** The name shown in messages: relative to the data root when under it. */
function displayName(url: string, base: string): string {
  if (url.startsWith('s3://')) {
    const root = `${base.replace(/\/+$/, '')}/`;
    return base.startsWith('s3://') && url.startsWith(root) ? url.slice(root.length) : url;
  }
  if (base.startsWith('s3://')) return url;
  const rel = path.relative(base, url);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : url;
}

/** The file at exactly this url, or undefined if there is none. */
async function statExact(url: string, display: string, source: FileSource): Promise<FileRef | undefined> {
  if (url.startsWith('s3://')) {
    // A listing of the key as a prefix, keeping only the exact key (the prefix also matches 'key.gz', 'key2').
    const found = (await source.list(url)).find((f) => f.url === url);
    return found ? { ...found, display } : undefined;
  }
  let st;
  try {
    st = await fs.stat(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  if (!st.isFile()) throw new SparkifyError(`manifest entry ${display} is not a file`, { hint: 'Each manifest entry names one file, not a folder.' });
  return { url, display, size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Read a manifest and find each of its files. A missing mandatory entry is an error naming it; missing
 * optional ones are returned in `skipped`.
 */
export async function resolveManifest(location: string, base: string, shownAs = displayName(location, base)): Promise<ResolvedManifest> {
  const text = await (await fileSourceFor(location)).readText(location);
  const entries = parseManifest(text, shownAs);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const unique = entries
    .map((e) => ({ ...e, url: resolveUrl(e.url, base) }))
    .filter((e) => {
      if (!seen.has(e.url)) return seen.add(e.url), true;
      duplicates.push(displayName(e.url, base));
      return false;
    });
  // A few lookups at a time: on S3 each is a request.
  const found: (FileRef | undefined)[] = new Array(unique.length);
  const sources: FileSource[] = new Array(unique.length);
  for (let i = 0; i < unique.length; i += 16) {
    await Promise.all(
      unique.slice(i, i + 16).map(async (e, j) => {
        const source = await fileSourceFor(e.url);
        sources[i + j] = source;
        found[i + j] = await statExact(e.url, displayName(e.url, base), source);
      }),
    );
  }
  const missing = unique.filter((_, i) => !found[i]);
  const mandatory = missing.filter((e) => e.mandatory);
  if (mandatory.length) {
    const names = mandatory.map((e) => displayName(e.url, base));
    throw new SparkifyError(
      `manifest ${shownAs}: mandatory ${names.length === 1 ? 'entry' : 'entries'} ${names.map((n) => `'${n}'`).join(', ')} ${names.length === 1 ? 'does' : 'do'} not exist`,
      { exitCode: 1, hint: 'Nothing was loaded and the staging table is unchanged. Restore the file, fix its url, or mark the entry "mandatory": false.' },
    );
  }
  const files: FileRef[] = [];
  const groups = new Map<FileSource, FileRef[]>();
  unique.forEach((e, i) => {
    const f = found[i];
    if (!f) return;
    if (e.contentLength !== undefined && e.contentLength !== f.size) {
      throw new SparkifyError(`manifest ${shownAs}: entry '${f.display}' has meta.content_length ${e.contentLength} but the file is ${f.size} bytes`, {
        exitCode: 1,
        hint: 'The file may be incomplete or replaced. Nothing was loaded; fix the file or the manifest.',
      });
    }
    files.push(f);
    const g = groups.get(sources[i]!) ?? [];
    g.push(f);
    groups.set(sources[i]!, g);
  });
  return {
    groups: [...groups].map(([source, fs]) => ({ source, files: fs })),
    files,
    skipped: missing.map((e) => displayName(e.url, base)),
    duplicates,
  };
}
