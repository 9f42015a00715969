import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { SparkifyError } from '../core/errors.js';
import type { ProjectFile } from '../project/load.js';
import { HandlebarsEvaluator, parseTemplate, type CompiledTemplate } from './evaluate.js';
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

export function resolvePlaceholders(sql: string, resolve: (kind: 'ref' | 'source' | 'this', arg: string) => string): string {
  return sql.replace(PLACEHOLDER_RE, (_m, kind: 'ref' | 'source' | 'this', arg: string) => resolve(kind, arg));
}

interface RenderState {
  file: string;
  lineOffset: number;
  isIncremental: boolean;
  out: Rendered;
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
  /** Template text -> its renderer (the AST evaluator, or hb.compile for what it does not support). */
  private readonly cache = new Map<string, { run: CompiledTemplate; configKeys: Record<string, ConfigKey> }>();
  private readonly context: ModelContext;
  private readonly evaluator: HandlebarsEvaluator;

  private constructor(private readonly renderEnv: RenderEnv) {
    this.hb = Handlebars.create();
    this.evaluator = new HandlebarsEvaluator(this.hb);
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
          if (typeof fn === 'function') engine.hb.registerHelper(helperName, fn as Handlebars.HelperDelegate);
        }
      }
    }
    return engine;
  }

  /** Render one model/test file. `lineOffset` is added to reported lines (for templates cut out of a file). */
  render(file: string, text: string, opts: { isIncremental?: boolean; lineOffset?: number } = {}): Rendered {
    const out: Rendered = { sql: '', refs: [], sources: [], config: {}, configKeys: {}, usesIsIncremental: false };
    this.state = { file, lineOffset: opts.lineOffset ?? 0, isIncremental: opts.isIncremental ?? false, out };
    try {
      const t = this.template(file, text);
      out.sql = t.run(this.context);
      for (const [k, at] of Object.entries(t.configKeys)) {
        if (at.path && out.config[k] === undefined) throw unresolvedConfig(file, k, { ...at, path: at.path }, this.state.lineOffset);
        out.configKeys[k] = { file, line: at.line + this.state.lineOffset, column: at.column };
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
  private template(file: string, text: string): { run: CompiledTemplate; configKeys: Record<string, ConfigKey> } {
    let t = this.cache.get(text);
    if (!t) {
      const ast = this.checkSyntax(file, text);
      t = { run: this.evaluator.compile(text, ast), configKeys: configKeys(ast) };
      this.cache.set(text, t);
    }
    return t;
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
    return new SparkifyError(`template error: ${msg}`, {
      location: e.lineNumber ? { file, line: e.lineNumber, column: (e.column ?? 0) + 1 } : { file, line: 1, column: 0 },
      hint: 'Helpers are ref, source, var, env, config, is_incremental, this, target.* and your macros.',
    });
  }

  private where(options: HelperOptions): SourceLocation {
    const s = this.state!;
    const start = options.loc?.start;
    return { file: s.file, line: (start?.line ?? 1) + s.lineOffset, column: (start?.column ?? 0) + 1 };
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

/** Where each key of the {{config}} calls stands, and the path written as its value, if it is one. */
interface ConfigKey {
  line: number;
  column: number;
  path?: hbs.AST.PathExpression;
}

function configKeys(ast: hbs.AST.Program): Record<string, ConfigKey> {
  const out: Record<string, ConfigKey> = {};
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const n = node as { type?: string; path?: { original?: unknown }; hash?: hbs.AST.Hash };
    if ((n.type === 'MustacheStatement' || n.type === 'SubExpression') && n.path?.original === 'config' && n.hash) {
      for (const pair of n.hash.pairs) {
        out[pair.key] ??= {
          line: pair.loc.start.line,
          column: pair.loc.start.column + 1,
          ...(pair.value.type === 'PathExpression' ? { path: pair.value as hbs.AST.PathExpression } : {}),
        };
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && typeof v === 'object') visit(v);
  };
  visit(ast);
  return out;
}

/**
 * A config value written as a path that found nothing: Handlebars reads `unique_key=["id"]` or
 * `materialized=table` as a lookup, which yields nothing and would silently drop the key.
 */
function unresolvedConfig(file: string, key: string, k: ConfigKey & { path: hbs.AST.PathExpression }, lineOffset: number): SparkifyError {
  const p = k.path;
  const list = p.original.startsWith('[');
  const names = p.parts.map((x) => JSON.stringify(x.replace(/^["']|["']$/g, '')));
  return new SparkifyError(`config ${key}=${p.original} is not a value: Handlebars reads it as a path${list ? ', not a list' : ''}, and it names nothing`, {
    location: { file, line: k.line + lineOffset, column: k.column },
    hint: list
      ? `Write a list as ${key}=(list ${names.join(' ') || '"a" "b"'}), or one name as ${key}="name".`
      : `Quote strings: ${key}="${p.original}"; true, false and numbers are written bare.`,
  });
}
