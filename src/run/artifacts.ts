import fs from 'node:fs';
import path from 'node:path';
import type { Manifest, Node } from '../graph/types.js';
import type { NodeResult } from './results.js';

// Artifacts shaped like dbt's (target/manifest.json, target/run_results.json), for users' tooling.

const VERSION = '0.1.0';

export function compiledPath(targetDir: string, projectName: string, node: Node): string {
  // Generic tests and YAML-declared snapshots are written in a YAML file: their SQL goes below its path.
  const file = node.test_metadata || !node.original_file_path.endsWith('.sql') ? `${node.original_file_path}/${node.name}.sql` : node.original_file_path;
  return path.join(targetDir, 'compiled', projectName, file);
}

/** Where the is_incremental() rendering of a model goes: beside the plain one, `<model>.incremental.sql`. */
export function compiledIncrementalPath(targetDir: string, projectName: string, node: Node): string {
  return compiledPath(targetDir, projectName, node).replace(/\.sql$/, '.incremental.sql');
}

/**
 * Writes each node's compiled SQL under target/compiled/. Each directory is made once (a recursive mkdir
 * per file costs a failed mkdir and a stat), and a file that exists is overwritten in place.
 */
export function writeCompiled(targetDir: string, manifest: Manifest, nodes: Iterable<Node>): void {
  const fresh = new Map<string, boolean>();
  for (const n of nodes) {
    if (n.compiled_code === undefined || n.resource_type === 'source' || n.resource_type === 'seed') continue;
    const p = compiledPath(targetDir, manifest.project_name, n);
    const dir = path.dirname(p);
    let isNew = fresh.get(dir);
    if (isNew === undefined) {
      // mkdirSync returns undefined when the directory was there already: only then can its files exist.
      isNew = fs.mkdirSync(dir, { recursive: true }) !== undefined;
      fresh.set(dir, isNew);
    }
    overwrite(p, sqlFile(n.compiled_code), isNew);
    if (n.compiled_incremental_code !== undefined) overwrite(compiledIncrementalPath(targetDir, manifest.project_name, n), sqlFile(n.compiled_incremental_code), isNew);
    if (n.compiled_batch_code !== undefined) overwrite(compiledPath(targetDir, manifest.project_name, n).replace(/\.sql$/, '.batch.sql'), sqlFile(n.compiled_batch_code), isNew);
  }
}

function sqlFile(sql: string): Buffer {
  return Buffer.from(sql.endsWith('\n') ? sql : `${sql}\n`);
}

/**
 * Writes `data` as the whole of `file`. An existing file is written over in place and cut to length, not
 * truncated first: truncating frees its block and the write allocates another, which on this machine's
 * ext4 (mounted with discard) cost 6-8 times the system time (1.5 s against 0.2 s for 12,000 files,
 * changed or not).
 */
function overwrite(file: string, data: Buffer, isNew: boolean): void {
  let fd: number | undefined;
  if (!isNew) {
    try {
      fd = fs.openSync(file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const existed = fd !== undefined;
  fd ??= fs.openSync(file, 'w');
  try {
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off, off);
    if (existed) fs.ftruncateSync(fd, data.length);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Appends text to a file through a buffer of about `chunk` characters, so that a large artifact is written
 * piece by piece and never held as one string (manifest.json of 100,000 nodes is hundreds of MB).
 */
class FileSink {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number, private readonly chunk = 1 << 20) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.chunk) this.flush();
  }
  flush(): void {
    if (this.size === 0) return;
    fs.writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/** Writes `path` through `body`, under a temporary name renamed into place: readers never see half a file. */
function writeStreamed(file: string, body: (out: FileSink) => void): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const out = new FileSink(fd);
    body(out);
    out.flush();
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** `"key":value` pairs of a JSON object, one stringify per value. */
function writeObject(out: FileSink, entries: Iterable<[string, unknown]>): void {
  out.write('{');
  let first = true;
  for (const [k, v] of entries) {
    out.write(`${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`);
    first = false;
  }
  out.write('}');
}

function metadata(schema: string, invocationId: string): Record<string, unknown> {
  return {
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${schema}`,
    sparkify_version: VERSION,
    generated_at: new Date().toISOString(),
    invocation_id: invocationId,
  };
}

function manifestEntry(n: Node): Record<string, unknown> {
  return {
    unique_id: n.unique_id,
    resource_type: n.resource_type,
    name: n.name,
    package_name: n.package_name,
    path: n.path,
    original_file_path: n.original_file_path,
    fqn: n.fqn,
    config: n.config,
    tags: n.config.tags,
    description: n.description,
    columns: n.columns,
    depends_on: n.depends_on,
    ...(n.relation ? { schema: n.relation.schema, alias: n.relation.identifier, relation_name: `${n.relation.schema}.${n.relation.identifier}` } : {}),
    ...(n.resource_type === 'source'
      ? { source_name: n.source_name }
      : {
          raw_code: n.raw_code,
          compiled_code: n.compiled_code,
          ...(n.compiled_incremental_code === undefined ? {} : { compiled_incremental_code: n.compiled_incremental_code }),
          ...(n.compiled_batch_code === undefined ? {} : { compiled_batch_code: n.compiled_batch_code }),
        }),
    ...(n.test_metadata ? { test_metadata: n.test_metadata, attached_node: n.attached_node, column_name: n.test_metadata.column_name } : {}),
  };
}

/**
 * target/manifest.json, streamed node by node (one JSON.stringify per entry, never one of the whole
 * manifest) and compact, as dbt writes it (indented, the 10,000-model manifest was 30% larger: 21.3 MB against 16.4 MB).
 */
export function writeManifest(targetDir: string, manifest: Manifest, invocationId: string, targetName: string): void {
  fs.mkdirSync(targetDir, { recursive: true });
  const all = [...manifest.nodes.values()];
  const entries = function* (nodes: Node[]): Iterable<[string, unknown]> {
    for (const n of nodes) yield [n.unique_id, manifestEntry(n)];
  };
  writeStreamed(path.join(targetDir, 'manifest.json'), (out) => {
    const meta = { ...metadata('manifest/v12.json', invocationId), project_name: manifest.project_name, target_name: targetName };
    out.write(`{"metadata":${JSON.stringify(meta)},"nodes":`);
    writeObject(out, entries(all.filter((n) => n.resource_type !== 'source')));
    out.write(',"sources":');
    writeObject(out, entries(all.filter((n) => n.resource_type === 'source')));
    out.write(',"parent_map":');
    writeObject(out, manifest.parent_map);
    out.write(',"child_map":');
    writeObject(out, manifest.child_map);
    out.write('}\n');
  });
}

export function writeRunResults(
  targetDir: string,
  results: NodeResult[],
  invocationId: string,
  elapsed: number,
  args: Record<string, unknown>,
): void {
  const out = {
    metadata: metadata('run-results/v6.json', invocationId),
    results: results.map((r) => ({
      unique_id: r.unique_id,
      status: r.status,
      timing: r.timing,
      thread_id: r.thread_id,
      execution_time: r.execution_time,
      adapter_response: r.adapter_response,
      message: r.message,
      failures: r.failures,
      relation_name: r.relation_name ?? null,
      compiled_path: r.compiled_path ?? null,
      ...(r.rejected?.length ? { load_errors: r.rejected } : {}),
    })),
    elapsed_time: elapsed,
    args,
  };
  fs.mkdirSync(targetDir, { recursive: true });
  fs.writeFileSync(path.join(targetDir, 'run_results.json'), JSON.stringify(out, null, 2));
}
