import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest, Node } from '../src/graph/types.js';
import { compiledPath, writeCompiled, writeManifest } from '../src/run/artifacts.js';

// target/compiled/ and manifest.json: files written in place must end up exactly the new content, and the
// streamed manifest must be the JSON of the manifest.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-artifacts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function node(name: string, file: string, code: string, extra: Partial<Node> = {}): Node {
  return {
    unique_id: `model.p.${name}`,
    resource_type: 'model',
    name,
    package_name: 'p',
    original_file_path: file,
    path: file.replace(/^models\//, ''),
    fqn: ['p', name],
    config: { materialized: 'view', tags: ['t'], enabled: true },
    description: '',
    columns: {},
    raw_code: `-- raw "${name}"\nselect 1`,
    compiled_code: code,
    depends_on: { nodes: [], macros: [] },
    relation: { schema: 'public', identifier: name },
    ...extra,
  };
}

function manifestOf(nodes: Node[]): Manifest {
  return {
    project_name: 'p',
    nodes: new Map(nodes.map((n) => [n.unique_id, n])),
    parent_map: new Map(nodes.map((n) => [n.unique_id, n.depends_on.nodes])),
    child_map: new Map(nodes.map((n) => [n.unique_id, []])),
  };
}

describe('writeCompiled', () => {
  it('creates new folders, and overwrites longer, shorter and equal files to exactly the new SQL', () => {
    const target = path.join(tmp, 'compiled-target');
    const a = node('a', 'models/x/a.sql', 'select 1 as a');
    const b = node('b', 'models/x/b.sql', 'select 2 as b\n');
    const c = node('c', 'models/y/deep/c.sql', 'select 3');
    writeCompiled(target, manifestOf([a, b, c]), [a, b, c]);
    const read = (n: Node): string => fs.readFileSync(compiledPath(target, 'p', n), 'utf8');
    expect([read(a), read(b), read(c)]).toEqual(['select 1 as a\n', 'select 2 as b\n', 'select 3\n']);

    const a2 = { ...a, compiled_code: 'select 1' };
    const b2 = { ...b, compiled_code: 'select 2 as b, and a much longer line than before' };
    const c2 = { ...c, compiled_code: 'select 4' };
    writeCompiled(target, manifestOf([a2, b2, c2]), [a2, b2, c2]);
    expect([read(a2), read(b2), read(c2)]).toEqual(['select 1\n', 'select 2 as b, and a much longer line than before\n', 'select 4\n']);
  });

  it('recreates a file removed from an existing folder', () => {
    const target = path.join(tmp, 'removed-target');
    const a = node('a', 'models/a.sql', 'select 1');
    writeCompiled(target, manifestOf([a]), [a]);
    fs.rmSync(compiledPath(target, 'p', a));
    writeCompiled(target, manifestOf([a]), [a]);
    expect(fs.readFileSync(compiledPath(target, 'p', a), 'utf8')).toBe('select 1\n');
  });
});

describe('writeManifest', () => {
  it('writes the JSON of every node and map, with sources apart, and leaves no temporary file', () => {
    const target = path.join(tmp, 'manifest-target');
    const m = node('m', 'models/m.sql', 'select "quoted" from t\n', { depends_on: { nodes: ['source.p.raw.t'], macros: [] } });
    const src = node('t', 'models/sources.yml', '', { unique_id: 'source.p.raw.t', resource_type: 'source', source_name: 'raw', compiled_code: undefined });
    writeManifest(target, manifestOf([m, src]), 'inv-1', 'dev');
    expect(fs.readdirSync(target)).toEqual(['manifest.json']);
    const j = JSON.parse(fs.readFileSync(path.join(target, 'manifest.json'), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    expect(j.metadata).toMatchObject({ invocation_id: 'inv-1', project_name: 'p', target_name: 'dev' });
    expect(Object.keys(j.nodes!)).toEqual(['model.p.m']);
    expect(j.nodes!['model.p.m']).toMatchObject({ compiled_code: 'select "quoted" from t\n', raw_code: '-- raw "m"\nselect 1', relation_name: 'public.m', tags: ['t'] });
    expect(j.sources!['source.p.raw.t']).toMatchObject({ source_name: 'raw', resource_type: 'source' });
    expect(j.parent_map).toEqual({ 'model.p.m': ['source.p.raw.t'], 'source.p.raw.t': [] });
    expect(j.child_map).toEqual({ 'model.p.m': [], 'source.p.raw.t': [] });
  });
});
