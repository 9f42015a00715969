import fs from 'node:fs';
import path from 'node:path';
import type { Manifest, Node } from '../graph/types.js';
import type { NodeResult } from './results.js';

// Artifacts shaped like dbt's (target/manifest.json, target/run_results.json), for users' tooling.

const VERSION = '0.1.0';

export function compiledPath(targetDir: string, projectName: string, node: Node): string {
  const file = node.test_metadata ? `${node.original_file_path}/${node.name}.sql` : node.original_file_path;
  return path.join(targetDir, 'compiled', projectName, file);
}

export function writeCompiled(targetDir: string, manifest: Manifest, nodes: Iterable<Node>): void {
  for (const n of nodes) {
    if (n.compiled_code === undefined || n.resource_type === 'source' || n.resource_type === 'seed') continue;
    const p = compiledPath(targetDir, manifest.project_name, n);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, n.compiled_code.endsWith('\n') ? n.compiled_code : `${n.compiled_code}\n`);
  }
}

function metadata(schema: string, invocationId: string): Record<string, unknown> {
  return {
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${schema}`,
    sparkify_version: VERSION,
    generated_at: new Date().toISOString(),
    invocation_id: invocationId,
  };
}

export function writeManifest(targetDir: string, manifest: Manifest, invocationId: string, targetName: string): void {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const n of manifest.nodes.values()) {
    const entry = {
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
      ...(n.resource_type === 'source' ? { source_name: n.source_name } : { raw_code: n.raw_code, compiled_code: n.compiled_code }),
      ...(n.test_metadata ? { test_metadata: n.test_metadata, attached_node: n.attached_node, column_name: n.test_metadata.column_name } : {}),
    };
    if (n.resource_type === 'source') sources[n.unique_id] = entry;
    else nodes[n.unique_id] = entry;
  }
  const out = {
    metadata: { ...metadata('manifest/v12.json', invocationId), project_name: manifest.project_name, target_name: targetName },
    nodes,
    sources,
    parent_map: Object.fromEntries(manifest.parent_map),
    child_map: Object.fromEntries(manifest.child_map),
  };
  fs.mkdirSync(targetDir, { recursive: true });
  fs.writeFileSync(path.join(targetDir, 'manifest.json'), JSON.stringify(out, null, 2));
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
