import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SparkifyError } from '../core/errors.js';

/** A file to load: where it is and what identifies its version. */
export interface FileRef {
  /** Absolute path (local) or s3://bucket/key. */
  url: string;
  /** Path shown in messages: relative to the data root. */
  display: string;
  size: number;
  mtimeMs: number;
  /** S3's ETag: a version identity better than mtime. */
  etag?: string;
}

export interface FileSource {
  list(prefix: string): Promise<FileRef[]>;
  /** The whole file (small files: JSONPaths, manifests). Loads use `open`. */
  read(file: FileRef): Promise<Buffer>;
  readText(location: string): Promise<string>;
  /**
   * The file's bytes as a stream, never whole in memory. Errors (a missing object, a lost connection)
   * arrive as the stream's error. Optional: a source without it is read whole with `read`.
   */
  open?(file: FileRef): Readable;
}

/** Bytes a local read asks for at a time. */
const READ_CHUNK = 1024 * 1024;

/** Files under a local directory, recursively, in a stable (sorted) order. */
export const localFiles: FileSource = {
  async list(prefix) {
    let stat;
    try {
      stat = await fs.stat(prefix);
    } catch {
      throw new SparkifyError(`data path ${prefix} does not exist`, {
        hint: 'Point data_path at a copy of the raw data: --vars \'{"data_path": "<dir>"}\' (it holds log_data/ and song_data/).',
      });
    }
    if (stat.isFile()) return [{ url: prefix, display: path.basename(prefix), size: stat.size, mtimeMs: stat.mtimeMs }];
    const entries = (await fs.readdir(prefix, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const files = await Promise.all(
      entries.map(async (e) => {
        const full = path.join(e.parentPath, e.name);
        const s = await fs.stat(full);
        return { url: full, display: path.relative(prefix, full).split(path.sep).join('/'), size: s.size, mtimeMs: s.mtimeMs };
      }),
    );
    return files.filter((f) => !path.basename(f.url).startsWith('.')).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  },
  read: (file) => fs.readFile(file.url),
  open: (file) => createReadStream(file.url, { highWaterMark: READ_CHUNK }),
  async readText(location) {
    try {
      return await fs.readFile(location, 'utf8');
    } catch {
      throw new SparkifyError(`${location} does not exist`, { hint: 'Check the path in the model config (relative to data_path).' });
    }
  },
};

/**
 * Sources a decode worker can open again by URL (with fileSourceFor) and read itself, so the main thread
 * never touches their bytes. Other sources are read on the main thread and their bytes posted to workers.
 */
export const reopenableSources = new WeakSet<FileSource>([localFiles]);

export async function fileSourceFor(location: string): Promise<FileSource> {
  // The AWS SDK is loaded only when a location is on S3.
  if (location.startsWith('s3://')) return (await import('./s3.js')).s3Files;
  return localFiles;
}
