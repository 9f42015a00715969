import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { SparkifyError } from '../core/errors.js';
import type { ProjectFile } from '../project/load.js';
import { HandlebarsEvaluator, parseTemplate, type CompiledTemplate, type PartialSite } from './evaluate.js';
import type { SourceLocation } from '../core/location.js';

/**
 * The Handlebars environment models are rendered in. Rendering is pure: `ref`, `source` and `this` leave
 * placeholders that compile resolves once every node's relation is known (so one render serves both
 * dependency discovery and the final SQL).
 */

export interface TargetInfo {
  name: string;
  type: string;
  schema: string;
}

export interface RenderEnv {
  projectName: string;
  target: TargetInfo;
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

export interface RefCall { name: string; location: SourceLocation }
export interface SourceCall { source: string; table: string; location: SourceLocation }

export interface Rendered {
  /** SQL with placeholders for ref/source/this; see resolvePlaceholders. */
  sql: string;
  refs: RefCall[];
  sources: SourceCall[];
  config: Record<string, unknown>;
  configLocation?: SourceLocation;
  /** Where each key of the file's own {{config}} calls is written. */
  configKeys: Record<string, SourceLocation>;
  usesIsIncremental: boolean;
}

// Placeholders use control characters that cannot appear in a model's SQL.
const MARK = '\u0001';
export const placeholder = {
  ref: (name: string) => `${MARK}ref:${name}${MARK}`,
  source: (source: string, table: string) => `${MARK}source:${source}.${table}${MARK}`,
  this: `${MARK}this${MARK}`,
};
const PLACEHOLDER_RE = /\u0001(ref|source|this):?([^\u0001]*)\u0001/g;

/** Replace each placeholder by what `resolve` says; `after` is the SQL that follows it (to see an alias). */
export function resolvePlaceholders(sql: string, resolve: (kind: 'ref' | 'source' | 'this', arg: string, after: () => string) => string): string {
  return sql.replace(PLACEHOLDER_RE, (m: string, kind: 'ref' | 'source' | 'this', arg: string, offset: number) => resolve(kind, arg, () => sql.slice(offset + m.length)));
}

interface RenderState {
  file: string;
  lineOffset: number;
  isIncremental: boolean;
  out: Rendered;
  /** The partials being rendered, innermost last: each macro file and the `{{> }}` that included it. */
  includes: { file: string; includedFrom: SourceLocation }[];
}

/**
 * Where an error that is not a SparkifyError was thrown inside a partial: the innermost file being rendered
 * (its line comes from the error, a Handlebars exception's lineNumber), and the `{{> }}` site to report
 * when the error has no line. Recorded by the innermost partial the error leaves.
 */
interface ErrorOrigin {
  file: string;
  includedFrom?: SourceLocation;
  site: SourceLocation;
}

type HelperOptions = Handlebars.HelperOptions & { loc?: { start: { line: number; column: number } }; name?: string };

/** The root context: `{{this}}` renders the model's own relation; `{{target.name}}` etc. resolve on it. */
class ModelContext {
  constructor(
    readonly target: TargetInfo,
    readonly project_name: string,
  ) {}
  toString(): string {
    return placeholder.this;
  }
}

export class TemplateEngine {
  private readonly hb: typeof Handlebars;
  private state: RenderState | undefined;
  private readonly context: ModelContext;
  private readonly evaluator: HandlebarsEvaluator;
  /** Partial name -> its macros/*.sql file. */
  private readonly partialFiles = new Map<string, string>();
  /** Helpers the project's macros/*.js export -> their file. */
  private readonly projectHelpers = new Map<string, string>();
  private readonly errorOrigins = new WeakMap<object, ErrorOrigin>();

  private constructor(private readonly renderEnv: RenderEnv) {
    this.hb = Handlebars.create();
    this.evaluator = new HandlebarsEvaluator(this.hb, (name, site, invoke) => this.inPartial(name, site, invoke));
    this.context = new ModelContext(renderEnv.target, renderEnv.projectName);
    this.registerBuiltins();
  }

  /** Build the environment with the project's macros: `macros/*.sql` are partials, `macros/*.js` export helpers. */
  static async create(renderEnv: RenderEnv, macros: ProjectFile[], projectDir: string): Promise<TemplateEngine> {
    const engine = new TemplateEngine(renderEnv);
    for (const m of macros) {
      const name = path.basename(m.file).replace(/\.(sql|js|mjs)$/, '');
      if (m.file.endsWith('.sql')) {
        const ast = engine.checkSyntax(m.file, m.text);
        engine.hb.registerPartial(name, m.text);
        engine.partialFiles.set(name, m.file);
        engine.evaluator.addPartialSource(m.text, ast);
      } else {
        let mod: Record<string, unknown>;
        try {
          mod = (await import(pathToFileURL(path.join(projectDir, m.file)).href)) as Record<string, unknown>;
        } catch (err) {
          throw new SparkifyError(`could not load macro module: ${(err as Error).message}`, {
            location: { file: m.file, line: 1, column: 0 },
            hint: 'A macros/*.js file is an ES module whose exported functions become Handlebars helpers.',
          });
        }
        const helpers = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Record<string, unknown>;
        for (const [helperName, fn] of Object.entries(helpers)) {
          if (typeof fn === 'function') {
            engine.hb.registerHelper(helperName, fn as Handlebars.HelperDelegate);
            engine.projectHelpers.set(helperName, m.file);
          }
        }
      }
    }
    return engine;
  }

  /**
   * A project macro called by name, as dbt calls generate_schema_name: a macros/<name>.sql partial rendered
   * with `args` (and target, project_name) as its context, or a macros/*.js helper called with the values of
   * `args` in order. Undefined when the project has no macro of that name; errors name the macro's file.
   */
  callMacro(name: string, args: Record<string, unknown>): { value: string; file: string } | undefined {
    const file = this.partialFiles.get(name) ?? this.projectHelpers.get(name);
    if (!file) return undefined;
    const text = this.partialFiles.has(name) ? `{{> ${name}}}` : `{{${name} ${Object.keys(args).join(' ')}}}`;
    const out: Rendered = { sql: '', refs: [], sources: [], config: {}, configKeys: {}, usesIsIncremental: false };
    this.state = { file, lineOffset: 0, isIncremental: false, out, includes: [] };
    try {
      return { value: String(this.template(file, text).run({ ...args, target: this.renderEnv.target, project_name: this.renderEnv.projectName })), file };
    } catch (err) {
      throw this.templateError(file, err);
    } finally {
      this.state = undefined;
    }
  }

  /** Render one model/test file. `lineOffset` is added to reported lines (for templates cut out of a file). */
  render(file: string, text: string, opts: { isIncremental?: boolean; lineOffset?: number } = {}): Rendered {
    return this.renderWith(this.template(file, text), file, opts.isIncremental ?? false, opts.lineOffset ?? 0);
  }

  /**
   * Both variants a model can run with, from one parse: the plain rendering and, when the template calls
   * is_incremental, the rendering where it is true (otherwise the two are the same text, and `incremental`
   * is absent). Nothing is kept after the call, so compiling many models holds no templates.
   */
  renderVariants(file: string, text: string): { plain: Rendered; incremental?: Rendered } {
    const t = this.template(file, text);
    const plain = this.renderWith(t, file, false, 0);
    return plain.usesIsIncremental ? { plain, incremental: this.renderWith(t, file, true, 0) } : { plain };
  }

  private renderWith(t: Template, file: string, isIncremental: boolean, lineOffset: number): Rendered {
    const out: Rendered = { sql: '', refs: [], sources: [], config: {}, configKeys: {}, usesIsIncremental: false };
    this.state = { file, lineOffset, isIncremental, out, includes: [] };
    try {
      out.sql = t.run(this.context);
      for (const [k, at] of Object.entries(t.configKeys)) {
        if (at.path && out.config[k] === undefined) throw unresolvedConfig(file, k, { ...at, path: at.path }, lineOffset);
        out.configKeys[k] = { file, line: at.line + lineOffset, column: at.column };
      }
      return out;
    } catch (err) {
      throw this.templateError(file, err);
    } finally {
      this.state = undefined;
    }
  }

  /**
   * Parse once and evaluate the AST (Handlebars' compile step, JS codegen + new Function, costs ~10x the
   * parse); templates using what the evaluator does not support are compiled by Handlebars as before, with
   * the same options: { noEscape: true, strict: true }. See evaluate.ts.
   */
  private template(file: string, text: string): Template {
    try {
      const ast = this.checkSyntax(file, text);
      return { run: this.evaluator.compile(text, ast), configKeys: configKeys(text, ast) };
    } catch (err) {
      throw this.templateError(file, err);
    }
  }

  private checkSyntax(file: string, text: string): hbs.AST.Program {
    try {
      return parseTemplate(this.hb, text);
    } catch (err) {
      throw this.templateError(file, err);
    }
  }

  private templateError(file: string, err: unknown): SparkifyError {
    if (err instanceof SparkifyError) return err;
    const e = err as Error & { lineNumber?: number; column?: number };
    const origin = typeof err === 'object' && err !== null ? this.errorOrigins.get(err) : undefined;
    const firstLine = e.message.split('\n')[0] ?? '';
    const parse = /Parse error on line (\d+)/.exec(firstLine);
    if (parse) {
      const detail = e.message.split('\n').slice(1).join('\n  ');
      return new SparkifyError(`Handlebars syntax error: ${detail.split('\n').pop()?.trim() ?? firstLine}`, {
        location: { file, line: Number(parse[1]), column: 0 },
        hint: `Check the {{ }} tags near this line (an unclosed block, a missing }} or quote).\n  ${detail}`,
      });
    }
    const msg = firstLine.replace(/ - \d+:\d+$/, '').replace(/ not defined in .*$/, ' is not defined');
    const inFile = origin ? { file: origin.file, ...(origin.includedFrom ? { includedFrom: origin.includedFrom } : {}) } : { file };
    const location = e.lineNumber
      ? { ...inFile, line: e.lineNumber + (origin ? 0 : (this.state?.lineOffset ?? 0)), column: (e.column ?? 0) + 1 }
      : (origin?.site ?? { file, line: 1, column: 0 });
    return new SparkifyError(`template error: ${msg}`, {
      location,
      hint: 'Helpers are ref, source, var, env, config, is_incremental, this, target.* and your macros.',
    });
  }

  /** The file being rendered at a line of it: a partial's own lines, the template's shifted by lineOffset. */
  private at(line: number, column: number): SourceLocation {
    const s = this.state!;
    const inner = s.includes[s.includes.length - 1];
    if (!inner) return { file: s.file, line: line + s.lineOffset, column };
    return { file: inner.file, line, column, includedFrom: inner.includedFrom };
  }

  private where(options: HelperOptions): SourceLocation {
    const start = options.loc?.start;
    return this.at(start?.line ?? 1, (start?.column ?? 0) + 1);
  }

  /** The evaluator's partial hook: tracks which macro file is rendering, and where a failure left it. */
  private inPartial(name: string, site: PartialSite, invoke: () => unknown): unknown {
    const s = this.state;
    if (!s) return invoke();
    const siteLoc = this.at(site.line, site.column);
    const file = this.partialFiles.get(name);
    if (file) s.includes.push({ file, includedFrom: siteLoc });
    try {
      return invoke();
    } catch (err) {
      if (typeof err === 'object' && err !== null && !(err instanceof SparkifyError) && !this.errorOrigins.has(err)) {
        // A missing partial or a failure without a line is reported at the {{> }} that reached it.
        this.errorOrigins.set(err, file ? { file, includedFrom: siteLoc, site: siteLoc } : { file: siteLoc.file, ...(siteLoc.includedFrom ? { includedFrom: siteLoc.includedFrom } : {}), site: siteLoc });
      }
      throw err;
    } finally {
      if (file) s.includes.pop();
    }
  }

  private registerBuiltins(): void {
    const hb = this.hb;
    const self = (): RenderState => {
      if (!this.state) throw new Error('helper called outside render');
      return this.state;
    };
    const args = (a: unknown[]): { params: unknown[]; options: HelperOptions } => ({
      params: a.slice(0, -1),
      options: a[a.length - 1] as HelperOptions,
    });

    hb.registerHelper('ref', (...a: unknown[]) => {
      const { params, options } = args(a);
      const name = params[params.length - 1];
      if (typeof name !== 'string' || params.length < 1 || params.length > 2) {
        throw new SparkifyError('ref takes a model name: {{ref "model_name"}}', { location: this.where(options) });
      }
      self().out.refs.push({ name, location: this.where(options) });
      return placeholder.ref(name);
    });

    hb.registerHelper('source', (...a: unknown[]) => {
      const { params, options } = args(a);
      const [source, table] = params;
      if (typeof source !== 'string' || typeof table !== 'string' || params.length !== 2) {
        throw new SparkifyError('source takes a source name and a table name: {{source "raw" "events"}}', {
          location: this.where(options),
        });
      }
      self().out.sources.push({ source, table, location: this.where(options) });
      return placeholder.source(source, table);
    });

    hb.registerHelper('var', (...a: unknown[]) => {
      const { params, options } = args(a);
      const [name, fallback] = params;
      if (typeof name !== 'string') throw new SparkifyError('var takes a name: {{var "name" default}}', { location: this.where(options) });
      const v = this.renderEnv.vars[name];
      if (v !== undefined) return v;
      if (params.length > 1) return fallback;
      throw new SparkifyError(`var '${name}' is not defined and has no default`, {
        location: this.where(options),
        hint: `Define it under vars: in project.yml, pass --vars '{"${name}": ...}', or give a default: {{var "${name}" "value"}}.`,
      });
    });

    hb.registerHelper('env', (...a: unknown[]) => {
      const { params, options } = args(a);
      const [name, fallback] = params;
      if (typeof name !== 'string') throw new SparkifyError('env takes a variable name: {{env "NAME" default}}', { location: this.where(options) });
      const v = this.renderEnv.env[name];
      if (v !== undefined) return v;
      if (params.length > 1) return fallback;
      throw new SparkifyError(`environment variable ${name} is not set and has no default`, {
        location: this.where(options),
        hint: `Set ${name}, or give a default: {{env "${name}" "value"}}.`,
      });
    });

    hb.registerHelper('config', (...a: unknown[]) => {
      const { options } = args(a);
      const s = self();
      Object.assign(s.out.config, options.hash as Record<string, unknown>);
      s.out.configLocation ??= this.where(options);
      return '';
    });

    // Lists in {{config}}: unique_key=(list "id" "ts"). Handlebars has no list literal (["id"] is a path).
    hb.registerHelper('list', (...a: unknown[]) => args(a).params);

    hb.registerHelper('is_incremental', () => {
      const s = self();
      s.out.usesIsIncremental = true;
      return s.isIncremental;
    });
  }
}

/** A parsed template: its renderer (the AST evaluator, or hb.compile for what it does not support). */
interface Template {
  run: CompiledTemplate;
  configKeys: Record<string, ConfigKey>;
}

/** Where each key of the {{config}} calls stands, and the path written as its value, if it is one. */
interface ConfigKey {
  line: number;
  column: number;
  /** The value as written, when it is a path (which Handlebars looks up instead of taking literally). */
  path?: string;
}

function configKeys(text: string, ast: hbs.AST.Program): Record<string, ConfigKey> {
  const lines = text.split('\n');
  const source = (loc: hbs.AST.SourceLocation): string =>
    loc.start.line === loc.end.line ? (lines[loc.start.line - 1] ?? '').slice(loc.start.column, loc.end.column) : '';
  const out: Record<string, ConfigKey> = {};
  if (!text.includes('config')) return out;
  const record = (n: { path: hbs.AST.Expression; hash?: hbs.AST.Hash }): void => {
    if ((n.path as hbs.AST.PathExpression).original !== 'config' || !n.hash) return;
    for (const pair of n.hash.pairs) {
      out[pair.key] ??= {
        line: pair.loc.start.line,
        column: pair.loc.start.column + 1,
        ...(pair.value.type === 'PathExpression' ? { path: source(pair.value.loc) || (pair.value as hbs.AST.PathExpression).original } : {}),
      };
    }
  };
  // Statements and the blocks they open; {{config}} is a statement, or a subexpression inside one.
  const visit = (program: hbs.AST.Program | undefined): void => {
    for (const s of program?.body ?? []) {
      if (s.type === 'MustacheStatement' || s.type === 'BlockStatement') {
        const m = s as hbs.AST.MustacheStatement | hbs.AST.BlockStatement;
        record(m);
        for (const p of [...m.params, ...(m.hash?.pairs.map((x) => x.value) ?? [])]) if (p.type === 'SubExpression') record(p as hbs.AST.SubExpression);
        if (s.type === 'BlockStatement') {
          visit((s as hbs.AST.BlockStatement).program);
          visit((s as hbs.AST.BlockStatement).inverse);
        }
      }
    }
  };
  visit(ast);
  return out;
}

/**
 * A config value written as a path that found nothing: Handlebars reads `unique_key=["id"]` or
 * `materialized=table` as a lookup, which yields nothing and would silently drop the key.
 */
function unresolvedConfig(file: string, key: string, k: ConfigKey & { path: string }, lineOffset: number): SparkifyError {
  const written = k.path;
  const list = written.startsWith('[');
  const names = list ? written.slice(1, -1).split(/[\s,]+/).filter(Boolean).map((x) => JSON.stringify(x.replace(/^["']|["']$/g, ''))) : [];
  return new SparkifyError(`config ${key}=${written} is not a value: Handlebars reads it as a path${list ? ', not a list' : ''}, and it names nothing`, {
    location: { file, line: k.line + lineOffset, column: k.column },
    hint: list
      ? `Write a list as ${key}=(list ${names.join(' ') || '"a" "b"'}), or one name as ${key}="name".`
      : `Quote strings: ${key}="${written}"; true, false and numbers are written bare.`,
  });
}
