import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { formatRows } from '../src/cli/output.js';
import { openWarehouse } from '../src/warehouse/index.js';
import type { WarehouseTarget } from '../src/warehouse/index.js';

// Reading a test project's warehouse without a CLI process. A `sparkify show` costs a process start and, on
// the embedded database, a PGlite start (about 1.8 s of CPU); opening the database here costs a third of
// that, and one opening can answer many queries. Tests that check what a run left in the warehouse read it
// this way; the tests of `show` itself (and of every command's output) still run the CLI.

export interface Reader {
  /** What `sparkify show --output json --inline <sql>` prints, parsed. Plain SQL only (no `{{ref}}`). */
  show<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * The warehouse of the project in `dir` as `sparkify show --target <target>` opens it (the project's target,
 * default its `default-target`), with the same `driver.show` and JSON formatting. Fails at once, rather than
 * wait, if a CLI process still holds the embedded database.
 */
export async function openReader(dir: string, target?: string): Promise<Reader> {
  const config = yaml.load(fs.readFileSync(path.join(dir, 'project.yml'), 'utf8')) as { 'default-target'?: string; targets?: Record<string, WarehouseTarget> };
  const name = target ?? config['default-target'] ?? 'dev';
  const settings = config.targets?.[name];
  if (!settings) throw new Error(`openReader: ${path.join(dir, 'project.yml')} has no target '${name}'`);
  if (JSON.stringify(settings).includes('{{')) throw new Error(`openReader: target '${name}' needs the CLI to render its settings`);
  const wh = await openWarehouse(name, settings, dir, { wait: false });
  return {
    async show<T>(sql: string): Promise<T[]> {
      if (sql.includes('{{')) throw new Error('openReader: templates are rendered by the CLI; use the CLI for this query');
      return JSON.parse(formatRows(await wh.driver.show(sql.trim().replace(/;\s*$/, '')), 'json')) as T[];
    },
    close: () => wh.driver.close(),
  };
}

/** One query through openReader: what `sparkify show --output json --inline <sql> [--target <target>]` prints, parsed. */
export async function showJson<T = Record<string, unknown>>(dir: string, sql: string, target?: string): Promise<T[]> {
  const reader = await openReader(dir, target);
  try {
    return await reader.show<T>(sql);
  } finally {
    await reader.close();
  }
}
