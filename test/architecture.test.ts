import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/project.js';

// DESIGN.md section 6: data flows one way (cli -> api -> project -> template -> graph -> run -> materialize ->
// warehouse, core beneath all). Each folder of src/ has a rank and imports only lower ranks; the one exception
// is the manifest's types (graph/types.ts), which run/ and materialize/ receive from compile and may import as
// types. Only warehouse/ talks to a database driver. No file takes part in an import cycle.

const RANK: Record<string, number> = {
  core: 0,
  warehouse: 1,
  load: 2,
  materialize: 3,
  project: 4,
  template: 5,
  testing: 6,
  graph: 7,
  run: 8,
  generate: 8,
  api: 9,
  cli: 10,
};
/** Imported as types by lower ranks: what compile hands to run/ and materialize/. */
const CONTRACTS = new Set(['graph/types.ts']);
/** Database drivers: only warehouse/ imports them (nothing else knows which database it talks to). */
const DRIVERS = [/^pg$/, /^pg-copy-streams$/, /^@electric-sql\/pglite/, /^@aws-sdk\/client-redshift-data$/];

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

const srcDir = path.join(repoRoot, 'src');

function sourceFiles(): string[] {
  return (fs.readdirSync(srcDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/** Static imports and re-exports, and dynamic import('...') calls, with whether they bring types only. */
function importsOf(file: string): { local: Import[]; packages: { name: string; line: number }[] } {
  const text = fs.readFileSync(path.join(srcDir, file), 'utf8');
  const local: Import[] = [];
  const packages: { name: string; line: number }[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    const line = text.slice(0, m.index).split('\n').length;
    if (spec.startsWith('.')) {
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      local.push({ from: file, to, typeOnly: Boolean(m[2]), line });
    } else if (!spec.startsWith('node:')) packages.push({ name: spec, line });
  }
  return { local, packages };
}

const layerOf = (file: string): string => (file.includes('/') ? file.split('/')[0]! : file.replace(/\.ts$/, ''));

describe('import rules (DESIGN.md section 6)', () => {
  const files = sourceFiles();
  const all = files.map((f) => ({ file: f, ...importsOf(f) }));

  it('every folder of src/ has a place in the order', () => {
    expect(files.map(layerOf).filter((l) => RANK[l] === undefined)).toEqual([]);
  });

  it('each layer imports only the layers beneath it (and the manifest types)', () => {
    const wrong: string[] = [];
    for (const { local } of all) {
      for (const i of local) {
        const from = layerOf(i.from);
        const to = layerOf(i.to);
        if (from === to || RANK[to]! < RANK[from]!) continue;
        if (i.typeOnly && CONTRACTS.has(i.to)) continue;
        wrong.push(`src/${i.from}:${i.line} imports src/${i.to} (${from} may not depend on ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('core/ imports nothing else of src/', () => {
    expect(all.filter((f) => layerOf(f.file) === 'core').flatMap((f) => f.local.filter((i) => layerOf(i.to) !== 'core').map((i) => `src/${i.from}:${i.line}`))).toEqual([]);
  });

  it('only warehouse/ imports a database driver', () => {
    const wrong = all
      .filter((f) => layerOf(f.file) !== 'warehouse')
      .flatMap((f) => f.packages.filter((p) => DRIVERS.some((d) => d.test(p.name))).map((p) => `src/${f.file}:${p.line} imports ${p.name}`));
    expect(wrong).toEqual([]);
  });

  it('no file is on an import cycle', () => {
    const edges = new Map<string, string[]>(all.map((f) => [f.file, f.local.map((i) => i.to)]));
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 1);
      stack.push(f);
      for (const to of edges.get(f) ?? []) {
        if (state.get(to) === 1) cycles.push([...stack.slice(stack.indexOf(to)), to].join(' -> '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('the rules can fail: a layer importing upwards is caught', () => {
    // The checker itself, on a made-up import: materialize/ reaching into the template engine.
    const from = layerOf('materialize/table.ts');
    const to = layerOf('template/engine.ts');
    expect(RANK[to]! > RANK[from]!).toBe(true);
  });
});

describe('test stand-ins do not reuse the code they test', () => {
  // A stand-in for a service (the Redshift Data API and its COPY, S3) is what the engine is checked against:
  // built from the engine's own code, it would agree with the engine whatever the engine did.
  const STANDINS = ['test/support/redshift-standin.ts', 'test/support/redshift-copy.ts', 'test/support/s3-server.ts'];

  /** Every import of `file` and of the local files it imports, as `file:line -> resolved path`. */
  function reach(file: string, read = (f: string): string => fs.readFileSync(path.join(repoRoot, f), 'utf8'), seen = new Set<string>()): { at: string; to: string }[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const text = read(file);
    const out: { at: string; to: string }[] = [];
    const re = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      out.push({ at: `${file}:${text.slice(0, m.index).split('\n').length}`, to });
      if (to.startsWith('test/')) out.push(...reach(to, read, seen));
    }
    return out;
  }

  it('the Redshift Data API and S3 stand-ins import nothing from src/, directly or through other test files', () => {
    const wrong = [...new Set(STANDINS.flatMap((f) => reach(f)).filter((i) => !i.to.startsWith('test/')).map((i) => `${i.at} imports ${i.to}`))];
    expect(wrong).toEqual([]);
  });

  it('the check can fail: an import of src/ is found, also through another test file', () => {
    const files: Record<string, string> = {
      'test/support/a.ts': "import { b } from './b.js';\n",
      'test/support/b.ts': "import { x } from './a.js';\nimport type { RejectedRow } from '../../src/core/copy.js';\n",
    };
    expect(reach('test/support/a.ts', (f) => files[f]!)).toEqual([
      { at: 'test/support/a.ts:1', to: 'test/support/b.ts' },
      { at: 'test/support/b.ts:1', to: 'test/support/a.ts' },
      { at: 'test/support/b.ts:2', to: 'src/core/copy.ts' },
    ]);
  });
});
