import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { makeProject } from './support/project.js';

// dbt 1.9's microbatch strategy: batches of event_time, inputs with event_time read per batch, lookback
// for late data, --event-time-start/--event-time-end to backfill, a failed batch leaving the others committed.

const unreachable = await postgresSkipReason('microbatch on PostgreSQL');
const pgSchema = `sparkify_mb_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  if (!unreachable) await dropSchema(pgSchema);
});

const rowsOf = (days: Record<string, number>): string =>
  'ts,user_id,v\n' +
  Object.entries(days)
    .flatMap(([day, n]) => Array.from({ length: n }, (_, i) => `2018-11-${day} ${String(10 + i).padStart(2, '0')}:00:00,${i},${i + 1}`))
    .join('\n') +
  '\n';

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])('microbatch ($target)', ({ target, skip }) => {
  it.skipIf(skip)('builds by day, picks up late rows inside the lookback, backfills a range, and commits the batches that did not fail', async () => {
    const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
    const t = ['--target', target];
    p.write('project.yml', `name: mb\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${pgSchema}\n`);
    p.write('seeds/events.csv', rowsOf({ '01': 2, '02': 3, '03': 1, '04': 2 }));
    p.write('seeds/schema.yml', 'version: 2\nseeds:\n  - name: events\n    config:\n      event_time: ts\n');
    p.write(
      'models/daily.sql',
      '{{config materialized="incremental" incremental_strategy="microbatch" event_time="ts" batch_size="day" begin="2018-11-01" lookback=1}}\n' +
        'select e.ts, e.user_id, e.v, 1 / (extract(day from e.ts)::int - {{var "bad_day" 0}}) as one from {{ref "events"}} e\n',
    );
    const perDay = async (): Promise<Record<string, number>> =>
      Object.fromEntries((await p.query<{ d: string; n: number }>("select to_char(ts, 'DD') as d, count(*)::int as n from daily group by 1 order by 1", ...t)).map((r) => [r.d, r.n]));

    const first = await p.run('build', ...t);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(/OK created incremental model \S+\.daily \.+ \[MICROBATCH 8 \(4 batches of a day from 2018-11-01, built at once\) in/);
    expect(await perDay()).toEqual({ '01': 2, '02': 3, '03': 1, '04': 2 });
    expect(p.read('target/compiled/mb/models/daily.batch.sql')).toMatch(/from \(select \* from \S*events where ts >= timestamp '__SPARKIFY_BATCH_START__' and ts < timestamp '__SPARKIFY_BATCH_END__'\) e/);

    // A late row for the 3rd (inside the lookback of one day before the newest, the 4th), a new day, and a
    // late row for the 1st (outside it: left until a backfill asks for it).
    p.write('seeds/events.csv', rowsOf({ '01': 3, '02': 3, '03': 2, '04': 2, '05': 1 }));
    const second = await p.run('build', ...t);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(/\[MICROBATCH 5 \(3 batches of a day from 2018-11-03\) in/);
    expect(await perDay()).toEqual({ '01': 2, '02': 3, '03': 2, '04': 2, '05': 1 });
    const backfill = await p.run('run', ...t, '--select', 'daily', '--event-time-start', '2018-11-01', '--event-time-end', '2018-11-02');
    expect(backfill.code, backfill.output).toBe(0);
    expect(await perDay()).toEqual({ '01': 3, '02': 3, '03': 2, '04': 2, '05': 1 });

    // The lookback now covers the 4th and 5th; the 4th's batch fails (division by zero there only): the 5th is replaced all the same.
    p.write('seeds/events.csv', rowsOf({ '01': 3, '02': 3, '03': 3, '04': 3, '05': 3 }));
    const third = await p.run('build', ...t, '--vars', '{"bad_day": 4}');
    expect(third.code, third.output).toBe(1);
    expect(third.output).toContain('1 of 2 batches of daily failed (the other 1 is committed):');
    expect(third.output).toMatch(/2018-11-04 00:00:00 to 2018-11-05 00:00:00: division by zero/);
    expect(third.output).toContain('--event-time-start "2018-11-04 00:00:00" --event-time-end "2018-11-05 00:00:00"');
    expect(await perDay()).toEqual({ '01': 3, '02': 3, '03': 2, '04': 2, '05': 3 });
  });
});

async function compile(config: string): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-mb-'));
  fs.mkdirSync(path.join(dir, 'models'));
  fs.writeFileSync(path.join(dir, 'project.yml'), 'name: mb\n');
  fs.writeFileSync(path.join(dir, 'models', 'm.sql'), `{{config materialized="incremental" ${config}}}\nselect now() as ts\n`);
  const project = await loadProject(dir);
  const env: RenderEnv = { projectName: project.config.name, target: { name: 'dev', type: 'embedded', schema: 'public' }, vars: {}, env: {} };
  return compileProject(project, await TemplateEngine.create(env, project.macros, project.dir), env).errors.map((e) => e.format());
}

describe('microbatch inputs', () => {
  it('are read per batch, named as the input unless the SQL gives them an alias (PostgreSQL 15 needs one)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-mb-'));
    fs.mkdirSync(path.join(dir, 'models'));
    fs.writeFileSync(path.join(dir, 'project.yml'), 'name: mb\n');
    fs.writeFileSync(path.join(dir, 'models', 'ev.sql'), '{{config event_time="ts"}}\nselect now() as ts\n');
    const mb = '{{config materialized="incremental" incremental_strategy="microbatch" event_time="ts" batch_size="day" begin="2018-11-01"}}\n';
    fs.writeFileSync(path.join(dir, 'models', 'bare.sql'), `${mb}select * from {{ref "ev"}} where ts is not null\n`);
    fs.writeFileSync(path.join(dir, 'models', 'named.sql'), `${mb}select e.ts from {{ref "ev"}} e join {{ref "ev"}} as f using (ts)\n`);
    const project = await loadProject(dir);
    const env: RenderEnv = { projectName: 'mb', target: { name: 'dev', type: 'embedded', schema: 'public' }, vars: {}, env: {} };
    const r = compileProject(project, await TemplateEngine.create(env, project.macros, project.dir), env);
    expect(r.errors).toEqual([]);
    const window = "(select * from public.ev where ts >= timestamp '__SPARKIFY_BATCH_START__' and ts < timestamp '__SPARKIFY_BATCH_END__')";
    expect(r.manifest.nodes.get('model.mb.bare')!.compiled_batch_code).toContain(`from ${window} as ev where ts is not null`);
    expect(r.manifest.nodes.get('model.mb.named')!.compiled_batch_code).toContain(`from ${window} e join ${window} as f using`);
  });
});

describe('microbatch config at compile time', () => {
  it('needs event_time, batch_size and begin', async () => {
    const errors = await compile('incremental_strategy="microbatch"');
    expect(errors).toHaveLength(3);
    for (const k of ['event_time', 'batch_size', 'begin']) expect(errors.join('\n')).toContain(`models/m.sql:1:37: incremental_strategy 'microbatch' needs ${k}`);
  });
  it('refuses a begin that is not a time, a batch size dbt does not have, and batch config on another strategy', async () => {
    expect(await compile('incremental_strategy="microbatch" event_time="ts" batch_size="day" begin="last week"')).toEqual([expect.stringContaining("begin 'last week' is not a date or timestamp")]);
    expect((await compile('incremental_strategy="microbatch" event_time="ts" batch_size="week" begin="2018-11-01"'))[0]).toContain("unknown batch_size 'week'");
    expect(await compile('batch_size="day"')).toEqual([expect.stringContaining("'batch_size' applies to incremental_strategy 'microbatch'")]);
  });
});
