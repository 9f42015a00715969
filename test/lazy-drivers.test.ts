import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliPath, makeProject } from './support/project.js';

// Commands that never talk to a warehouse must not load a driver: PGlite, pg and the AWS SDK are large, and
// a process that has imported PGlite creates files several times slower (issue 9), which compile pays for
// every compiled file. A resolve hook (module.register) in the CLI's process records every bare specifier
// it resolves.

const DRIVER_PACKAGES = /^(@electric-sql\/pglite|pg|pg-copy-streams|@aws-sdk\/.*)(\/.*)?$/;

function hookFiles(dir: string): { register: string; log: string } {
  const log = path.join(dir, 'resolved.txt');
  fs.writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import fs from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  if (!/^(\\.|\\/|node:|file:|data:)/.test(specifier)) fs.appendFileSync(log, specifier + '\\n');
  return next(specifier, context);
}
`,
  );
  const register = path.join(dir, 'register.mjs');
  fs.writeFileSync(
    register,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });
`,
  );
  return { register, log };
}

describe('commands that need no warehouse', () => {
  const p = makeProject({ withDatabase: false });
  const hookDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-hooks-'));
  const { register, log } = hookFiles(hookDir);

  const resolvedBy = (...args: string[]): string[] => {
    fs.rmSync(log, { force: true });
    const r = spawnSync(process.execPath, ['--import', register, cliPath, ...args], { cwd: p.dir, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    return fs.existsSync(log) ? [...new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean))] : [];
  };

  it.each(['compile', 'ls', '--help', 'compile --target pg', 'ls --target redshift'])('sparkify %s imports no driver package', (command) => {
    const resolved = resolvedBy(...command.split(' '));
    // The hook sees the CLI's own dependencies (else this test would prove nothing).
    expect(resolved).toContain('commander');
    expect(resolved.filter((s) => DRIVER_PACKAGES.test(s))).toEqual([]);
  });
});
