import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import type { ColumnType } from '../../src/load/convert.js';
import { openEmbedded } from '../../src/warehouse/embedded.js';
import type { Session, Warehouse } from '../../src/warehouse/types.js';

/** A scratch directory and an embedded Postgres in it (copied from global setup's template: no initdb), in UTC. */
export async function openLoadFixture(prefix: string): Promise<{ tmp: string; wh: Warehouse }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(tmp, 'pgdata');
  const template = inject('pgTemplateDir');
  if (template && fs.existsSync(template)) fs.cpSync(template, dataDir, { recursive: true });
  const wh = await openEmbedded(dataDir, 'public');
  await wh.driver.exec(`set timezone to 'UTC'`);
  return { tmp, wh };
}

export async function closeLoadFixture(f: { tmp?: string; wh?: Warehouse }): Promise<void> {
  await f.wh?.driver.close();
  if (f.tmp) fs.rmSync(f.tmp, { recursive: true, force: true });
}

/** Writes each set of files into a new directory under `root` and returns that directory. */
export function fileSetWriter(root: string): (files: Record<string, string | Buffer>) => string {
  let n = 0;
  return (files) => {
    const dir = path.join(root, 'data', `set${++n}`);
    for (const [name, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), data);
    }
    return dir;
  };
}

/** A table's columns as the loader takes them. */
export async function tableColumns(wh: Warehouse, session: Session, schema: string, table: string): Promise<ColumnType[]> {
  const res = await session.query(wh.dialect.listColumns(), [schema, table]);
  return res.rows.map((r) => ({
    name: String(r.column_name),
    dataType: String(r.data_type),
    maxLength: r.character_maximum_length == null ? null : Number(r.character_maximum_length),
  }));
}
