import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileProject, type CompileResult } from '../../src/graph/compile.js';
import { loadProject } from '../../src/project/load.js';
import { TemplateEngine, type RenderEnv } from '../../src/template/engine.js';

/** Compile a project made of `files` (path -> text) in a temporary directory, in this process, on an embedded target. */
export async function compileFiles(files: Record<string, string>, opts: { schema?: string; targetType?: string } = {}): Promise<CompileResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-compile-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  const project = await loadProject(dir);
  const env: RenderEnv = { projectName: project.config.name, target: { name: 'dev', type: opts.targetType ?? 'embedded', schema: opts.schema ?? 'public' }, vars: project.config.vars, env: {} };
  return compileProject(project, await TemplateEngine.create(env, project.macros, project.dir), env);
}

/** The formatted errors of compileFiles. */
export async function compileErrors(files: Record<string, string>): Promise<string[]> {
  return (await compileFiles(files)).errors.map((e) => e.format());
}
