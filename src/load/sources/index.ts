import { localFiles } from './local.js';
import type { FileSource } from './types.js';

export type { FileRef, FileSource } from './types.js';
export { localFiles } from './local.js';

/** The source that reads `location`: S3 for s3:// URLs, else the local file system. */
export async function fileSourceFor(location: string): Promise<FileSource> {
  // The AWS SDK is loaded only when a location is on S3: a local-only load never imports it.
  if (location.startsWith('s3://')) return (await import('./s3.js')).s3Files;
  return localFiles;
}
