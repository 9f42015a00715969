import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openWarehouse } from '../src/warehouse/index.js';
import { dropSchema, postgresSkipReason } from './support/postgres.js';
import { cliPath, makeProject, type Project } from './support/project.js';

// Snapshots (dbt's SCD type 2), declared as dbt 1.9 does in YAML and as snapshots/<name>.sql: compile-time
// config errors, the history each strategy and hard_deletes mode records, run-time errors that leave the
// history as it was, and a kill in the middle of a snapshot run.

const unreachable = await postgresSkipReason('snapshots on PostgreSQL');
const schemas: string[] = [];
afterAll(async () => {
  if (!unreachable) for (const s of schemas) await dropSchema(s);
});

function newSchema(what: string): string {
  const s = `sparkify_snap_${what}_${process.pid}_${Date.now().toString(36)}`;
  schemas.push(s);
  return s;
}

const USERS_1 = 'id,name,status,updated_at\n1,Ann,free,2024-01-01 00:00:00\n2,Bob,free,2024-01-01 00:00:00\n3,Cy,paid,2024-01-01 00:00:00\n';
// Ann upgrades (a later updated_at), Bob is deleted, Cy changes status but not updated_at, Dee is new.
const USERS_2 = 'id,name,status,updated_at\n1,Ann,paid,2024-02-01 00:00:00\n3,Cy,free,2024-01-01 00:00:00\n4,Dee,free,2024-02-01 00:00:00\n';
// Bob comes back.
const USERS_3 = `${USERS_2}2,Bob,paid,2024-03-01 00:00:00\n`;
const ITEMS_1 = 'shop,sku,price\ns1,a,10\ns1,b,20\ns2,a,30\n';
const ITEMS_2 = 'shop,sku,price\ns1,a,11\ns2,a,30\ns2,b,40\n';

/** items_all reads a source that is a seed's table, which the DAG cannot know: on pg, builds run one node at a time. */
const serial = ['--threads', '1'];

function snapProject(target: 'dev' | 'pg', schema: string): Project {
  const p = makeProject({ from: 'empty', withDatabase: target === 'dev' });
  p.write('project.yml', `name: snap\ntargets:\n  dev:\n    type: embedded\n    schema: public\n  pg:\n    type: postgres\n    schema: ${schema}\n`);
  p.write('seeds/raw_users.csv', USERS_1);
  p.write('seeds/raw_items.csv', ITEMS_1);
  p.write('models/sources.yml', `version: 2
sources:
  - name: raw
    schema: ${target === 'dev' ? 'public' : schema}
    tables:
      - name: items
        identifier: raw_items
`);
  // dbt 1.9 YAML snapshots, one of them with tests; and properties for the .sql snapshot below.
  p.write('snapshots/snapshots.yml', `version: 2
snapshots:
  - name: users_ts
    relation: ref('raw_users')
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: new_record
    columns:
      - name: dbt_scd_id
        tests: [unique, not_null]
  - name: items_all
    relation: source('raw', 'items')
    config:
      unique_key: [shop, sku]
      strategy: check
      check_cols: all
  - name: users_check
    config:
      snapshot_meta_column_names: { dbt_valid_from: valid_from, dbt_valid_to: valid_to }
      dbt_valid_to_current: "'9999-12-31'"
`);
  p.write('snapshots/users_check.sql', '{{config unique_key="id" strategy="check" check_cols=(list "status") hard_deletes="invalidate"}}\nselect id, name, status from {{ref "raw_users"}}\n');
  p.write('models/current_users.sql', 'select id, name, status from {{ref "users_ts"}} where dbt_valid_to is null and dbt_is_deleted = \'False\'\n');
  return p;
}

describe('snapshot config is checked at compile time', () => {
  const project = (): Project => {
    const p = makeProject({ from: 'empty', withDatabase: false });
    p.write('project.yml', 'name: snap\n');
    p.write('seeds/raw_users.csv', USERS_1);
    return p;
  };

  it('each bad snapshot is an error at its file:line with the nearest names, all at once (exit 2)', async () => {
    const p = project();
    p.write('snapshots/snaps.yml', `snapshots:
  - name: no_key
    relation: ref('raw_users')
    config:
      strategy: timestamp
      updated_at: updated_at
  - name: no_updated_at
    relation: ref('raw_users')
    config:
      unique_key: id
      strategy: timestamp
  - name: bad_strategy
    relation: ref('raw_users')
    config:
      unique_key: id
      strategy: timestamps
      updated_at: updated_at
  - name: no_check_cols
    relation: ref('raw_users')
    config:
      unique_key: id
      strategy: check
  - name: typo_key
    relation: ref('raw_user')
    config:
      unique_key: id
      strategy: check
      check_col: [status]
  - name: bad_relation
    relation: users
    config:
      unique_key: id
      strategy: check
      check_cols: all
      snapshot_meta_column_names: { dbt_valid_form: start }
  - name: not_there
    description: properties of a snapshot that does not exist
`);
    p.write('snapshots/sql_no_key.sql', 'select 1 as id,\n  2 as x\n{{config strategy="check" check_cols="all"}}\n');
    const r = await p.run('compile');
    expect(r.code, r.output).toBe(2);
    const e = r.stderr;
    expect(e).toContain('snapshots/snaps.yml:5:7: a snapshot needs unique_key');
    expect(e).toContain("snapshots/snaps.yml:11:7: strategy 'timestamp' needs updated_at");
    expect(e).toContain("snapshots/snaps.yml:16:7: unknown strategy 'timestamps'");
    expect(e).toContain("Did you mean 'timestamp'?");
    expect(e).not.toContain('a snapshot needs a strategy');
    expect(e).toContain("snapshots/snaps.yml:22:7: strategy 'check' needs check_cols");
    expect(e).toMatch(/snapshots\/snaps\.yml:28:7: unknown config key 'check_col' for a snapshot[^]*Did you mean 'check_cols'\?/);
    expect(e).toMatch(/snapshots\/snaps\.yml:24:5: ref 'raw_user' does not match any model or seed[^]*Did you mean 'raw_users'\?/);
    expect(e).toContain("snapshots/snaps.yml:30:5: a snapshot's relation must be ref('model') or source('source', 'table'), not 'users'");
    expect(e).toMatch(/snapshots\/snaps\.yml:35:7: snapshot_meta_column_names has 'dbt_valid_form'[^]*Did you mean 'dbt_valid_from'/);
    expect(e).toContain("snapshots/snaps.yml:36:5: snapshots/snaps.yml describes snapshot 'not_there', which does not exist");
    expect(e).toContain('snapshots/sql_no_key.sql:3:10: a snapshot needs unique_key');
  });

  it('legacy and model-only config on a snapshot is refused with what to write instead', async () => {
    const p = project();
    p.write('snapshots/legacy.sql', '{{config target_schema="snapshots" unique_key="id" strategy="check" check_cols="status" materialized="table"}}\nselect * from {{ref "raw_users"}}\n');
    p.write('models/m.sql', '{{config materialized="snapshot"}}\nselect 1 as x\n');
    const r = await p.run('compile');
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toContain("snapshots/legacy.sql:1:10: 'target_schema' is not snapshot config: dbt 1.9 writes schema");
    expect(r.stderr).toContain("snapshots/legacy.sql:1:89: unknown config key 'materialized' for a snapshot");
    expect(r.stderr).toContain("models/m.sql:1:10: materialized 'snapshot' is not supported yet: a snapshot is not a model");
  });

  it('a YAML snapshot may sit in a schema file beside the models, and a snapshot-paths folder is read', async () => {
    const p = project();
    p.write('project.yml', "name: snap\nsnapshot-paths: ['history']\n");
    p.write('models/marts/schema.yml', "version: 2\nsnapshots:\n  - name: users_hist\n    relation: \"{{ ref('raw_users') }}\"\n    config: { unique_key: id, strategy: check, check_cols: all }\n");
    p.write('history/orders.sql', '{{config unique_key="id" strategy="check" check_cols="all"}}\nselect 1 as id\n');
    p.write('snapshots/ignored.sql', 'not read: snapshot-paths names another folder\n');
    const r = await p.run('ls', '--resource-type', 'snapshot', '--output', 'json');
    expect(r.code, r.output).toBe(0);
    const nodes = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { unique_id: string; original_file_path: string });
    expect(nodes.map((n) => [n.unique_id, n.original_file_path]).sort()).toEqual([
      ['snapshot.snap.orders', 'history/orders.sql'],
      ['snapshot.snap.users_hist', 'models/marts/schema.yml'],
    ]);
  });

  it('snapshots are resource_type snapshot: in the manifest, ls, selectors, and refs from models', async () => {
    const p = snapProject('dev', 'unused');
    // project.yml's snapshots: tree, by resource path (folders below snapshots/, then names).
    p.write('project.yml', `${p.read('project.yml')}snapshots:\n  snap:\n    +tags: [history]\n    users_ts:\n      +schema: snapshots\n`);
    const ls = await p.run('ls', '--resource-type', 'snapshot');
    expect(ls.code, ls.output).toBe(0);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['snap.items_all', 'snap.users_check', 'snap.users_ts']);
    // With the tests on them (dbt's eager indirect selection).
    const sel = await p.run('ls', '--select', 'resource_type:snapshot', '--output', 'name');
    expect(sel.stdout.trim().split('\n').sort()).toEqual(['items_all', 'not_null_users_ts_dbt_scd_id', 'unique_users_ts_dbt_scd_id', 'users_check', 'users_ts']);
    const tagged = await p.run('ls', '--select', 'tag:history', '--resource-type', 'snapshot', '--output', 'name');
    expect(tagged.stdout.trim().split('\n').sort()).toEqual(['items_all', 'users_check', 'users_ts']);
    const down = await p.run('ls', '--select', 'users_ts+', '--output', 'name');
    expect(down.stdout.trim().split('\n').sort()).toEqual(['current_users', 'not_null_users_ts_dbt_scd_id', 'unique_users_ts_dbt_scd_id', 'users_ts']);
    const compiled = await p.run('compile');
    expect(compiled.code, compiled.output).toBe(0);
    const manifest = JSON.parse(p.read('target/manifest.json')) as { nodes: Record<string, { resource_type: string; depends_on: { nodes: string[] }; config: Record<string, unknown>; compiled_code?: string }> };
    const ts = manifest.nodes['snapshot.snap.users_ts']!;
    expect(ts.resource_type).toBe('snapshot');
    expect(ts.depends_on.nodes).toEqual(['seed.snap.raw_users']);
    expect(ts.config).toMatchObject({ materialized: 'snapshot', strategy: 'timestamp', unique_key: ['id'], updated_at: 'updated_at', hard_deletes: 'new_record' });
    expect(manifest.nodes['snapshot.snap.items_all']!.config).toMatchObject({ unique_key: ['shop', 'sku'], check_cols: 'all' });
    expect(manifest.nodes['snapshot.snap.items_all']!.depends_on.nodes).toEqual(['source.snap.raw.items']);
    expect(manifest.nodes['snapshot.snap.users_check']!.config).toMatchObject({ check_cols: ['status'], dbt_valid_to_current: "'9999-12-31'", snapshot_meta_column_names: { dbt_valid_from: 'valid_from', dbt_valid_to: 'valid_to' } });
    expect(manifest.nodes['model.snap.current_users']!.depends_on.nodes).toEqual(['snapshot.snap.users_ts']);
    expect(p.read('target/compiled/snap/snapshots/snapshots.yml/users_ts.sql').trim()).toBe('select * from public.raw_users');
    // A custom schema is the target's with a suffix, for snapshots as for models (dbt's generate_schema_name).
    expect(p.read('target/compiled/snap/models/current_users.sql')).toContain('from public_snapshots.users_ts');
    expect(p.read('target/compiled/snap/snapshots/users_check.sql')).toContain('select id, name, status from public.raw_users');
  });
});

describe.each([
  { target: 'dev' as const, skip: false },
  { target: 'pg' as const, skip: !!unreachable },
])('snapshots record history ($target)', ({ target, skip }) => {
  it.skipIf(skip)('timestamp and check strategies, list keys, hard_deletes ignore/invalidate/new_record, meta column names, dbt_valid_to_current', async () => {
    const schema = newSchema('hist');
    const p = snapProject(target, schema);
    const t = ['--target', target];
    const rel = target === 'dev' ? 'public' : schema;
    const rows = <T = Record<string, unknown>>(sql: string): Promise<T[]> => p.query<T>(sql, ...t);

    const first = await p.run('build', ...t, ...serial);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`OK created snapshot ${rel}\\.users_ts \\.+ \\[SELECT 3 in`));
    expect(first.stdout).toContain('PASS test unique_users_ts_dbt_scd_id');
    expect(first.stdout).toMatch(/Found 1 model, 2 data tests, 2 seeds, 3 snapshots, 1 source/);
    expect(await rows('select id, status, dbt_valid_from, dbt_valid_to, dbt_updated_at, dbt_is_deleted from users_ts order by id')).toEqual([
      { id: 1, status: 'free', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: null, dbt_updated_at: '2024-01-01 00:00:00', dbt_is_deleted: 'False' },
      { id: 2, status: 'free', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: null, dbt_updated_at: '2024-01-01 00:00:00', dbt_is_deleted: 'False' },
      { id: 3, status: 'paid', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: null, dbt_updated_at: '2024-01-01 00:00:00', dbt_is_deleted: 'False' },
    ]);
    // dbt's dbt_scd_id: md5 of the key and the version's start.
    expect(await rows("select count(*) as n from users_ts where dbt_scd_id = md5(cast(id as varchar) || '|' || cast(updated_at as varchar))")).toEqual([{ n: 3 }]);
    // users_check: renamed meta columns, dbt_valid_to_current for current rows, check's time from the run.
    expect(await rows("select count(*) as n from users_check where valid_to = '9999-12-31' and valid_from = dbt_updated_at")).toEqual([{ n: 3 }]);

    // Nothing changed: nothing recorded; and --full-refresh does not rebuild history.
    const same = await p.run('snapshot', '--full-refresh', ...t);
    expect(same.code, same.output).toBe(0);
    expect(same.stdout).toContain('users_ts: a snapshot is history, so --full-refresh does not rebuild it');
    expect(same.stdout).toMatch(/OK created snapshot \S+\.users_ts \.+ \[INSERT 0 \(0 new, 0 changed, 0 deleted\) in/);
    expect(same.stdout).toMatch(/OK created snapshot \S+\.items_all \.+ \[INSERT 0 \(0 new, 0 changed\) in/);
    expect(same.stdout).not.toContain('current_users');
    expect(await rows('select (select count(*) from users_ts) as a, (select count(*) from users_check) as b, (select count(*) from items_all) as c')).toEqual([{ a: 3, b: 3, c: 3 }]);

    p.write('seeds/raw_users.csv', USERS_2);
    p.write('seeds/raw_items.csv', ITEMS_2);
    expect((await p.run('seed', ...t)).code).toBe(0);
    const second = await p.run('snapshot', ...t);
    expect(second.code, second.output).toBe(0);
    // timestamp: only a later updated_at is a change (Cy's status changed without one: not recorded).
    expect(second.stdout).toMatch(/users_ts \.+ \[INSERT 3 \(1 new, 1 changed, 1 deleted\) in/);
    expect(second.stdout).toMatch(/users_check \.+ \[INSERT 3 \(1 new, 2 changed, 1 deleted\) in/);
    expect(second.stdout).toMatch(/items_all \.+ \[INSERT 2 \(1 new, 1 changed\) in/);
    const ts = await rows<Record<string, unknown>>('select id, status, dbt_valid_from, dbt_valid_to, dbt_is_deleted from users_ts order by id, dbt_valid_from');
    const snapTime = ts.find((r) => r.id === 2 && r.dbt_is_deleted === 'True')?.dbt_valid_from;
    expect(snapTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(ts).toEqual([
      { id: 1, status: 'free', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: '2024-02-01 00:00:00', dbt_is_deleted: 'False' },
      { id: 1, status: 'paid', dbt_valid_from: '2024-02-01 00:00:00', dbt_valid_to: null, dbt_is_deleted: 'False' },
      // new_record: Bob's version closed at the snapshot's time, and a row that records the deletion.
      { id: 2, status: 'free', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: snapTime, dbt_is_deleted: 'False' },
      { id: 2, status: 'free', dbt_valid_from: snapTime, dbt_valid_to: null, dbt_is_deleted: 'True' },
      { id: 3, status: 'paid', dbt_valid_from: '2024-01-01 00:00:00', dbt_valid_to: null, dbt_is_deleted: 'False' },
      { id: 4, status: 'free', dbt_valid_from: '2024-02-01 00:00:00', dbt_valid_to: null, dbt_is_deleted: 'False' },
    ]);
    // check on status: Cy's change is a version; invalidate closes Bob; new versions start when the run saw them.
    const check = await rows<Record<string, unknown>>("select id, status, valid_to = '9999-12-31' as current from users_check order by id, valid_from");
    expect(check).toEqual([
      { id: 1, status: 'free', current: false },
      { id: 1, status: 'paid', current: true },
      { id: 2, status: 'free', current: false },
      { id: 3, status: 'paid', current: false },
      { id: 3, status: 'free', current: true },
      { id: 4, status: 'free', current: true },
    ]);
    expect(await rows("select count(*) as n from users_check c join users_check o on o.id = c.id and o.valid_to = c.valid_from where c.valid_to = '9999-12-31'")).toEqual([{ n: 2 }]);
    // check_cols all on a (shop, sku) key; hard_deletes ignore (the default) keeps s1/b current.
    expect(await rows('select shop, sku, price, dbt_valid_to is null as current from items_all order by shop, sku, dbt_valid_from')).toEqual([
      { shop: 's1', sku: 'a', price: 10, current: false },
      { shop: 's1', sku: 'a', price: 11, current: true },
      { shop: 's1', sku: 'b', price: 20, current: true },
      { shop: 's2', sku: 'a', price: 30, current: true },
      { shop: 's2', sku: 'b', price: 40, current: true },
    ]);

    // Bob comes back: new_record closes the deletion row; invalidate starts him anew; build runs the model on the snapshot.
    p.write('seeds/raw_users.csv', USERS_3);
    const third = await p.run('build', ...t, ...serial);
    expect(third.code, third.output).toBe(0);
    expect(third.stdout).toMatch(/users_ts \.+ \[INSERT 1 \(0 new, 1 changed, 0 deleted\) in/);
    expect(third.stdout).toMatch(/users_check \.+ \[INSERT 1 \(1 new, 0 changed, 0 deleted\) in/);
    const bob = await rows<Record<string, unknown>>('select status, dbt_valid_from, dbt_valid_to, dbt_is_deleted from users_ts where id = 2 order by dbt_valid_from');
    expect(bob).toHaveLength(3);
    expect(bob[1]).toMatchObject({ dbt_valid_from: snapTime, dbt_is_deleted: 'True' });
    expect(bob[1]!.dbt_valid_to).not.toBeNull();
    expect(bob[2]).toMatchObject({ status: 'paid', dbt_valid_from: bob[1]!.dbt_valid_to, dbt_valid_to: null, dbt_is_deleted: 'False' });
    expect(await rows('select id, status from current_users order by id')).toEqual([
      { id: 1, status: 'paid' },
      { id: 2, status: 'paid' },
      { id: 3, status: 'paid' },
      { id: 4, status: 'free' },
    ]);
    expect(await rows('select count(*) as n, count(distinct dbt_scd_id) as ids from users_ts')).toEqual([{ n: 7, ids: 7 }]);
  });

  it.skipIf(skip)('a run-time error (check_cols naming a missing column, a duplicate key) fails the snapshot and leaves its history as it was', async () => {
    const schema = newSchema('err');
    const p = snapProject(target, schema);
    const t = ['--target', target];
    expect((await p.run('build', ...t, ...serial)).code).toBe(0);
    const state = async (): Promise<unknown[]> => p.query('select * from users_ts order by id, dbt_valid_from', ...t);
    const before = await state();
    const checkBefore = await p.query('select * from users_check order by id, valid_from', ...t);

    p.write('snapshots/users_check.sql', p.read('snapshots/users_check.sql').replace('(list "status")', '(list "status" "plan")'));
    p.write('seeds/raw_users.csv', USERS_2);
    expect((await p.run('seed', ...t)).code).toBe(0);
    const bad = await p.run('snapshot', '--select', 'users_check', ...t);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toContain("users_check: check_cols names 'plan', which the snapshot's select does not have");
    expect(bad.output).toContain('Its columns: id, name, status.');
    expect(await p.query('select * from users_check order by id, valid_from', ...t)).toEqual(checkBefore);

    // Two rows for id 3: the snapshot cannot tell which is the version.
    p.write('seeds/raw_users.csv', `${USERS_2}3,Cy,paid,2024-03-01 00:00:00\n`);
    expect((await p.run('seed', ...t)).code).toBe(0);
    const dup = await p.run('snapshot', '--select', 'users_ts', ...t);
    expect(dup.code, dup.output).toBe(1);
    expect(dup.output).toContain('users_ts: the select returns the same unique_key more than once: id=3 (2 rows)');
    expect(await state()).toEqual(before);
    // A post-hook that fails rolls the snapshot back with it (hooks run in the snapshot's transaction).
    p.write('seeds/raw_users.csv', USERS_2);
    expect((await p.run('seed', ...t)).code).toBe(0);
    p.write('snapshots/snapshots.yml', p.read('snapshots/snapshots.yml').replace('      hard_deletes: new_record\n', `      hard_deletes: new_record\n      post_hook: "insert into {{this}} (id) values ('not a number')"\n`));
    const hook = await p.run('snapshot', '--select', 'users_ts', ...t);
    expect(hook.code, hook.output).toBe(1);
    expect(hook.output).toMatch(/snapshots\/snapshots\.yml:\d+:\d+: post_hook of users_ts failed: invalid input syntax/);
    expect(await state()).toEqual(before);
    // The staging tables went with the failed transaction.
    expect(await p.query("select count(*) as n from information_schema.tables where table_name like '%sparkify_snap%'", ...t)).toEqual([{ n: 0 }]);
  });

  it.skipIf(skip)('a snapshot run killed in the middle (rows closed, new versions being inserted) leaves the previous history intact', async () => {
    const schema = newSchema('kill');
    const p = snapProject(target, schema);
    const t = ['--target', target];
    const rel = target === 'dev' ? 'public' : schema;
    expect((await p.run('build', ...t, ...serial)).code).toBe(0);
    p.write('seeds/raw_users.csv', USERS_2);
    expect((await p.run('seed', ...t)).code).toBe(0);
    const state = (): Promise<unknown[]> => p.query('select * from users_ts order by id, dbt_valid_from', ...t);
    const before = await state();
    const whTarget = target === 'dev' ? ({ type: 'embedded', schema: 'public' } as const) : ({ type: 'postgres', schema } as const);
    const onWarehouse = async (sql: string): Promise<void> => {
      const wh = await openWarehouse(target, whTarget, p.dir);
      try {
        await wh.driver.exec(sql);
      } finally {
        await wh.driver.close();
      }
    };
    // The insert of the new versions sleeps: by then the changed rows are closed, in the run's transaction.
    await onWarehouse(`create function ${rel}.slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(60); return null; end $$;
      create trigger slow_insert after insert on ${rel}.users_ts for each statement execute function ${rel}.slow_insert();`);

    const child = spawn(process.execPath, [cliPath, 'snapshot', '--select', 'users_ts', ...t], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<string | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 600 && !output.includes('START snapshot'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain('START snapshot');
    let admin: pg.Client | undefined;
    let backend: number | undefined;
    if (target === 'pg') {
      admin = new pg.Client();
      await admin.connect();
      // Wait until the run is inside the insert (after its update), as the server reports it.
      for (let i = 0; i < 200 && backend === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const r = await admin.query(`select pid from pg_stat_activity where state = 'active' and query like 'insert into ${rel}.users_ts%'`);
        backend = r.rows[0]?.pid as number | undefined;
      }
      expect(backend, output).toBeDefined();
    } else {
      // The embedded database runs in the CLI's own process: the steps before the insert take well under a second.
      await new Promise((r) => setTimeout(r, 3000));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toContain('OK created snapshot');
    if (admin) {
      // The server ends the dead client's session (here at once, rather than when its sleep ends).
      await admin.query('select pg_terminate_backend($1)', [backend]);
      for (let i = 0; i < 100; i++) {
        if (!(await admin.query('select 1 from pg_stat_activity where pid = $1', [backend])).rows.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await admin.end();
    }
    expect(await state()).toEqual(before);

    await onWarehouse(`drop trigger slow_insert on ${rel}.users_ts`);
    const done = await p.run('snapshot', '--select', 'users_ts', ...t);
    expect(done.code, done.output).toBe(0);
    expect(done.stdout).toMatch(/users_ts \.+ \[INSERT 3 \(1 new, 1 changed, 1 deleted\) in/);
    expect(await p.query('select count(*) as n from users_ts', ...t)).toEqual([{ n: 6 }]);
  });
});
