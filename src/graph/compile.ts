import { createHash } from 'node:crypto';
import path from 'node:path';
import { BATCH_END, BATCH_START } from '../core/batch.js';
import { SparkifyError, didYouMean } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';
import { PROJECT_FILE, type Project, type ProjectFile } from '../project/load.js';
import type { ColumnYaml, SnapshotYaml, TestEntry } from '../project/schema.js';
import { resolveConfig, treeLayers, type ConfigLayer, type TreeResource } from '../project/config.js';
import { placeholder, resolvePlaceholders, type RenderEnv, type Rendered, type TemplateEngine } from '../template/engine.js';
import { MODEL_MARK, parseGenericTest, planGenericTest, type GenericTestDef, type TestTarget } from '../testing/generic.js';
import { dialectFor } from '../warehouse/dialects.js';
import type { Dialect } from '../warehouse/types.js';
import { topoOrder } from './dag.js';
import { cteName, injectCtes } from './ephemeral.js';
import { parseSnapshotRelation } from './snapshot.js';
import type { ColumnInfo, CompiledHook, Manifest, Node, NodeConfig } from './types.js';

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
  origins: YamlOrigins;
  /** Every problem found, each at its file:line. A project with errors must not run. */
  errors: SparkifyError[];
  /** project.yml's on-run-start and on-run-end, rendered. */
  runHooks: { start: CompiledHook[]; end: CompiledHook[] };
}

type YamlKind = 'models' | 'seeds' | 'snapshots';
interface YamlEntry {
  entry: SnapshotYaml;
  kind: YamlKind;
  locate: (sub: (string | number)[]) => SourceLocation;
  file: string;
  relPath: string;
}

/** What a node was made from, kept until references are resolved. */
interface Pending {
  node: Node;
  /** The plain rendering, and for models that can run incrementally the is_incremental() one. */
  plain?: Rendered;
  incremental?: Rendered;
  /** Generic tests: the config written with the test in YAML, and the relation it tests (its `{{model}}`). */
  testConfig?: Record<string, unknown>;
  /** Ephemeral models its SQL refs (inlined as CTEs once every node is resolved). */
  ephemerals?: Set<string>;
  /** pre_hook / post_hook, rendered (placeholders resolved with the node's SQL). */
  hooks?: Record<'pre' | 'post', { rendered: Rendered; transaction: boolean; location: SourceLocation }[]>;
  /** Where each key of testConfig is written. */
  configAt?: (raw: string) => SourceLocation;
  tested?: TestTarget;
}

/**
 * A pure function from project files to a manifest: every template rendered in every variant it can run
 * with, every config value typed and checked, references resolved into edges and relation names (quoted by
 * the target's dialect), the graph ordered. No database is touched; all errors are collected, not only the first.
 */
export function compileProject(project: Project, engine: TemplateEngine, env: RenderEnv): CompileResult {
  return new Compiler(project, engine, env, dialectFor(env.target.type)).run();
}

class Compiler {
  private readonly pkg: string;
  private readonly errors: SparkifyError[] = [];
  private readonly pending = new Map<string, Pending>();
  /** Models and seeds by name. */
  private readonly byName = new Map<string, Node>();
  /** 'raw.events' -> source unique_id */
  private readonly sourceIds = new Map<string, string>();
  private readonly origins: YamlOrigins = { columns: new Map(), tests: new Map() };
  /** Schema-YAML entries of models and seeds, by name. */
  private defs: Map<string, GenericTestDef> | undefined;
  /** Generic tests whose file has an error (reported there, not again at every use). */
  private readonly brokenDefs = new Set<string>();
  private readonly yamlEntries = new Map<string, YamlEntry>();

  constructor(
    private readonly project: Project,
    private readonly engine: TemplateEngine,
    private readonly env: RenderEnv,
    private readonly dialect: Dialect,
  ) {
    this.pkg = project.config.name;
  }

  run(): CompileResult {
    this.collectYaml();
    const models = this.project.models.map((f) => this.model(f)).filter((p): p is Pending => p !== undefined);
    const seeds = this.project.seeds.map((f) => this.seed(f)).filter((p): p is Pending => p !== undefined);
    const snapshots = this.snapshots();
    this.configure('model', models);
    this.configure('seed', seeds);
    this.configure('snapshot', snapshots);
    for (const p of models) this.renderIncremental(p);
    this.checkYamlTargets();
    this.checkRelations([...models, ...seeds, ...snapshots]);
    this.sources();
    const tests = [...this.yamlTests(), ...this.project.singularTests.map((f) => this.singular(f)).filter((p): p is Pending => p !== undefined)];
    this.configure('test', tests);
    for (const p of this.pending.values()) this.resolve(p);
    this.inlineEphemerals();
    const runHooks = { start: this.projectHooks('on-run-start'), end: this.projectHooks('on-run-end') };
    const manifest = this.manifest();
    let order: string[] = [];
    try {
      order = this.errors.length ? [...manifest.nodes.keys()] : topoOrder(manifest);
    } catch (err) {
      this.fail(err);
    }
    return { manifest, order, origins: this.origins, errors: this.errors, runHooks };
  }

  private fail(err: unknown): void {
    if (err instanceof SparkifyError) this.errors.push(err);
    else throw err;
  }

  private attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  private collectYaml(): void {
    for (const s of this.project.schemas) {
      for (const kind of ['models', 'seeds', 'snapshots'] as const) {
        s.content[kind].forEach((entry: SnapshotYaml, index) => {
          const locate = (sub: (string | number)[]): SourceLocation => s.yaml.locate([kind, index, ...sub]);
          const prior = this.yamlEntries.get(entry.name);
          if (prior) {
            this.errors.push(new SparkifyError(`'${entry.name}' is described twice (also in ${prior.file})`, { location: locate([]), hint: 'Describe each model in one schema file only.' }));
            return;
          }
          this.yamlEntries.set(entry.name, { entry, kind, locate, file: s.yaml.file, relPath: s.relPath });
        });
      }
    }
  }

  /** A model or seed node, before its config is known. */
  private buildable(kind: 'model' | 'seed' | 'snapshot', f: ProjectFile, name: string): Node | undefined {
    const y = this.yamlEntries.get(name);
    const yaml = y?.kind === `${kind}s` ? y.entry : undefined;
    const node: Node = {
      unique_id: `${kind}.${this.pkg}.${name}`,
      resource_type: kind,
      name,
      package_name: this.pkg,
      original_file_path: f.file,
      path: f.relPath,
      fqn: [this.pkg, ...f.relPath.split('/').slice(0, -1), name],
      config: { materialized: kind === 'model' ? 'view' : kind, tags: [], enabled: true },
      description: yaml?.description ?? '',
      columns: columnsOf(yaml?.columns ?? []),
      raw_code: f.text,
      depends_on: { nodes: [], macros: [] },
    };
    const prior = this.byName.get(name);
    if (prior) {
      this.errors.push(new SparkifyError(`two nodes are named '${name}': ${prior.original_file_path} and ${f.file}`, {
        location: { file: f.file, line: 1, column: 0 },
        hint: 'Model, seed and snapshot names are unique in a project (ref finds them by name): rename one of them.',
      }));
      return undefined;
    }
    this.byName.set(name, node);
    return node;
  }

  private model(f: ProjectFile): Pending | undefined {
    const name = path.basename(f.file, '.sql');
    const node = this.buildable('model', f, name);
    if (!node) return undefined;
    const r = this.attempt(() => this.engine.renderVariants(f.file, f.text));
    const p: Pending = { node, ...(r ? { plain: r.plain, incremental: r.incremental ?? r.plain } : {}) };
    this.pending.set(node.unique_id, p);
    return p;
  }

  private seed(f: ProjectFile): Pending | undefined {
    const node = this.buildable('seed', f, path.basename(f.file, '.csv'));
    if (!node) return undefined;
    const p: Pending = { node };
    this.pending.set(node.unique_id, p);
    return p;
  }

  /**
   * Snapshots: snapshots/<name>.sql files (the body is the select they record) and, as dbt 1.9 declares them,
   * YAML entries under `snapshots:` with a `relation` (ref('x') or source('a', 'b')): they record `select *` of it.
   */
  private snapshots(): Pending[] {
    const out: Pending[] = [];
    for (const f of this.project.snapshots) {
      const node = this.buildable('snapshot', f, path.basename(f.file, '.sql'));
      if (!node) continue;
      const plain = this.attempt(() => this.engine.render(f.file, f.text));
      const p: Pending = { node, ...(plain ? { plain } : {}) };
      this.pending.set(node.unique_id, p);
      out.push(p);
    }
    for (const y of this.yamlEntries.values()) {
      if (y.kind !== 'snapshots' || y.entry.relation === undefined) continue;
      const location = y.locate(['relation']);
      const rel = this.attempt(() => parseSnapshotRelation(y.entry.relation!, location));
      const raw = rel ? (rel.kind === 'ref' ? `select * from {{ref "${rel.name}"}}` : `select * from {{source "${rel.source}" "${rel.table}"}}`) : '';
      const node = this.buildable('snapshot', { file: y.file, relPath: y.relPath, text: raw }, y.entry.name);
      if (!node) continue;
      const plain: Rendered | undefined = rel && {
        sql: `select * from ${rel.kind === 'ref' ? placeholder.ref(rel.name) : placeholder.source(rel.source, rel.table)}`,
        refs: rel.kind === 'ref' ? [{ name: rel.name, location }] : [],
        sources: rel.kind === 'source' ? [{ source: rel.source, table: rel.table, location }] : [],
        config: {},
        configKeys: {},
        usesIsIncremental: false,
      };
      const p: Pending = { node, ...(plain ? { plain } : {}) };
      this.pending.set(node.unique_id, p);
      out.push(p);
    }
    return out;
  }

  /** Layers general to specific: project.yml's resource paths, the schema YAML, the file's own {{config}}. */
  private configure(kind: 'model' | 'seed' | 'test' | 'snapshot', items: Pending[]): void {
    const section = `${kind}s` as const;
    const resources: TreeResource[] = items.map((p) => ({ id: p.node.unique_id, path: p.node.fqn.slice(1) }));
    const tree = treeLayers(this.project.config[section], section, this.pkg, resources, (sub) => this.project.projectYaml.locate([section, ...sub]));
    this.errors.push(...tree.errors);
    for (const p of items) {
      const layers: ConfigLayer[] = [...tree.layers.get(p.node.unique_id)!];
      if (kind !== 'test') {
        const y = this.yamlEntries.get(p.node.name);
        if (y && y.kind === section) layers.push({ values: y.entry.config, locate: (raw) => y.locate(['config', raw]) });
      }
      const own = p.plain;
      if (own && Object.keys(own.config).length) {
        // A file's own {{config}}; for a generic test, its definition's, which the YAML's config overrides.
        const fallback = own.configLocation ?? { file: p.node.original_file_path, line: 1, column: 0 };
        layers.push({ values: own.config, locate: (raw) => own.configKeys[raw] ?? fallback });
      }
      if (kind === 'test' && p.node.test_metadata) layers.push({ values: p.testConfig ?? {}, locate: p.configAt! });
      // Where a key that is missing altogether is reported: the YAML entry's config, else the file's {{config}}.
      const y = kind === 'snapshot' ? this.yamlEntries.get(p.node.name) : undefined;
      const origin = y?.kind === 'snapshots' ? y.locate(['config']) : (own?.configLocation ?? { file: p.node.original_file_path, line: 1, column: 0 });
      const { config, errors, itemLocations } = resolveConfig(kind, layers, origin);
      this.errors.push(...errors);
      if (config.pre_hook || config.post_hook) p.hooks = this.renderHooks(config, itemLocations);
      if (kind === 'test') config.tags = [...new Set([...(this.parentOf(p.node)?.config.tags ?? []), ...config.tags])];
      if (kind === 'test' && !p.node.test_metadata && config.where !== undefined) {
        this.errors.push(new SparkifyError("'where' filters the model a generic test checks; a singular test writes its own where clause", {
          location: p.plain?.configKeys.where ?? { file: p.node.original_file_path, line: 1, column: 0 },
          hint: 'Put the condition in the test query instead.',
        }));
      }
      p.node.config = config;
      if (p.tested && p.plain) p.plain.sql = p.plain.sql.split(MODEL_MARK).join(testedRelation(p.tested, config.where));
      // `description` in config is the node's description (the most specific layer wins, as for every key).
      if (config.description !== undefined) p.node.description = config.description;
      // An ephemeral model builds nothing, so it has no relation: refs to it become a CTE.
      if (kind !== 'test' && config.materialized !== 'ephemeral') {
        const schema = this.attempt(() => this.schemaFor(p.node, config.schema));
        if (schema !== undefined) p.node.relation = { schema, identifier: config.alias ?? p.node.name };
      } else if (kind === 'test' && (config.store_failures_as ? config.store_failures_as !== 'ephemeral' : config.store_failures === true)) {
        // dbt's store_failures: the failing rows become a table (or view) named after the test in the audit
        // schema; store_failures_as wins over store_failures, and `ephemeral` stores nothing.
        p.node.relation = { schema: `${this.env.target.schema}_dbt_test__audit`, identifier: p.node.name };
      }
    }
  }

  /**
   * dbt's generate_schema_name: the target's schema, or `<target schema>_<custom>` for a node whose config
   * sets `schema` — unless the project has a generate_schema_name macro (macros/generate_schema_name.sql,
   * or a macros/*.js helper), whose output (trimmed) is the schema.
   */
  private schemaFor(node: Node, custom: string | undefined): string {
    const macro = this.engine.callMacro('generate_schema_name', {
      custom_schema_name: custom?.trim() ?? null,
      node: { name: node.name, resource_type: node.resource_type, fqn: node.fqn, original_file_path: node.original_file_path },
    });
    if (!macro) return custom?.trim() ? `${this.env.target.schema}_${custom.trim()}` : this.env.target.schema;
    const schema = macro.value.trim();
    if (!schema) {
      throw new SparkifyError(`generate_schema_name returned nothing for ${node.name}${custom ? ` (custom schema '${custom}')` : ''}`, {
        location: { file: macro.file, line: 1, column: 0 },
        hint: 'It must output the schema name for every node: fall back to {{target.schema}} when custom_schema_name is empty.',
      });
    }
    return schema;
  }

  /** on-run-start / on-run-end: templates of project.yml (target, vars, env, refs; no {{this}}). */
  private projectHooks(key: 'on-run-start' | 'on-run-end'): CompiledHook[] {
    return (this.project.config[key] ?? []).flatMap((text, i) => {
      const written = (this.project.projectYaml.value() as Record<string, unknown>)[key];
      const location = this.project.projectYaml.locate(Array.isArray(written) ? [key, i] : [key]);
      const r = this.attempt(() => this.engine.render(PROJECT_FILE, text, { lineOffset: Math.max(0, location.line - 1) }));
      if (!r) return [];
      const sql = resolvePlaceholders(r.sql, (kind, arg) => {
        const target = kind === 'ref' ? this.byName.get(arg) : kind === 'source' ? this.pending.get(this.sourceIds.get(arg) ?? '')?.node : undefined;
        if (target?.relation) return this.relationName(target);
        this.errors.push(new SparkifyError(kind === 'this' ? `${key} hooks run for the whole project: {{this}} names nothing there` : `${key}: ${kind} '${arg}' names no model, seed or source with a relation`, { location }));
        return `<unresolved ${kind} ${arg}>`;
      });
      return [{ sql, transaction: false, location }];
    });
  }

  /** Hooks are templates too: rendered now, each reported at the line that wrote it. */
  private renderHooks(config: NodeConfig, at: Map<string, SourceLocation[]>): Pending['hooks'] {
    const side = (key: 'pre_hook' | 'post_hook'): NonNullable<Pending['hooks']>['pre'] =>
      (config[key] ?? []).flatMap((h, i) => {
        const location = at.get(key)?.[i] ?? { file: PROJECT_FILE, line: 1, column: 0 };
        const rendered = this.attempt(() => this.engine.render(location.file, h.sql, { lineOffset: Math.max(0, location.line - 1) }));
        return rendered ? [{ rendered, transaction: h.transaction, location }] : [];
      });
    return { pre: side('pre_hook'), post: side('post_hook') };
  }

  private parentOf(n: Node): Node | undefined {
    return n.attached_node ? this.pending.get(n.attached_node)?.node : undefined;
  }

  /** Only models that can run incrementally keep an incremental rendering. */
  private renderIncremental(p: Pending): void {
    if (p.plain && p.node.config.materialized !== 'incremental' && !p.plain.usesIsIncremental) delete p.incremental;
  }

  /** YAML entries must describe something that exists. */
  private checkYamlTargets(): void {
    for (const [name, y] of this.yamlEntries) {
      const node = this.byName.get(name);
      const expected = ({ models: 'model', seeds: 'seed', snapshots: 'snapshot' } as const)[y.kind];
      if (node && node.resource_type === expected) continue;
      const names = [...this.byName.values()].filter((n) => n.resource_type === expected).map((n) => n.name);
      this.errors.push(new SparkifyError(`${y.file} describes ${expected} '${name}', which does not exist`, {
        location: y.locate(['name']),
        hint:
          didYouMean(name, names) ||
          (expected === 'snapshot' ? `Add relation: ref('model') to the entry, or snapshots/${name}.sql.` : `Add ${y.kind}/${name}.${expected === 'seed' ? 'csv' : 'sql'} or remove the entry.`),
      }));
    }
  }

  /** Two nodes that would build the same relation would overwrite each other. */
  private checkRelations(items: Pending[]): void {
    const seen = new Map<string, Node>();
    for (const { node } of items) {
      if (!node.relation || !node.config.enabled) continue;
      const key = this.relationName(node);
      const prior = seen.get(key);
      if (!prior) {
        seen.set(key, node);
        continue;
      }
      this.errors.push(new SparkifyError(`${prior.resource_type} ${prior.name} (${prior.original_file_path}) and ${node.resource_type} ${node.name} (${node.original_file_path}) would both build ${key}`, {
        location: { file: node.original_file_path, line: 1, column: 0 },
        hint: 'Give one of them another alias (or schema): each relation is built by one node.',
      }));
    }
  }

  private sources(): void {
    for (const s of this.project.schemas) {
      s.content.sources.forEach((src, si) => {
        src.tables.forEach((t, ti) => {
          const id = `source.${this.pkg}.${src.name}.${t.name}`;
          this.sourceIds.set(`${src.name}.${t.name}`, id);
          const node: Node = {
            unique_id: id,
            resource_type: 'source',
            name: t.name,
            source_name: src.name,
            package_name: this.pkg,
            original_file_path: s.yaml.file,
            path: s.yaml.file,
            fqn: [this.pkg, src.name, t.name],
            config: { materialized: 'view', tags: [], enabled: true },
            description: t.description,
            columns: columnsOf(t.columns),
            raw_code: '',
            depends_on: { nodes: [], macros: [] },
            relation: { schema: src.schema ?? src.name, identifier: t.identifier ?? t.name },
          };
          this.pending.set(id, { node });
        });
      });
    }
  }

  /** Generic tests by name: the built-ins, then the project's tests/generic/ (a later one replaces an earlier one). */
  private genericDefs(): Map<string, GenericTestDef> {
    if (this.defs) return this.defs;
    this.defs = new Map();
    const macroNames = new Map(this.project.macros.filter((m) => !this.project.genericTests.includes(m)).map((m) => [path.basename(m.file).replace(/\.(sql|js|mjs)$/, ''), m.file]));
    for (const f of this.project.genericTests) {
      const def = this.attempt(() => parseGenericTest(f));
      if (!def) {
        this.brokenDefs.add(path.basename(f.file, '.sql'));
        continue;
      }
      const macro = macroNames.get(def.name);
      if (macro && macro.endsWith('.sql')) {
        this.errors.push(new SparkifyError(`${macro} has the name of the generic test ${def.name} (${f.file})`, {
          location: { file: macro, line: 1, column: 0 },
          hint: 'A generic test is a partial too, so the names clash: rename the macro (or, to replace the test, move it to tests/generic/).',
        }));
      }
      this.defs.set(def.name, def);
    }
    return this.defs;
  }

  /** Generic tests declared in YAML, on the columns of models, seeds and sources, and on those themselves. */
  private yamlTests(): Pending[] {
    const out: Pending[] = [];
    for (const s of this.project.schemas) {
      s.content.sources.forEach((src, si) => {
        src.tables.forEach((t, ti) => {
          const locate = (sub: (string | number)[]): SourceLocation => s.yaml.locate(['sources', si, 'tables', ti, ...sub]);
          out.push(...this.testsOf({ kind: 'source', source: src.name, table: t.name }, `source.${this.pkg}.${src.name}.${t.name}`, t.columns, t.tests ?? t.data_tests ?? [], t.tests ? 'tests' : 'data_tests', locate));
        });
      });
      for (const kind of ['models', 'seeds', 'snapshots'] as const) {
        s.content[kind].forEach((m, mi) => {
          const locate = (sub: (string | number)[]): SourceLocation => s.yaml.locate([kind, mi, ...sub]);
          const attached = `${kind.slice(0, -1)}.${this.pkg}.${m.name}`;
          out.push(...this.testsOf({ kind: 'ref', name: m.name }, attached, m.columns, m.tests ?? m.data_tests ?? [], m.tests ? 'tests' : 'data_tests', locate));
        });
      }
    }
    return out;
  }

  private testsOf(
    model: TestTarget,
    attached: string,
    columns: ColumnYaml[],
    modelTests: TestEntry[],
    modelField: 'tests' | 'data_tests',
    locate: (sub: (string | number)[]) => SourceLocation,
  ): Pending[] {
    const entries: { entry: TestEntry; column?: ColumnYaml; at: (string | number)[] }[] = [];
    columns.forEach((c, ci) => {
      const key = model.kind === 'ref' ? model.name : `${model.source}.${model.table}`;
      this.origins.columns.set(`${key}.${c.name}`, locate(['columns', ci, 'name']));
      const field = c.tests ? 'tests' : 'data_tests';
      (c.tests ?? c.data_tests ?? []).forEach((entry, ti) => entries.push({ entry, column: c, at: ['columns', ci, field, ti] }));
    });
    modelTests.forEach((entry, ti) => entries.push({ entry, at: [modelField, ti] }));
    const out: Pending[] = [];
    const defs = this.genericDefs();
    for (const { entry, column, at } of entries) {
      const location = locate(at);
      const { test, args, name, argsPath } = testEntryParts(entry);
      const { kwargs, config } = splitTestArgs(args);
      const def = defs.get(test);
      if (!def) {
        if (this.brokenDefs.has(test)) continue;
        this.errors.push(new SparkifyError(`unknown test '${test}'`, {
          location,
          hint: `${didYouMean(test, defs.keys()) || `Generic tests are ${[...defs.keys()].join(', ')}`}. A custom generic test is tests/generic/${test}.sql; a one-off check is a singular test in tests/*.sql.`,
        }));
        continue;
      }
      const plan = this.attempt(() =>
        planGenericTest({ def, target: model, ...(column ? { column: { name: column.name, ...(column.quote === undefined ? {} : { quote: column.quote }) } } : {}), kwargs, ...(name ? { name } : {}), location, quote: (id) => this.dialect.quote(id) }),
      );
      if (!plan) continue;
      const id = `test.${this.pkg}.${plan.name}`;
      if (this.pending.has(id)) {
        this.errors.push(new SparkifyError(`test '${plan.name}' is declared twice`, { location, hint: 'Remove the duplicate, or give one of them its own name: (name: my_test_name).' }));
        continue;
      }
      // The call is rendered where the YAML declares the test: errors inside the generic test name its file
      // and line, "included from" the YAML line.
      const rendered = this.attempt(() => renderAt(this.engine, location, plan.call));
      if (!rendered) continue;
      rendered.refs.push(...plan.refs.map((r) => ({ name: r, location })));
      rendered.sources.push(...plan.sources.map((x) => ({ ...x, location })));
      this.origins.tests.set(id, location);
      const parent = this.pending.get(attached)?.node;
      const node: Node = {
        unique_id: id,
        resource_type: 'test',
        name: plan.name,
        package_name: this.pkg,
        original_file_path: location.file,
        path: location.file,
        fqn: [this.pkg, ...(parent?.fqn.slice(1, -1) ?? []), plan.name],
        config: { materialized: 'test', tags: [], enabled: true },
        description: '',
        columns: {},
        // The call as a reader would write it: relations as ref('m') / source('s', 't').
        raw_code: resolvePlaceholders(plan.call.split(MODEL_MARK).join(model.kind === 'ref' ? placeholder.ref(model.name) : placeholder.source(model.source, model.table)), (kind, arg) =>
          kind === 'ref' ? `ref('${arg}')` : kind === 'source' ? `source('${arg.split('.').join("', '")}')` : 'this',
        ),
        depends_on: { nodes: [], macros: [] },
        attached_node: attached,
        test_metadata: { name: test, ...(column ? { column_name: column.name } : {}), kwargs },
      };
      const underConfig = isRecord(args.config) ? args.config : {};
      const configAt = (raw: string): SourceLocation => locate([...at, ...argsPath, ...(raw in underConfig ? ['config'] : []), raw]);
      const p: Pending = { node, plain: rendered, testConfig: config, configAt, tested: model };
      this.pending.set(id, p);
      out.push(p);
    }
    return out;
  }

  /** Singular tests: tests/*.sql returning failing rows. */
  private singular(f: ProjectFile): Pending | undefined {
    const name = path.basename(f.file, '.sql');
    const plain = this.attempt(() => this.engine.render(f.file, f.text));
    const node: Node = {
      unique_id: `test.${this.pkg}.${name}`,
      resource_type: 'test',
      name,
      package_name: this.pkg,
      original_file_path: f.file,
      path: f.relPath,
      fqn: [this.pkg, ...f.relPath.split('/').slice(0, -1), name],
      config: { materialized: 'test', tags: [], enabled: true },
      description: '',
      columns: {},
      raw_code: f.text,
      depends_on: { nodes: [], macros: [] },
    };
    const p: Pending = { node, ...(plain ? { plain } : {}) };
    this.pending.set(node.unique_id, p);
    return p;
  }

  private relationName(n: Node): string {
    return this.dialect.relation(n.relation!);
  }

  /** References become edges; placeholders become relation names; the checksum covers everything the node runs. */
  private resolve(p: Pending): void {
    const { node } = p;
    const deps = new Set<string>();
    const refTo = (name: string, location: SourceLocation): Node | undefined => {
      const target = this.byName.get(name);
      if (!target) {
        this.errors.push(new SparkifyError(`ref '${name}' does not match any model or seed`, {
          location,
          hint: didYouMean(name, this.byName.keys()) || `Create models/.../${name}.sql, or fix the name.`,
        }));
        return undefined;
      }
      deps.add(target.unique_id);
      return target;
    };
    const sourceTo = (key: string, location: SourceLocation): Node | undefined => {
      const id = this.sourceIds.get(key);
      if (!id) {
        this.errors.push(new SparkifyError(`source '${key}' is not declared`, {
          location,
          hint: didYouMean(key, this.sourceIds.keys()) || 'Declare it under sources: in a schema YAML file beside the models.',
        }));
        return undefined;
      }
      deps.add(id);
      return this.pending.get(id)!.node;
    };
    const resolveOne = (kind: 'ref' | 'source' | 'this', arg: string): string => {
        const target = kind === 'this' ? node : kind === 'ref' ? this.byName.get(arg) : this.pending.get(this.sourceIds.get(arg) ?? '')?.node;
        if (kind === 'ref' && target?.config.materialized === 'ephemeral') {
          (p.ephemerals ??= new Set()).add(target.unique_id);
          return this.dialect.quote(cteName(target.name));
        }
        if (kind === 'this' && node.config.materialized === 'ephemeral') {
          this.errors.push(new SparkifyError(`${node.name} is ephemeral: it builds no relation, so {{this}} names nothing`, {
            location: { file: node.original_file_path, line: 1, column: 0 },
            hint: 'Materialize it as a view or table to refer to its own relation, or remove {{this}}.',
          }));
        }
        return target?.relation ? this.relationName(target) : `<unresolved ${kind} ${arg}>`;
    };
    const sql = (text: string): string => resolvePlaceholders(text, resolveOne);
    if (p.plain && node.config.incremental_strategy === 'microbatch') {
      // Inputs that declare event_time are read for the batch's window only (dbt's automatic filtering).
      const inputs: { relation: string; column: string }[] = [];
      node.compiled_batch_code = resolvePlaceholders(p.plain.sql, (kind, arg, after) => {
        const input = kind === 'ref' ? this.byName.get(arg) : kind === 'source' ? this.pending.get(this.sourceIds.get(arg) ?? '')?.node : undefined;
        if (!input?.config.event_time || !input.relation) return resolveOne(kind, arg);
        const rel = this.relationName(input);
        const col = this.dialect.quote(input.config.event_time);
        if (!inputs.some((i) => i.relation === rel)) inputs.push({ relation: rel, column: col });
        // A subquery in FROM needs an alias before PostgreSQL 16: give it the input's name unless the SQL names it.
        const alias = hasAlias(after()) ? '' : ` as ${this.dialect.quote(input.relation.identifier)}`;
        return `(select * from ${rel} where ${col} >= timestamp '${BATCH_START}' and ${col} < timestamp '${BATCH_END}')${alias}`;
      });
      node.event_time_inputs = inputs;
    }
    if (p.plain) {
      const other = p.incremental && p.incremental !== p.plain ? p.incremental : undefined;
      for (const r of [...p.plain.refs, ...(other?.refs ?? [])]) refTo(r.name, r.location);
      for (const s of [...p.plain.sources, ...(other?.sources ?? [])]) sourceTo(`${s.source}.${s.table}`, s.location);
      node.compiled_code = sql(p.plain.sql);
      if (p.incremental) node.compiled_incremental_code = other ? sql(other.sql) : node.compiled_code;
    } else if (node.resource_type === 'seed') {
      node.compiled_code = '';
    }
    if (node.resource_type === 'test' && node.config.limit !== undefined && node.compiled_code !== undefined) {
      // dbt's `limit`: at most that many failing rows are counted (and shown).
      node.compiled_code = `select * from (\n${node.compiled_code}\n) as sparkify_limited limit ${node.config.limit}`;
    }
    if (p.hooks) {
      const compiled = (side: 'pre' | 'post'): CompiledHook[] => p.hooks![side].map((h) => ({ sql: sql(h.rendered.sql), transaction: h.transaction, location: h.location }));
      node.hooks = { pre: compiled('pre'), post: compiled('post') };
    }
    node.depends_on.nodes = [...deps].sort();
    node.checksum = checksum(node);
  }

  /** Every query that refs an ephemeral model (directly or through others) gets their CTEs, innermost first. */
  private inlineEphemerals(): void {
    const users = [...this.pending.values()].filter((p) => p.ephemerals);
    if (!users.length) return;
    // The CTE of an ephemeral is its own SQL before its CTEs are hoisted next to it.
    const bare = new Map(users.map((p) => [p.node.unique_id, p.node.compiled_code ?? '']));
    for (const p of users) {
      const order: string[] = [];
      const seen = new Set<string>();
      const visit = (id: string): void => {
        if (seen.has(id)) return;
        seen.add(id); // a cycle is reported by the DAG order
        for (const dep of this.pending.get(id)?.ephemerals ?? []) visit(dep);
        order.push(id);
      };
      for (const id of p.ephemerals!) visit(id);
      const ctes = order.map((id) => {
        const e = this.pending.get(id)!.node;
        return { name: this.dialect.quote(cteName(e.name)), sql: bare.get(id) ?? e.compiled_code ?? '' };
      });
      const n = p.node;
      if (n.compiled_code !== undefined) n.compiled_code = injectCtes(n.compiled_code, ctes);
      if (n.compiled_incremental_code !== undefined) n.compiled_incremental_code = injectCtes(n.compiled_incremental_code, ctes);
      if (n.compiled_batch_code !== undefined) n.compiled_batch_code = injectCtes(n.compiled_batch_code, ctes);
      n.checksum = checksum(n);
    }
  }

  private manifest(): Manifest {
    const nodes = new Map<string, Node>();
    for (const [id, p] of this.pending) nodes.set(id, p.node);
    // Disabled nodes vanish, and so do tests of disabled nodes.
    for (const [id, n] of nodes) if (!n.config.enabled) nodes.delete(id);
    for (const [id, n] of nodes) {
      const missing = n.depends_on.nodes.find((d) => !nodes.has(d));
      if (!missing) continue;
      if (n.resource_type === 'test') nodes.delete(id);
      else {
        this.errors.push(new SparkifyError(`${n.name} depends on ${missing}, which is disabled`, {
          location: { file: n.original_file_path, line: 1, column: 0 },
          hint: 'Enable it again, or remove the reference.',
        }));
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
        if (!nodes.has(d)) continue;
        parent_map.get(n.unique_id)!.push(d);
        child_map.get(d)!.push(n.unique_id);
      }
    }
    return { project_name: this.pkg, nodes, parent_map, child_map };
  }
}

/** What a node runs: its text as written, every rendering, and its typed config. `state:modified` compares it. */
function checksum(n: Node): string {
  const h = createHash('sha256');
  const hooks = n.hooks ? JSON.stringify([n.hooks.pre.map((x) => x.sql), n.hooks.post.map((x) => x.sql)]) : '';
  for (const part of [n.raw_code, n.compiled_code ?? '', n.compiled_incremental_code ?? '', n.compiled_batch_code ?? '', JSON.stringify(n.config), hooks]) h.update(part).update('\0');
  return h.digest('hex').slice(0, 20);
}

/** A YAML test entry: `unique`, `{unique: {args}}`, or dbt's `{name: x, test_name: unique, ...args}`. */
function testEntryParts(entry: TestEntry): { test: string; args: Record<string, unknown>; name?: string; argsPath: string[] } {
  if (typeof entry === 'string') return { test: entry, args: {}, argsPath: [] };
  if (typeof entry.test_name === 'string') {
    const { test_name, name, ...args } = entry;
    return { test: test_name, args, argsPath: [], ...(typeof name === 'string' ? { name } : {}) };
  }
  const [test, raw] = Object.entries(entry)[0]!;
  const { name, ...args } = isRecord(raw) ? raw : {};
  return { test, args, argsPath: [test], ...(typeof name === 'string' ? { name } : {}) };
}

/** A generic test's `{{model}}`: the relation, or with `where` dbt's subquery of the rows it tests. */
function testedRelation(t: TestTarget, where: string | undefined): string {
  const rel = t.kind === 'ref' ? placeholder.ref(t.name) : placeholder.source(t.source, t.table);
  return where?.trim() ? `(select * from ${rel} where ${where}) dbt_subquery` : rel;
}

/** dbt's test config keys, which may sit beside the arguments as well as under `config:`. */
const TEST_CONFIG_ARGS = ['severity', 'tags', 'enabled', 'where', 'limit', 'warn_if', 'error_if', 'fail_calc', 'store_failures', 'store_failures_as', 'meta', 'database', 'schema', 'alias'];

// What may follow a table in FROM without being its alias.
const NOT_ALIASES = new Set(['where', 'group', 'order', 'having', 'limit', 'offset', 'union', 'intersect', 'except', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'window', 'fetch', 'for', 'lateral', 'tablesample', 'returning', 'into', 'select', 'from', 'with']);

/** Does the SQL after a table name start with an alias (`as x`, or a name that is not a keyword)? */
function hasAlias(after: string): boolean {
  const m = /^\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/.exec(after.replace(/^\s*(--[^\n]*\n\s*)*/, ''));
  if (!m) return false;
  const word = m[1]!;
  return word.startsWith('"') || word.toLowerCase() === 'as' || !NOT_ALIASES.has(word.toLowerCase());
}

/**
 * A generic test's YAML arguments: the test's own (values, to, field, ...), under `arguments:` (dbt 1.10) or
 * beside it, and its config, under `config:` or beside the arguments (dbt allows both places).
 */
function splitTestArgs(args: Record<string, unknown>): { kwargs: Record<string, unknown>; config: Record<string, unknown> } {
  const kwargs: Record<string, unknown> = { ...args, ...(isRecord(args.arguments) ? args.arguments : {}) };
  const config: Record<string, unknown> = { ...(isRecord(kwargs.config) ? kwargs.config : {}) };
  delete kwargs.config;
  delete kwargs.arguments;
  for (const k of TEST_CONFIG_ARGS) {
    if (k in kwargs && !(isRecord(args.arguments) && k in args.arguments)) {
      config[k] = kwargs[k];
      delete kwargs[k];
    }
  }
  return { kwargs, config };
}

/**
 * Render a generic test's call as if written at the YAML test entry: the call is one line, so what the
 * engine reports at its line 1 (the call itself, or the site a generic test's file is included from) is
 * the entry's location. The location stays lazy (the YAML's positions are worked out only when read).
 */
function renderAt(engine: TemplateEngine, at: SourceLocation, call: string): Rendered {
  const remap = (l: SourceLocation): SourceLocation => {
    if (l.file === at.file && l.line === 1) return at;
    return l.includedFrom ? { file: l.file, line: l.line, column: l.column, includedFrom: remap(l.includedFrom) } : l;
  };
  try {
    const r = engine.render(at.file, call);
    for (const x of [...r.refs, ...r.sources]) x.location = remap(x.location);
    if (r.configLocation) r.configLocation = remap(r.configLocation);
    return r;
  } catch (err) {
    if (!(err instanceof SparkifyError) || !err.location) throw err;
    throw new SparkifyError(err.message, { location: remap(err.location), ...(err.hint ? { hint: err.hint } : {}), exitCode: err.exitCode });
  }
}

function columnsOf(cols: ColumnYaml[]): Record<string, ColumnInfo> {
  const out: Record<string, ColumnInfo> = {};
  for (const c of cols) out[c.name] = { name: c.name, description: c.description, ...(c.data_type ? { data_type: c.data_type } : {}) };
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


/** Resolve ref/source/this placeholders in SQL rendered outside compile (`show --inline`). */
export function resolveSql(manifest: Manifest, node: Pick<Node, 'name' | 'original_file_path' | 'relation'>, sql: string, dialect: Dialect): string {
  const rel = (n: Pick<Node, 'relation'> | undefined, what: string): string => {
    if (!n?.relation) throw new SparkifyError(`${node.name}: cannot resolve ${what}`, { location: { file: node.original_file_path, line: 1, column: 0 } });
    return dialect.relation(n.relation);
  };
  const all = [...manifest.nodes.values()];
  const ctes: { name: string; sql: string }[] = [];
  const resolved = resolvePlaceholders(sql, (kind, arg) => {
    if (kind === 'this') return rel(node, 'this');
    if (kind === 'ref') {
      const target = all.find((n) => (n.resource_type === 'model' || n.resource_type === 'seed' || n.resource_type === 'snapshot') && n.name === arg);
      if (target?.config.materialized === 'ephemeral') {
        const name = dialect.quote(cteName(target.name));
        // Its compiled SQL carries the CTEs of the ephemerals it refs itself.
        if (!ctes.some((c) => c.name === name)) ctes.push({ name, sql: target.compiled_code ?? '' });
        return name;
      }
      return rel(target, `ref '${arg}'`);
    }
    return rel(all.find((n) => n.resource_type === 'source' && `${n.source_name}.${n.name}` === arg), `source '${arg}'`);
  });
  return injectCtes(resolved, ctes);
}
