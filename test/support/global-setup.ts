import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

// initdb of a PGlite data directory takes seconds; do it once and let each test copy the result.
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-pgdata-'));
  const dataDir = path.join(dir, 'dev');
  const db = await PGlite.create({ dataDir });
  await db.close();
  project.provide('pgTemplateDir', dataDir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplateDir: string;
  }
}
