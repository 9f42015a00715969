import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SparkifyError } from '../../core/errors.js';
import type { FileSource } from './types.js';

/** Bytes a local read asks for at a time. */
const READ_CHUNK = 1024 * 1024;

/** Files under a local directory, recursively, in a stable (sorted) order. */
export const localFiles: FileSource = {
  reopenable: true,
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
