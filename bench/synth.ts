import fs from 'node:fs';
import path from 'node:path';

/**
 * A synthetic project for the compile benchmark: `count` small models spread over folders, each with a
 * {{config}} and 1–3 {{ref}}s to earlier models (mostly recent ones, so the DAG is deep, some far back, so
 * it is wide too), and a schema.yml per folder with unique/not_null tests on every 10th model.
 * Deterministic: the same count gives the same files.
 */
export interface SynthOptions {
  count: number;
  /** Models per folder. */
  perFolder?: number;
}

export function writeSyntheticProject(dir: string, opts: SynthOptions): { models: number; tests: number } {
  const perFolder = opts.perFolder ?? 100;
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
  let tests = 0;
  const folders = Math.ceil(opts.count / perFolder);
  for (let f = 0; f < folders; f++) {
    const folder = path.join(dir, 'models', `layer_${String(f).padStart(3, '0')}`);
    fs.mkdirSync(folder, { recursive: true });
    const schema: string[] = ['version: 2', '', 'models:'];
    for (let i = f * perFolder; i < Math.min(opts.count, (f + 1) * perFolder); i++) {
      const name = `model_${i}`;
      const refs = new Set<number>();
      if (i > 0) {
        const n = 1 + Math.floor(rand() * 3);
        for (let k = 0; k < n; k++) {
          // Mostly a recent model (depth), sometimes any earlier one (width).
          const j = rand() < 0.7 ? Math.max(0, i - 1 - Math.floor(rand() * 20)) : Math.floor(rand() * i);
          refs.add(j);
        }
      }
      const tags = [i % 2 === 0 ? 'x' : 'y', `layer_${f}`];
      const materialized = i % 5 === 0 ? 'table' : 'view';
      const lines: string[] = [`{{config materialized="${materialized}" tags="${tags.join(',')}"}}`];
      lines.push(`-- synthetic model ${i} in {{target.name}}`);
      const refList = [...refs];
      if (refList.length === 0) {
        lines.push(`select ${i} as id, 'seed' as label, now() as loaded_at`);
      } else {
        lines.push('with');
        refList.forEach((j, k) => {
          lines.push(`    r${k} as (select id, label from {{ref "model_${j}"}} where id is not null)${k < refList.length - 1 ? ',' : ''}`);
        });
        lines.push(`select r0.id, r0.label || '_${i}' as label, {{var "multiplier" 1}} * r0.id as scaled`);
        lines.push('from r0');
        for (let k = 1; k < refList.length; k++) lines.push(`left join r${k} on r${k}.id = r0.id`);
        if (i % 7 === 0) {
          lines.push('{{#if (is_incremental)}}');
          lines.push('where r0.id > (select max(id) from {{this}})');
          lines.push('{{/if}}');
        }
      }
      fs.writeFileSync(path.join(folder, `${name}.sql`), `${lines.join('\n')}\n`);
      if (i % 10 === 0) {
        schema.push(`  - name: ${name}`, '    columns:', '      - name: id', '        tests: [unique, not_null]');
        tests += 2;
      }
    }
    if (schema.length > 3) fs.writeFileSync(path.join(folder, 'schema.yml'), `${schema.join('\n')}\n`);
  }
  return { models: opts.count, tests };
}
