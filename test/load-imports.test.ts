import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/project.js';

// The loader's and the materializations' module graph: no cycle (counting dynamic imports), and the AWS SDK
// reached only through the dynamic import of the S3 source, so a local-only load never loads it.

interface Edge {
  to: string;
  dynamic: boolean;
}

const src = path.join(repoRoot, 'src');

function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const edges: Edge[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)) {
    const spec = (m[1] ?? m[2])!;
    const to = spec.startsWith('.') ? path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    edges.push({ to, dynamic: m[2] !== undefined });
  }
  return edges;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

const modules = [...filesUnder(path.join(src, 'load')), ...filesUnder(path.join(src, 'materialize'))];
const graph = new Map(modules.map((f) => [f, importsOf(f)]));
const rel = (f: string): string => path.relative(src, f);

describe('load/ and materialize/ imports', () => {
  it('have no cycle, dynamic imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const e of graph.get(f) ?? []) if (graph.has(e.to)) visit(e.to, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of modules) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('reach the AWS SDK only through the dynamic import of the S3 source', () => {
    const s3 = path.join(src, 'load/sources/s3.ts');
    const statically = new Set<string>();
    const walk = (f: string): void => {
      if (statically.has(f)) return;
      statically.add(f);
      for (const e of graph.get(f) ?? []) if (!e.dynamic && graph.has(e.to)) walk(e.to);
    };
    walk(path.join(src, 'materialize/index.ts'));
    walk(path.join(src, 'load/pool/decode-worker.ts'));
    const sdk = [...statically].filter((f) => (graph.get(f) ?? []).some((e) => e.to.startsWith('@aws-sdk/'))).map(rel);
    expect(sdk).toEqual([]);
    expect(statically.has(s3)).toBe(false);
    expect(graph.get(path.join(src, 'load/sources/index.ts'))).toContainEqual({ to: s3, dynamic: true });
  });
});
