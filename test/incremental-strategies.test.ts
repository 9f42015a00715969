import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/graph/compile.js';
import { loadProject } from '../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { compileErrors } from './support/compile.js';
import { makeProject, type Project } from './support/project.js';

// dbt's incremental strategies (append, delete+insert, merge with merge_update/exclude_columns) and
// on_schema_change (ignore, fail, append_new_columns, sync_all_columns), on the embedded database and on
// PostgreSQL; and the combinations compile refuses.

const unreachable = await postgresSkipReason('incremental strategies on PostgreSQL');
const pgSchema = `sparkify_incr_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  if (!unreachable) await dropSchema(pgSchema);
});

const TARGETS = [
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
];

function project(target: 'dev' | 'pg'): Project {
  const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
  p.write('project.yml', `name: incr\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${pgSchema}_${Math.random().toString(36).slice(2, 8)}\n`);
  return p;
}

describe.each(TARGETS)('incremental strategies ($target)', ({ target, skip }) => {
  it.skipIf(skip)('append adds every row, delete+insert and merge replace by key, merge can update only some columns', async () => {
    const p = project(target);
    const t = ['--target', target];
    p.write('seeds/raw.csv', 'id,v,note\n1,a,x\n2,b,y\n');
    const model = (config: string): string => `{{config materialized="incremental" ${config}}}\nselect id, v, note from {{ref "raw"}}\n`;
    p.write('models/appended.sql', model('incremental_strategy="append"'));
    p.write('models/replaced.sql', model('unique_key="id"'));
    p.write('models/merged.sql', model('incremental_strategy="merge" unique_key="id"'));
    p.write('models/merged_v.sql', model('incremental_strategy="merge" unique_key="id" merge_update_columns=(list "v")'));
    p.write('models/merged_not_note.sql', model('incremental_strategy="merge" unique_key="id" merge_exclude_columns="note"'));
    const first = await p.run('build', ...t);
    expect(first.code, first.output).toBe(0);

    p.write('seeds/raw.csv', 'id,v,note\n2,B,Y\n3,c,z\n');
    const second = await p.run('build', ...t);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(/OK created incremental model \S+\.merged \.+ \[MERGE 2 in/);
    const rows = async (m: string): Promise<string[]> =>
      (await p.query<{ id: number; v: string; note: string }>(`select id, v, note from ${m} order by id, v`, ...t)).map((r) => `${r.id}${r.v}${r.note}`);
    expect((await rows('appended')).sort()).toEqual(['1ax', '2BY', '2by', '3cz']);
    expect(await rows('replaced')).toEqual(['1ax', '2BY', '3cz']);
    expect(await rows('merged')).toEqual(['1ax', '2BY', '3cz']);
    expect(await rows('merged_v')).toEqual(['1ax', '2By', '3cz']);
    expect(await rows('merged_not_note')).toEqual(['1ax', '2By', '3cz']);

    // New rows with a key of the table twice: merge cannot choose; the model fails and its table is unchanged.
    p.write('seeds/raw.csv', 'id,v,note\n4,d,w\n2,d,w\n2,e,w\n');
    const third = await p.run('build', ...t, '--select', 'raw', 'merged');
    expect(third.code, third.output).toBe(1);
    expect(third.output).toContain('merged: the new rows hold the same unique_key (id) more than once');
    expect(await rows('merged')).toEqual(['1ax', '2BY', '3cz']);
  });

  it.skipIf(skip)("on_schema_change: ignore and fail leave the table as it was, append_new_columns adds, sync_all_columns syncs", async () => {
    const p = project(target);
    const t = ['--target', target];
    p.write('seeds/raw2.csv', 'id,v,note\n1,10,x\n2,20,y\n');
    const model = (config: string, extra = ''): string =>
      `{{config materialized="incremental" unique_key="id"${config}}}\nselect *${extra} from {{ref "raw2"}}\n{{#if (is_incremental)}}where id > (select max(id) from {{this}}){{/if}}\n`;
    p.write('models/osc_ignore.sql', model(''));
    p.write('models/osc_fail.sql', model(' on_schema_change="fail"'));
    p.write('models/osc_append.sql', model(' on_schema_change="append_new_columns"'));
    p.write('models/osc_sync.sql', model(' on_schema_change="sync_all_columns"', ', {{var "v2" "v"}} as v2'));
    const first = await p.run('build', ...t);
    expect(first.code, first.output).toBe(0);

    // The extract loses `note`, gains `extra`; osc_sync's v2 becomes text.
    p.write('seeds/raw2.csv', 'id,v,extra\n3,30,e\n');
    const second = await p.run('build', ...t, '--vars', '{"v2": "v::text"}');
    expect(second.code, second.output).toBe(1);
    expect(second.output).toContain("osc_ignore no longer selects note, which its table has (on_schema_change is 'ignore')");
    expect(second.output).toContain("the columns of osc_fail changed and its on_schema_change is 'fail':");
    expect(second.output).toMatch(/added: +extra \(text\)\n.*removed: note \(text\)\n/);
    expect(second.output).toContain('osc_sync: columns synced with the model: added: extra (text); removed: note (text); changed: v2 integer -> text');
    const cols = async (m: string): Promise<string[]> =>
      (await p.query<{ c: string }>(`select column_name || ' ' || data_type as c from information_schema.columns where table_name = '${m}' and table_schema = current_schema() order by ordinal_position`, ...t)).map((r) => r.c);
    const ids = async (m: string): Promise<number[]> => (await p.query<{ id: number }>(`select id from ${m} order by id`, ...t)).map((r) => r.id);
    for (const m of ['osc_ignore', 'osc_fail']) {
      expect(await cols(m)).toEqual(['id integer', 'v integer', 'note text']);
      expect(await ids(m)).toEqual([1, 2]);
    }
    expect(await cols('osc_append')).toEqual(['id integer', 'v integer', 'note text', 'extra text']);
    expect(await p.query(`select id, note, extra from osc_append order by id`, ...t)).toEqual([
      { id: 1, note: 'x', extra: null },
      { id: 2, note: 'y', extra: null },
      { id: 3, note: null, extra: 'e' },
    ]);
    expect(await cols('osc_sync')).toEqual(['id integer', 'v integer', 'extra text', 'v2 text']);
    expect(await p.query(`select id, v2, extra from osc_sync order by id`, ...t)).toEqual([
      { id: 1, v2: '10', extra: null },
      { id: 2, v2: '20', extra: null },
      { id: 3, v2: '30', extra: 'e' },
    ]);
  });
});

describe('incremental config compile refuses', () => {
  const one = (config: string): Promise<string[]> => compileErrors({ 'project.yml': 'name: p\n', 'models/m.sql': `{{config materialized="incremental" ${config}}}\nselect 1 as id\n` });
  it('merge or delete+insert without unique_key', async () => {
    expect(await one('incremental_strategy="merge"')).toEqual([expect.stringMatching(/^models\/m\.sql:1:\d+: incremental_strategy 'merge' needs unique_key/)]);
    expect(await one('incremental_strategy="delete+insert"')).toEqual([expect.stringMatching(/incremental_strategy 'delete\+insert' needs unique_key/)]);
  });
  it('unique_key with append, which would not use it', async () => {
    expect(await one('incremental_strategy="append" unique_key="id"')).toEqual([expect.stringMatching(/^models\/m\.sql:1:\d+: unique_key does nothing with incremental_strategy 'append'/)]);
  });
  it('merge columns without merge, or both lists', async () => {
    expect(await one('unique_key="id" merge_update_columns="v"')).toEqual([expect.stringMatching(/'merge_update_columns' applies to incremental_strategy 'merge'; this model's is 'delete\+insert' \(the default\)/)]);
    expect(await one('incremental_strategy="merge" unique_key="id" merge_update_columns="v" merge_exclude_columns="w"')).toEqual([expect.stringMatching(/merge_update_columns and merge_exclude_columns cannot both be set/)]);
  });
  it('an on_schema_change value dbt does not have, with the nearest', async () => {
    const errors = await one('unique_key="id" on_schema_change="append_new_column"');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^models\/m\.sql:1:\d+: .*on_schema_change/);
    expect(errors[0]).toContain('append_new_columns');
  });
  it('a strategy dbt has for other warehouses says so', async () => {
    expect((await one('unique_key="id" incremental_strategy="insert_overwrite"'))[0]).toContain('insert_overwrite is not a strategy for Postgres or Redshift');
  });
});
