import type { Readable } from 'node:stream';

// What a load reads from: the shape every file source (local, S3, a test's in-memory one) has. Types only,
// so a source's module imports nothing of the others.

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
  /**
   * A decode worker can open this source again by URL (with fileSourceFor) and read the files itself, so
   * the main thread never touches their bytes (local files, S3). Other sources are read on the main thread
   * and their bytes posted to the workers.
   */
  readonly reopenable?: boolean;
}
