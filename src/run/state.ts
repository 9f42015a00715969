import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../graph/types.js';
import type { NodeResult } from './results.js';

/**
 * What was last built successfully on a target: each node's checksum. `--select state:modified` compares
 * the project against it, so editing a model and running `state:modified+` rebuilds only what changed.
 */
export function statePath(projectDir: string, targetName: string): string {
  return path.join(projectDir, '.sparkify', 'state', `${targetName}.json`);
}

export function readState(projectDir: string, targetName: string): Map<string, string> {
  try {
    const doc = JSON.parse(fs.readFileSync(statePath(projectDir, targetName), 'utf8')) as { nodes?: Record<string, string> };
    return new Map(Object.entries(doc.nodes ?? {}));
  } catch {
    return new Map();
  }
}

export function recordState(projectDir: string, targetName: string, manifest: Manifest, results: NodeResult[]): void {
  const state = readState(projectDir, targetName);
  for (const r of results) {
    const checksum = manifest.nodes.get(r.unique_id)?.checksum;
    if (!checksum) continue;
    if (r.status === 'success' || r.status === 'pass' || r.status === 'warn') state.set(r.unique_id, checksum);
    else state.delete(r.unique_id); // failed or skipped: it must run again
  }
  const file = statePath(projectDir, targetName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ nodes: Object.fromEntries([...state].sort()) }, null, 1));
}
