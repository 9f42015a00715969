import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SparkifyError } from '../core/errors.js';
import { BUILTIN_TESTS } from './builtin-tests.js';
import { YamlFile } from './yaml.js';
import { projectSchema, schemaFileSchema, type ProjectConfig, type SchemaFile } from './schema.js';

/** A file of the project: its path relative to the project root (forward slashes) and its text. */
export interface ProjectFile {
  /** e.g. models/marts/dim_users.sql */
  file: string;
  /** Relative to the resource folder it was found in, e.g. marts/dim_users.sql */
  relPath: string;
  text: string;
}

export interface SchemaYaml {
  yaml: YamlFile;
  /** Relative to the resource folder it was found in, e.g. marts/schema.yml */
  relPath: string;
  content: SchemaFile;
}

/** Everything read from disk. Compile turns this into a Manifest without further I/O. */
export interface Project {
  dir: string;
  config: ProjectConfig;
  projectYaml: YamlFile;
  models: ProjectFile[];
  schemas: SchemaYaml[];
  singularTests: ProjectFile[];
  /**
   * Generic tests: the built-ins, then the project's `tests/generic/**.sql` (under each test path), a later
   * one of the same name replacing an earlier one.
   */
  genericTests: ProjectFile[];
  /**
   * Every partial templates can include: the generic tests (a generic test is a partial called with its
   * arguments as hash parameters), then `macros/*.sql` and the helper modules `macros/*.js`.
   */
  macros: ProjectFile[];
  seeds: ProjectFile[];
  /** snapshots/<name>.sql: a snapshot whose body is the select it records. */
  snapshots: ProjectFile[];
}

export const PROJECT_FILE = 'project.yml';

export async function loadProject(dir: string): Promise<Project> {
  const root = path.resolve(dir);
  const projectPath = path.join(root, PROJECT_FILE);
  let text: string;
  try {
    text = await fs.readFile(projectPath, 'utf8');
  } catch {
    throw new SparkifyError(`no ${PROJECT_FILE} in ${root}`, {
      hint: `Run sparkify from a project directory (one with ${PROJECT_FILE}) or pass --project-dir <dir>.`,
    });
  }
  const projectYaml = YamlFile.parse(PROJECT_FILE, text);
  const config = projectYaml.validate(projectSchema, PROJECT_FILE);

  const [modelFiles, testFiles, macroFiles, seedFiles, snapshotFiles] = await Promise.all([
    readTree(root, config['model-paths'], ['.sql', '.yml', '.yaml']),
    readTree(root, config['test-paths'], ['.sql']),
    readTree(root, config['macro-paths'], ['.sql', '.js', '.mjs']),
    readTree(root, config['seed-paths'], ['.csv', '.yml', '.yaml']),
    readTree(root, config['snapshot-paths'], ['.sql', '.yml', '.yaml']),
  ]);
  const schemas: SchemaYaml[] = [];
  for (const f of [...modelFiles, ...seedFiles, ...snapshotFiles]) {
    if (!/\.ya?ml$/.test(f.file)) continue;
    const yaml = YamlFile.parse(f.file, f.text);
    schemas.push({ yaml, relPath: f.relPath, content: yaml.validate(schemaFileSchema, 'schema file') });
  }
  return {
    dir: root,
    config,
    projectYaml,
    models: modelFiles.filter((f) => f.file.endsWith('.sql')),
    schemas,
    singularTests: testFiles.filter((f) => !isGeneric(f)),
    genericTests: [...BUILTIN_TESTS, ...testFiles.filter(isGeneric)],
    macros: [...BUILTIN_TESTS, ...testFiles.filter(isGeneric), ...macroFiles],
    seeds: seedFiles.filter((f) => f.file.endsWith('.csv')),
    snapshots: snapshotFiles.filter((f) => f.file.endsWith('.sql')),
  };
}

/** dbt's place for generic tests: a folder named `generic` directly under a test path. */
function isGeneric(f: ProjectFile): boolean {
  return f.relPath.startsWith('generic/');
}

async function readTree(root: string, folders: string[], exts: string[]): Promise<ProjectFile[]> {
  const out: ProjectFile[] = [];
  for (const folder of folders) {
    const base = path.join(root, folder);
    const entries: string[] = [];
    try {
      walk(base, '', entries);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue; // an absent folder is an empty one
      throw err;
    }
    entries.sort();
    // Synchronous reads: for thousands of small files they cost a fraction of one promise per file.
    for (const e of entries) {
      if (!exts.includes(path.extname(e))) continue;
      out.push({ file: `${folder.replace(/\/+$/, '')}/${e}`, relPath: e, text: readFileSync(path.join(base, e), 'utf8') });
    }
  }
  return out;
}

/**
 * Every entry below `dir` that is not a directory, as paths relative to the folder walked (forward slashes).
 * One readdir with file types per folder: `readdir({ recursive: true })` costs ten times as much here.
 */
function walk(dir: string, rel: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`, out);
    else out.push(`${rel}${e.name}`);
  }
}
