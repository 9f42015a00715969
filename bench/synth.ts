import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * A synthetic project for the compile benchmark: `count` small models spread over folders, each with a
 * config and 1–3 refs to earlier models (mostly recent ones, so the DAG is deep, some far back, so it is
 * wide too), and unique/not_null tests on every 10th model. Written as a sparkify project
 * (writeSyntheticProject) and as its Dataform twin (writeDataformTwin): the same models, refs, tags,
 * materializations and tests, in SQLX. Deterministic: the same count gives the same files.
 */
export interface SynthOptions {
  count: number;
  /** Models per folder. */
  perFolder?: number;
}

/** One synthetic model, independent of the template language it is written in. */
export interface SynthModel {
  index: number;
  name: string;
  /** Folder under models/ (sparkify) or definitions/ (Dataform). */
  folder: string;
  /** Indexes of the models it refs, in order (empty for a root). */
  refs: number[];
  tags: string[];
  materialized: 'table' | 'view';
  /** Has an is-incremental block (which renders nothing: no model is incremental). */
  incrementalGuard: boolean;
  /** Gets unique + not_null tests on `id`. */
  tested: boolean;
}

export function synthModels(opts: SynthOptions): SynthModel[] {
  const perFolder = opts.perFolder ?? 100;
  let seed = 0x9e3779b9;
  const rand = (): number => {
    // xorshift32
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 0x100000000;
  };
  const out: SynthModel[] = [];
  for (let i = 0; i < opts.count; i++) {
    const f = Math.floor(i / perFolder);
    const refs = new Set<number>();
    if (i > 0) {
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        // Mostly a recent model (depth), sometimes any earlier one (width).
        refs.add(rand() < 0.7 ? Math.max(0, i - 1 - Math.floor(rand() * 20)) : Math.floor(rand() * i));
      }
    }
    out.push({
      index: i,
      name: `model_${i}`,
      folder: `layer_${String(f).padStart(3, '0')}`,
      refs: [...refs],
      tags: [i % 2 === 0 ? 'x' : 'y', `layer_${f}`],
      materialized: i % 5 === 0 ? 'table' : 'view',
      incrementalGuard: refs.size > 0 && i % 7 === 0,
      tested: i % 10 === 0,
    });
  }
  return out;
}

/** The SQL body shared by both languages; `t` supplies each template construct in the language's syntax. */
interface Syntax {
  ref(name: string): string;
  multiplier: string;
  incrementalGuard: string;
}

function body(m: SynthModel, t: Syntax): string[] {
  if (m.refs.length === 0) return [`select ${m.index} as id, 'seed' as label, now() as loaded_at`];
  const lines = ['with'];
  m.refs.forEach((j, k) => {
    lines.push(`    r${k} as (select id, label from ${t.ref(`model_${j}`)} where id is not null)${k < m.refs.length - 1 ? ',' : ''}`);
  });
  lines.push(`select r0.id, r0.label || '_${m.index}' as label, ${t.multiplier} * r0.id as scaled`);
  lines.push('from r0');
  for (let k = 1; k < m.refs.length; k++) lines.push(`left join r${k} on r${k}.id = r0.id`);
  if (m.incrementalGuard) lines.push(t.incrementalGuard);
  return lines;
}

const HANDLEBARS: Syntax = {
  ref: (name) => `{{ref "${name}"}}`,
  multiplier: '{{var "multiplier" 1}}',
  incrementalGuard: ['{{#if (is_incremental)}}', 'where r0.id > (select max(id) from {{this}})', '{{/if}}'].join('\n'),
};

const SQLX: Syntax = {
  ref: (name) => `\${ref("${name}")}`,
  multiplier: '${dataform.projectConfig.vars.multiplier}',
  incrementalGuard: '${when(incremental(), `where r0.id > (select max(id) from ${self()})`)}',
};

function byFolder(models: SynthModel[]): Map<string, SynthModel[]> {
  const folders = new Map<string, SynthModel[]>();
  for (const m of models) {
    let list = folders.get(m.folder);
    if (!list) folders.set(m.folder, (list = []));
    list.push(m);
  }
  return folders;
}

export function writeSyntheticProject(dir: string, opts: SynthOptions): { models: number; tests: number } {
  const models = synthModels(opts);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'project.yml'),
    [
      'name: synth',
      'version: 1.0.0',
      'model-paths: [models]',
      'target-path: target',
      'default-target: dev',
      'targets:',
      '  dev:',
      '    type: embedded',
      '    schema: public',
      'models:',
      '  synth:',
      '    +materialized: view',
      '    +tags: [synth]',
      '',
    ].join('\n'),
  );
  let tests = 0;
  for (const [folder, list] of byFolder(models)) {
    const folderDir = path.join(dir, 'models', folder);
    fs.mkdirSync(folderDir, { recursive: true });
    const schema: string[] = ['version: 2', '', 'models:'];
    for (const m of list) {
      const lines = [`{{config materialized="${m.materialized}" tags="${m.tags.join(',')}"}}`, `-- synthetic model ${m.index} in {{target.name}}`, ...body(m, HANDLEBARS)];
      fs.writeFileSync(path.join(folderDir, `${m.name}.sql`), `${lines.join('\n')}\n`);
      if (m.tested) {
        schema.push(`  - name: ${m.name}`, '    columns:', '      - name: id', '        tests: [unique, not_null]');
        tests += 2;
      }
    }
    if (schema.length > 3) fs.writeFileSync(path.join(folderDir, 'schema.yml'), `${schema.join('\n')}\n`);
  }
  return { models: models.length, tests };
}

/**
 * The same DAG as a Dataform project that `dataform compile` reads offline: workflow_settings.yaml without
 * `dataformCoreVersion` (with it, every compile copies the project and runs `npm i`), so the project has a
 * package.json and its own node_modules/@dataform/core, copied from ours (Dataform's sandbox refuses a
 * symlink that leaves the project). Tests become the model's `assertions` (uniqueKey + nonNull: two
 * assertion actions, as sparkify makes two test nodes). One difference: SQLX does not interpolate inside a
 * `--` comment, so the comment line names no target.
 */
export function writeDataformTwin(dir: string, opts: SynthOptions): { actions: number; assertions: number } {
  const models = synthModels(opts);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'workflow_settings.yaml'),
    ['defaultProject: synth', 'defaultLocation: US', 'defaultDataset: public', 'defaultAssertionDataset: public_assertions', 'vars:', '  multiplier: "1"', ''].join('\n'),
  );
  const coreDir = path.dirname(createRequire(import.meta.url).resolve('@dataform/core/package.json'));
  const core = JSON.parse(fs.readFileSync(path.join(coreDir, 'package.json'), 'utf8')) as { version: string };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'synth', private: true, dependencies: { '@dataform/core': core.version } }, null, 2)}\n`);
  fs.cpSync(coreDir, path.join(dir, 'node_modules', '@dataform', 'core'), { recursive: true });
  let assertions = 0;
  for (const [folder, list] of byFolder(models)) {
    const folderDir = path.join(dir, 'definitions', folder);
    fs.mkdirSync(folderDir, { recursive: true });
    for (const m of list) {
      const tags = m.tags.map((t) => `"${t}"`).join(', ');
      const tests = m.tested ? ', assertions: { uniqueKey: ["id"], nonNull: ["id"] }' : '';
      const lines = [`config { type: "${m.materialized}", tags: [${tags}]${tests} }`, `-- synthetic model ${m.index}`, ...body(m, SQLX)];
      fs.writeFileSync(path.join(folderDir, `${m.name}.sqlx`), `${lines.join('\n')}\n`);
      if (m.tested) assertions += 2;
    }
  }
  return { actions: models.length + assertions, assertions };
}
