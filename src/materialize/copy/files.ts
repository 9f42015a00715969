import path from 'node:path';
import { errorMessage, SparkifyError } from '../../core/errors.js';
import { fileSourceFor, type FileRef, type FileSource } from '../../load/sources/index.js';
import type { MaterializeContext } from '../types.js';
import { resolveManifest } from './manifest.js';
import { requireS3, type CopyOrigin } from './native-copy.js';

// Where a copy model's files are: its `from` prefix or `manifest`, and its JSONPaths file, under data_path.

/** Resolve a path from model config against the data root (absolute paths and s3:// URLs stay as they are). */
export function dataLocation(ctx: MaterializeContext, p: string): string {
  if (p.startsWith('s3://') || path.isAbsolute(p)) return p;
  if (ctx.dataPath.startsWith('s3://')) return `${ctx.dataPath.replace(/\/+$/, '')}/${p}`;
  return path.resolve(ctx.dataPath, p);
}

/** The files a copy model reads, grouped by the source that reads them, and what identifies where they came from. */
export interface CopyFiles {
  groups: { source: FileSource; files: FileRef[] }[];
  files: FileRef[];
  /** Stored in the ledger: a load from another place is another data set. */
  sourceId: string;
  /** The prefix or the manifest, as a warehouse that reads S3 itself is told. */
  origin: CopyOrigin;
  /** For messages: the `from` or `manifest` config. */
  label: string;
}

export async function copyFiles(ctx: MaterializeContext, warnings: string[]): Promise<CopyFiles> {
  const c = ctx.node.config;
  const where = { file: ctx.node.original_file_path, line: 1, column: 0 };
  // Compile made sure exactly one of them is set (project/config.ts).
  const from = c.from || undefined;
  const manifest = c.manifest || undefined;
  if (manifest) {
    const location = dataLocation(ctx, manifest);
    const m = await resolveManifest(location, ctx.dataPath, manifest);
    for (const s of m.skipped) warnings.push(`${ctx.node.name}: manifest ${manifest}: entry '${s}' does not exist and is not mandatory: skipped`);
    for (const d of m.duplicates) warnings.push(`${ctx.node.name}: manifest ${manifest}: entry '${d}' is listed more than once: loaded once`);
    return { groups: m.groups, files: m.files, sourceId: `manifest ${location}`, origin: { kind: 'manifest', url: location }, label: `manifest ${manifest}` };
  }
  const location = dataLocation(ctx, from!);
  // A warehouse that loads files itself reads only S3: say so before looking for local files.
  if (ctx.warehouse.driver.copyFromS3) requireS3(ctx.node.name, where, ctx.dataPath, [location]);
  const source = await fileSourceFor(location);
  const files = await source.list(location);
  return { groups: files.length ? [{ source, files }] : [], files, sourceId: location, origin: { kind: 'prefix', url: location }, label: from! };
}

/** The model's JSONPaths file; a missing one is named with the model line that asks for it. */
export async function readJsonPaths(ctx: MaterializeContext, name: string): Promise<string> {
  const location = dataLocation(ctx, name);
  try {
    return await (await fileSourceFor(location)).readText(location);
  } catch (err) {
    const lines = ctx.node.raw_code.split('\n');
    const line = Math.max(0, lines.findIndex((l) => /\bformat\s*=/.test(l))) + 1;
    throw new SparkifyError(`the JSONPaths file of ${ctx.node.name} cannot be read: ${errorMessage(err).split('\n')[0]}`, {
      location: { file: ctx.node.original_file_path, line, column: 0 },
      hint: `format="${name}" names a JSONPaths file relative to data_path (${ctx.dataPath}); fix the name, add the file, or use format="auto".`,
    });
  }
}
