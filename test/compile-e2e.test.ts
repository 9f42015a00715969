import { describe, expect, it } from 'vitest';
import { makeProject } from './support/project.js';

// What compile decides, seen from the CLI on the embedded database: the decisions hold when the SQL runs.

describe('compile decides, the run does it', () => {
  it('a not_null test on a column named by a reserved word checks the column (and fails on a null)', async () => {
    const p = makeProject({ from: 'empty' });
    p.write('project.yml', 'name: p\n');
    p.write('models/m.sql', `select * from (values (1, null::text, 5), (2, 'a', 5)) as t(id, "user", "order")\n`);
    p.write('models/s.yml', 'models:\n  - name: m\n    columns:\n      - name: user\n        tests: [not_null]\n      - name: order\n        tests: [unique]\n      - name: id\n        tests: [not_null, unique]\n');
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/FAIL test not_null_m_user \.+ \[FAIL 1/);
    expect(r.output).toMatch(/FAIL test unique_m_order \.+ \[FAIL 1/);
    expect(r.output).toContain('PASS=3 WARN=0 ERROR=2');
  });

  it('unique_key=(list ...) is honoured: two incremental runs replace rows instead of duplicating them', async () => {
    const p = makeProject({ from: 'empty' });
    p.write('project.yml', 'name: p\n');
    p.write('models/inc.sql', `{{config materialized="incremental" unique_key=(list "id" "part")}}\nselect * from (values (1, 'a', {{var "v" 1}}), (1, 'b', {{var "v" 1}})) as t(id, part, v)\n`);
    expect((await p.run('run')).code).toBe(0);
    expect((await p.run('run', '--vars', '{"v": 2}')).code).toBe(0);
    expect(await p.query('select id, part, v from inc order by part')).toEqual([
      { id: 1, part: 'a', v: 2 },
      { id: 1, part: 'b', v: 2 },
    ]);
  });

  it('state:modified sees an edit that only the incremental rendering contains', async () => {
    const p = makeProject({ from: 'empty' });
    p.write('project.yml', 'name: p\n');
    const model = (cond: string): string =>
      `{{config materialized="incremental" unique_key="id"}}\nselect 1 as id\n{{#if (is_incremental)}}where ${cond}{{/if}}\n`;
    p.write('models/inc.sql', model('true'));
    p.write('models/other.sql', 'select 1 as x\n');
    expect((await p.run('run')).code).toBe(0);
    expect((await p.run('ls', '--select', 'state:modified')).stdout.trim()).toBe('');
    p.write('models/inc.sql', model('1 = 1'));
    expect((await p.run('ls', '--select', 'state:modified')).stdout.trim()).toBe('p.inc');
    // Both renderings are written by compile, for the user to read.
    expect((await p.run('compile')).code).toBe(0);
    expect(p.read('target/compiled/p/models/inc.sql').trim()).toBe('select 1 as id');
    expect(p.read('target/compiled/p/models/inc.incremental.sql')).toContain('where 1 = 1');
    const manifest = JSON.parse(p.read('target/manifest.json')) as { nodes: Record<string, { compiled_incremental_code?: string }> };
    expect(manifest.nodes['model.p.inc']!.compiled_incremental_code).toContain('where 1 = 1');
    expect(manifest.nodes['model.p.other']!.compiled_incremental_code).toBeUndefined();
  });

  it('every error of a project is printed, each at its file:line, and nothing runs', async () => {
    const p = makeProject({ from: 'empty' });
    p.write('project.yml', 'name: p\nmodels:\n  p:\n    mart:\n      +materialized: table\n');
    p.write('models/a.sql', '{{config materialised="table"}}\nselect 1 as x\n');
    p.write('models/b.sql', 'select * from {{ref "c"}}\n');
    p.write('models/marts/d.sql', 'select 1 as x\n');
    const r = await p.run('run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 errors in the project');
    expect(r.stderr).toContain("project.yml:4:5: 'mart' under models.p names no folder or model");
    expect(r.stderr).toContain("models/a.sql:1:10: unknown config key 'materialised' for a model");
    expect(r.stderr).toContain("models/b.sql:1:15: ref 'c' does not match any model or seed");
    expect(r.stdout).not.toContain('START');
  });
});
