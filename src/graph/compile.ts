import { createHash } from 'node:crypto';
import path from 'node:path';
import { SparkifyError, didYouMean } from '../core/errors.js';
import type { Project } from '../project/load.js';
import type { ColumnYaml, ModelYaml, TestEntry } from '../project/schema.js';
import { folderConfig, mergeConfig, type ConfigLayer } from '../project/config.js';
import { resolvePlaceholders, type RenderEnv, type Rendered, type TemplateEngine } from '../template/engine.js';
import { genericTestSql } from '../testing/generic.js';
import { topoOrder } from './dag.js';
import type { ColumnInfo, Manifest, Node, NodeConfig } from './types.js';
import type { SourceLocation } from '../core/location.js';

/** Where each model/test came from in the schema YAML, for errors found after compile. */
export interface YamlOrigins {
  /** `${model}.${column}` -> location of the column entry */
  columns: Map<string, SourceLocation>;
  /** test unique_id -> location of the test entry */
  tests: Map<string, SourceLocation>;
}

export interface CompileResult {
  manifest: Manifest;
  /** unique_ids in dependency order (parents first). */
  order: string[];
  /** model name -> what its template produced (placeholders unresolved), for re-rendering incrementals. */
  rendered: Map<string, Rendered>;
  origins: YamlOrigins;
}

/**
 * A pure function from project files to a manifest: render every template once, collect ref/source/config,
 * add YAML-declared tests, resolve references and order the graph. No database is touched.
 */
export function compileProject(project: Project, engine: TemplateEngine, env: RenderEnv): CompileResult {
  const pkg = project.config.name;
  const nodes = new Map<string, Node>();
  const byName = new Map<string, Node>(); // models and seeds
  const rendered = new Map<string, Rendered>();
  const origins: YamlOrigins = { columns: new Map(), tests: new Map() };

  // YAML entries by model name.
  const yamlModels = new Map<string, { entry: ModelYaml; file: string; index: number; kind: 'models' | 'seeds' }>();
  for (const s of project.schemas) {
    for (const kind of ['models', 'seeds'] as const) {
      s.content[kind].forEach((entry, index) => {
        const prior = yamlModels.get(entry.name);
        if (prior) {
          throw new SparkifyError(`'${entry.name}' is described twice (also in ${prior.file})`, {
            location: s.yaml.locate([kind, index]),
            hint: 'Describe each model in one schema file only.',
          });
        }
        yamlModels.set(entry.name, { entry, file: s.yaml.file, index, kind });
      });
    }
  }
  const yamlLoc = (name: string, sub: (string | number)[] = []): SourceLocation | undefined => {
    const y = yamlModels.get(name);
    if (!y) return undefined;
    const schema = project.schemas.find((s) => s.yaml.file === y.file)!;
    return schema.yaml.locate([y.kind, y.index, ...sub]);
  };

  const addNamed = (node: Node): void => {
    const prior = byName.get(node.name);
    if (prior) {
      throw new SparkifyError(`two nodes are named '${node.name}': ${prior.original_file_path} and ${node.original_file_path}`, {
        location: { file: node.original_file_path, line: 1, column: 0 },
        hint: 'Model and seed names are unique in a project: rename one of the files.',
      });
    }
    byName.set(node.name, node);
    nodes.set(node.unique_id, node);
  };

  /** A model or seed from its file: config from project.yml folders, then the YAML, then the file itself. */
  const addBuildable = (kind: 'model' | 'seed', f: Project['models'][number], name: string, own?: Rendered): void => {
    const y = yamlModels.get(name)?.kind === `${kind}s` ? yamlModels.get(name) : undefined;
    const tree = kind === 'model' ? project.config.models : project.config.seeds;
    const layers: ConfigLayer[] = [{ values: folderConfig(tree, pkg, f.relPath), location: project.projectYaml.locate([`${kind}s`]) }];
    if (y) layers.push({ values: y.entry.config, location: yamlLoc(name, ['config'])! });
    if (own && Object.keys(own.config).length) layers.push({ values: own.config, location: own.configLocation ?? { file: f.file, line: 1, column: 0 } });
    const config = mergeConfig(kind === 'seed' ? { materialized: 'seed' } : {}, layers);
    addNamed({
      unique_id: `${kind}.${pkg}.${name}`,
      resource_type: kind,
      name,
      package_name: pkg,
      original_file_path: f.file,
      path: f.relPath,
      fqn: [pkg, ...f.relPath.split('/').slice(0, -1), name],
      config,
      description: y?.entry.description ?? '',
      columns: columnsOf(y?.entry.columns ?? []),
      raw_code: f.text,
      depends_on: { nodes: [], macros: [] },
      relation: { schema: (config.schema as string | undefined) ?? env.target.schema, identifier: (config.alias as string | undefined) ?? name },
    });
  };

  for (const f of project.models) {
    const name = path.basename(f.file, '.sql');
    const r = engine.render(f.file, f.text);
    rendered.set(name, r);
    addBuildable('model', f, name, r);
  }
  // Seeds: a CSV file becomes a table of the same name.
  for (const f of project.seeds) addBuildable('seed', f, path.basename(f.file, '.csv'));

  // YAML entries must describe something that exists.
  for (const [name, y] of yamlModels) {
    const node = byName.get(name);
    const expected = y.kind === 'models' ? 'model' : 'seed';
    if (!node || node.resource_type !== expected) {
      throw new SparkifyError(`${y.file} describes ${expected} '${name}', which does not exist`, {
        location: yamlLoc(name, ['name']),
        hint: `${didYouMean(name, [...byName.values()].filter((n) => n.resource_type === expected).map((n) => n.name)) || `Add ${y.kind}/${name}.${expected === 'seed' ? 'csv' : 'sql'} or remove the entry.`}`,
      });
    }
  }

  const testRefs = new Map<string, { refs: string[]; sources: string[]; location: SourceLocation }>();

  // Sources.
  const sourceIds = new Map<string, string>(); // 'raw.events' -> unique_id
  for (const s of project.schemas) {
    s.content.sources.forEach((src, si) => {
      src.tables.forEach((t, ti) => {
        const id = `source.${pkg}.${src.name}.${t.name}`;
        sourceIds.set(`${src.name}.${t.name}`, id);
        nodes.set(id, {
          unique_id: id,
          resource_type: 'source',
          name: t.name,
          source_name: src.name,
          package_name: pkg,
          original_file_path: s.yaml.file,
          path: s.yaml.file,
          fqn: [pkg, src.name, t.name],
          config: { materialized: 'view', tags: [], enabled: true },
          description: t.description,
          columns: columnsOf(t.columns),
          raw_code: '',
          depends_on: { nodes: [], macros: [] },
          relation: { schema: src.schema ?? src.name, identifier: t.identifier ?? t.name },
        });
        addYamlTests(s.yaml.locate(['sources', si, 'tables', ti]), { kind: 'source', source: src.name, table: t.name }, id, t.columns,
          t.tests ?? t.data_tests ?? [], (sub) => s.yaml.locate(['sources', si, 'tables', ti, ...sub]));
      });
    });
  }

  // Generic tests declared in YAML.
  function addYamlTests(
    _loc: SourceLocation,
    model: { kind: 'ref'; name: string } | { kind: 'source'; source: string; table: string },
    attached: string,
    columns: ColumnYaml[],
    modelTests: TestEntry[],
    locate: (sub: (string | number)[]) => SourceLocation,
  ): void {
    const entries: { entry: TestEntry; column?: string; at: (string | number)[] }[] = [];
    columns.forEach((c, ci) => {
      const key = model.kind === 'ref' ? model.name : `${model.source}.${model.table}`;
      origins.columns.set(`${key}.${c.name}`, locate(['columns', ci, 'name']));
      const list = c.tests ?? c.data_tests ?? [];
      const field = c.tests ? 'tests' : 'data_tests';
      list.forEach((entry, ti) => entries.push({ entry, column: c.name, at: ['columns', ci, field, ti] }));
    });
    modelTests.forEach((entry, ti) => entries.push({ entry, at: ['tests', ti] }));
    for (const { entry, column, at } of entries) {
      const location = locate(at);
      const [test, args] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry)[0]!;
      const kwargs: Record<string, unknown> = { ...(args ?? {}) };
      const testConfig: Record<string, unknown> = { ...(isRecord(kwargs.config) ? kwargs.config : {}) };
      delete kwargs.config;
      for (const k of ['severity', 'where', 'tags', 'enabled'] as const) {
        if (k in kwargs && k !== 'where') {
          testConfig[k] = kwargs[k];
          delete kwargs[k];
        }
      }
      if (typeof kwargs.where === 'string') testConfig.where = kwargs.where;
      const g = genericTestSql({ test, model, column: column ?? (kwargs.column_name as string | undefined), kwargs, location });
      const id = `test.${pkg}.${g.name}`;
      if (nodes.has(id)) {
        throw new SparkifyError(`test '${g.name}' is declared twice`, { location, hint: 'Remove the duplicate test entry.' });
      }
      const parentNode = nodes.get(attached);
      const config = mergeConfig({ materialized: 'test', severity: 'error' }, [
        { values: folderConfig(project.config.tests, pkg, ''), location: project.projectYaml.locate(['tests']) },
        { values: testConfig, location },
      ]);
      config.tags = [...new Set([...(parentNode?.config.tags ?? []), ...config.tags])];
      origins.tests.set(id, location);
      nodes.set(id, {
        unique_id: id,
        resource_type: 'test',
        name: g.name,
        package_name: pkg,
        original_file_path: location.file,
        path: location.file,
        fqn: [pkg, ...(parentNode?.fqn.slice(1, -1) ?? []), g.name],
        config,
        description: '',
        columns: {},
        raw_code: g.sql,
        depends_on: { nodes: [], macros: [] },
        attached_node: attached,
        test_metadata: { name: test, column_name: column, kwargs },
      });
      testRefs.set(id, { refs: [...(model.kind === 'ref' ? [model.name] : []), ...g.refs], sources: model.kind === 'source' ? [`${model.source}.${model.table}`] : [], location });
    }
  }
  for (const s of project.schemas) {
    s.content.models.forEach((m, mi) => {
      addYamlTests(s.yaml.locate(['models', mi]), { kind: 'ref', name: m.name }, `model.${pkg}.${m.name}`, m.columns,
        m.tests ?? m.data_tests ?? [], (sub) => s.yaml.locate(['models', mi, ...sub]));
    });
  }

  // Singular tests: tests/*.sql returning failing rows.
  for (const f of project.singularTests) {
    const name = path.basename(f.file, '.sql');
    const r = engine.render(f.file, f.text);
    rendered.set(`test:${name}`, r);
    const config = mergeConfig({ materialized: 'test', severity: 'error' }, [
      { values: folderConfig(project.config.tests, pkg, f.relPath), location: project.projectYaml.locate(['tests']) },
      { values: r.config, location: r.configLocation ?? { file: f.file, line: 1, column: 0 } },
    ]);
    const id = `test.${pkg}.${name}`;
    nodes.set(id, {
      unique_id: id,
      resource_type: 'test',
      name,
      package_name: pkg,
      original_file_path: f.file,
      path: f.relPath,
      fqn: [pkg, ...f.relPath.split('/').slice(0, -1), name],
      config,
      description: '',
      columns: {},
      raw_code: f.text,
      depends_on: { nodes: [], macros: [] },
    });
  }

  // Resolve references into edges, and placeholders into relation names.
  const resolveRef = (name: string, location: SourceLocation): Node => {
    const target = byName.get(name);
    if (!target) {
      throw new SparkifyError(`ref '${name}' does not match any model or seed`, {
        location,
        hint: didYouMean(name, byName.keys()) || `Create models/.../${name}.sql, or fix the name.`,
      });
    }
    return target;
  };
  const resolveSource = (key: string, location: SourceLocation): Node => {
    const id = sourceIds.get(key);
    if (!id) {
      throw new SparkifyError(`source '${key}' is not declared`, {
        location,
        hint: didYouMean(key, sourceIds.keys()) || 'Declare it under sources: in a schema YAML file beside the models.',
      });
    }
    return nodes.get(id)!;
  };
  const relationName = (n: Node): string => qualify(n.relation!.schema, n.relation!.identifier);

  for (const node of nodes.values()) {
    let r: Rendered | undefined;
    const deps = new Set<string>();
    if (node.resource_type === 'model') r = rendered.get(node.name);
    else if (node.resource_type === 'test' && !node.test_metadata) r = rendered.get(`test:${node.name}`);
    if (r) {
      for (const ref of r.refs) deps.add(resolveRef(ref.name, ref.location).unique_id);
      for (const s of r.sources) deps.add(resolveSource(`${s.source}.${s.table}`, s.location).unique_id);
      node.compiled_code = resolvePlaceholders(r.sql, (kind, arg) =>
        kind === 'this' ? relationName(node) : kind === 'ref' ? relationName(byName.get(arg)!) : relationName(nodes.get(sourceIds.get(arg)!)!),
      );
    } else if (node.test_metadata) {
      const t = testRefs.get(node.unique_id)!;
      for (const ref of t.refs) deps.add(resolveRef(ref, t.location).unique_id);
      for (const s of t.sources) deps.add(resolveSource(s, t.location).unique_id);
      node.compiled_code = resolvePlaceholders(node.raw_code, (kind, arg) =>
        kind === 'ref' ? relationName(byName.get(arg)!) : relationName(nodes.get(sourceIds.get(arg)!)!),
      );
    } else if (node.resource_type === 'seed') {
      node.compiled_code = '';
    }
    node.depends_on.nodes = [...deps].sort();
    node.checksum = createHash('sha256').update(node.compiled_code ?? node.raw_code).update('\0').update(JSON.stringify(node.config)).digest('hex').slice(0, 20);
  }

  // Disabled nodes vanish, and so do tests of disabled nodes.
  for (const [id, n] of nodes) if (!n.config.enabled) nodes.delete(id);
  for (const [id, n] of nodes) if (n.depends_on.nodes.some((d) => !nodes.has(d))) {
    if (n.resource_type === 'test') nodes.delete(id);
    else {
      const missing = n.depends_on.nodes.find((d) => !nodes.has(d))!;
      throw new SparkifyError(`${n.name} depends on ${missing}, which is disabled`, {
        location: { file: n.original_file_path, line: 1, column: 0 },
        hint: 'Enable it again, or remove the reference.',
      });
    }
  }

  const parent_map = new Map<string, string[]>();
  const child_map = new Map<string, string[]>();
  for (const id of nodes.keys()) {
    parent_map.set(id, []);
    child_map.set(id, []);
  }
  for (const n of nodes.values()) {
    for (const d of n.depends_on.nodes) {
      parent_map.get(n.unique_id)!.push(d);
      child_map.get(d)!.push(n.unique_id);
    }
  }
  const manifest: Manifest = { project_name: pkg, nodes, parent_map, child_map };
  const order = topoOrder(manifest);
  return { manifest, order, rendered, origins };
}

/** schema.identifier, quoted only where Postgres needs it. */
export function qualify(schema: string, identifier: string): string {
  return `${quoteIfNeeded(schema)}.${quoteIfNeeded(identifier)}`;
}

export function quoteIfNeeded(ident: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(ident) && !RESERVED.has(ident) ? ident : `"${ident.replace(/"/g, '""')}"`;
}

const RESERVED = new Set(['all', 'and', 'any', 'as', 'asc', 'case', 'check', 'column', 'constraint', 'create', 'default', 'desc', 'distinct', 'do', 'else', 'end', 'false', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'into', 'is', 'join', 'limit', 'not', 'null', 'on', 'only', 'or', 'order', 'primary', 'references', 'select', 'table', 'then', 'to', 'true', 'union', 'unique', 'user', 'using', 'when', 'where', 'with']);

function columnsOf(cols: ColumnYaml[]): Record<string, ColumnInfo> {
  const out: Record<string, ColumnInfo> = {};
  for (const c of cols) out[c.name] = { name: c.name, description: c.description, ...(c.data_type ? { data_type: c.data_type } : {}) };
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type { NodeConfig };

/** Resolve ref/source/this placeholders in SQL rendered later (an incremental model's second render). */
export function resolveSql(manifest: Manifest, node: Node, sql: string): string {
  const rel = (n: Node | undefined, what: string): string => {
    if (!n?.relation) throw new SparkifyError(`${node.name}: cannot resolve ${what}`, { location: { file: node.original_file_path, line: 1, column: 0 } });
    return qualify(n.relation.schema, n.relation.identifier);
  };
  const all = [...manifest.nodes.values()];
  return resolvePlaceholders(sql, (kind, arg) => {
    if (kind === 'this') return rel(node, 'this');
    if (kind === 'ref') return rel(all.find((n) => (n.resource_type === 'model' || n.resource_type === 'seed') && n.name === arg), `ref '${arg}'`);
    return rel(all.find((n) => n.resource_type === 'source' && `${n.source_name}.${n.name}` === arg), `source '${arg}'`);
  });
}
