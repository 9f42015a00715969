import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';

/**
 * A Handlebars evaluator: runs the AST from `hb.parse(text)` (or from parseTemplate below, which returns the
 * same AST faster) directly instead of generating JavaScript: Handlebars' compile step — codegen plus
 * `new Function` — costs ~10x the parse, and each model template is rendered once. It reproduces what `hb.compile(text, { noEscape: true, strict: true })` does, quirks
 * included:
 *
 * - strict lookups: the last segment of a path in helper/mustache position must exist (`"x" not defined in
 *   <obj> - L:C`, with lineNumber/column), earlier segments and params are looked up leniently; own
 *   properties only, prototype properties through Handlebars' own prototype-access rules;
 * - helper resolution (known helpers, ambiguous `{{name}}`, helpers called with `this` = the context, options
 *   {name, hash, fn, inverse, data, blockParams, loc, lookupProperty}), evaluation order (helper, params,
 *   then hash values in Handlebars' order, an `=undefined` hash value omitted);
 * - block programs: `../` depths, `@data` frames, block params, and the built-in block helpers, which are
 *   called as the registered helpers (so `if`, `unless`, `each`, `with`, `lookup`, `log` and overrides of
 *   them behave as they do in Handlebars), `blockHelperMissing` for `{{#path}}` blocks;
 * - output: a program's statements are joined with JavaScript `+` exactly as the generated code joins them
 *   (so `{{a}}{{b}}` with numbers adds, as it does in Handlebars), a single-statement block returns its raw
 *   value to the helper;
 * - partials with a static name, context and hash, indentation of standalone partials; string partials are
 *   evaluated (their AST cached), function partials (including ones Handlebars compiled) are invoked with
 *   Handlebars' partial protocol.
 *
 * What it does not evaluate is detected before the first render and rendered by `hb.compile` instead:
 * decorators, inline partials, partial blocks, dynamic partials, `@partial-block`, raw blocks, and
 * `helperMissing`/`blockHelperMissing` used by name. A string partial with such constructs is compiled by
 * Handlebars on its own (as Handlebars itself does with partials). Not reproduced: a program wrapper's
 * `program` and `depth` properties (only `blockParams` is set).
 */

type HB = typeof Handlebars;
type AST = hbs.AST.Program;
type Node = hbs.AST.Node;
type PathNode = hbs.AST.PathExpression;
type SexprNode = hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement;

/** Where a `{{> name}}` statement is in the template that includes it (1-based line and column). */
export interface PartialSite {
  line: number;
  column: number;
}

/**
 * Called around every invocation of a partial registered in the environment (not inline partials), on both
 * paths: evaluated templates and templates Handlebars compiles. `invoke` renders it; the hook may track
 * which file is being rendered and annotate errors thrown inside it.
 */
export type PartialHook = (name: string, site: PartialSite, invoke: () => unknown) => unknown;

/** A rendered template: like Handlebars' TemplateDelegate for a context without runtime options. */
export interface CompiledTemplate {
  (context: unknown): string;
  /** Set when the template is rendered by hb.compile: what the evaluator does not support. */
  readonly fallback?: string;
}

// --- Handlebars' runtime pieces --------------------------------------------------------------------

interface ProtoAccess {
  createProtoAccessControl(runtimeOptions: object): unknown;
  resultIsAllowed(result: unknown, protoAccessControl: unknown, propertyName: string): boolean;
  isPrototypeConstructor?(parent: unknown, propertyName: string, result: unknown): boolean;
}

// The prototype-access rules (and the "Access has been denied" warning, logged once per property) are
// Handlebars' own, shared with templates it compiles.
const protoAccess: ProtoAccess = (() => {
  try {
    return createRequire(import.meta.url)('handlebars/dist/cjs/handlebars/internal/proto-access.js') as ProtoAccess;
  } catch {
    return {
      createProtoAccessControl: () => undefined,
      resultIsAllowed: () => false,
    };
  }
})();
const isPrototypeConstructor =
  protoAccess.isPrototypeConstructor ??
  ((parent: unknown, name: string, result: unknown) =>
    name === 'constructor' && typeof result === 'function' && parent === (result as { prototype?: unknown }).prototype);

const KNOWN_HELPERS = new Set(['helperMissing', 'blockHelperMissing', 'each', 'if', 'unless', 'with', 'log', 'lookup']);
const HOOKS = new Set(['helperMissing', 'blockHelperMissing']);

class Unsupported extends Error {}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
type Data = Any;

/** One running program: Handlebars' depth0, data, blockParams and depths. */
interface Frame {
  ctx: unknown;
  data: Data;
  bp: unknown[];
  depths: unknown[];
}
type Expr = (f: Frame) => unknown;
type ProgramFn = (ctx: unknown, data: Data, bp: unknown[], depths: unknown[]) => unknown;
interface Line {
  /** 'inline': joined with `+` to its neighbours; 'explicit': `if (v != null) buffer += v`. */
  kind: 'inline' | 'explicit';
  text?: string;
  eval?: Expr;
}
interface PreparedProgram {
  run: ProgramFn;
  blockParams: number;
}
type Prepared = { kind: 'eval'; program: PreparedProgram } | { kind: 'compiled'; fn: Handlebars.TemplateDelegate; reason: string };

/** Compile-time state of one program, for Handlebars' `useBlockParams` (which adds options.blockParams). */
interface ProgramState {
  childUses: boolean;
  firstOwnLookup: number;
}

const scopedId = (path: PathNode): boolean => /^\.|this\b/.test(path.original);
const simpleId = (path: PathNode): boolean => path.parts.length === 1 && !scopedId(path) && !path.depth;

function locLiteral(node: Node): Any {
  // What Handlebars embeds in its generated code: JSON of the SourceLocation (no `source` without srcName).
  return node.loc ? copyLoc(node.loc) : undefined;
}

function copyLoc(loc: Any): Any {
  const out: Any = {};
  if (loc.source !== undefined) out.source = loc.source;
  out.start = { line: loc.start.line, column: loc.start.column };
  if (loc.end) out.end = { line: loc.end.line, column: loc.end.column };
  return out;
}

function extend(obj: Any, ...sources: Any[]): Any {
  for (const src of sources) {
    for (const key in src) {
      if (Object.prototype.hasOwnProperty.call(src, key)) obj[key] = src[key];
    }
  }
  return obj;
}

export class HandlebarsEvaluator {
  private readonly protoAccessControl: unknown;
  private readonly nullContext = Object.seal({});
  private readonly partialCache = new Map<string, Prepared>();
  /** Partial text -> compileWithSites of it, for partials included from Handlebars-compiled templates. */
  private readonly siteCompiled = new Map<string, Handlebars.TemplateDelegate>();
  private seq = 0;
  readonly lookupProperty: (parent: Any, name: string) => unknown;

  constructor(
    private readonly hb: HB,
    private readonly onPartial?: PartialHook,
  ) {
    this.protoAccessControl = protoAccess.createProtoAccessControl({});
    const pac = this.protoAccessControl;
    this.lookupProperty = (parent: Any, name: string): unknown => {
      const result = parent[name];
      if (result == null) return result;
      if (Object.prototype.hasOwnProperty.call(parent, name) && !isPrototypeConstructor(parent, name, result)) return result;
      if (protoAccess.resultIsAllowed(result, pac, name)) return result;
      return undefined;
    };
  }

  /**
   * Prepare a template from its text (and the AST of `hb.parse(text)` when the caller already parsed it;
   * the evaluator does not modify it). Unsupported constructs make it a `hb.compile` template.
   */
  compile(text: string, ast?: AST): CompiledTemplate {
    const prepared = this.prepare(text, ast ?? parseTemplate(this.hb, text));
    if (prepared.kind === 'compiled') {
      const fn = prepared.fn;
      // Rendered by Handlebars, with the options the evaluator implements: { noEscape: true, strict: true }.
      const t = ((context: unknown) => fn(context)) as CompiledTemplate & { fallback?: string };
      t.fallback = prepared.reason;
      return t;
    }
    const program = prepared.program;
    return ((context: unknown) => '' + (program.run(context, { root: context }, [], [context]) as string)) as CompiledTemplate;
  }

  /** Seed the partial cache with a source already parsed (e.g. a macro checked for syntax). */
  addPartialSource(text: string, ast: AST): void {
    if (!this.partialCache.has(text)) this.partialCache.set(text, this.prepare(text, ast));
  }

  private prepare(text: string, ast: AST): Prepared {
    try {
      return { kind: 'eval', program: new ProgramCompiler(this).program(ast, undefined) };
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      const fn = this.onPartial ? this.compileWithSites(text) : this.hb.compile(text, { noEscape: true, strict: true });
      return { kind: 'compiled', fn, reason: err.message };
    }
  }

  /**
   * hb.compile, with each static `{{> name}}` renamed to a name of its own that resolves to a function
   * partial calling the hook with the statement's site: Handlebars gives a partial no location of the
   * statement that includes it. The AST is the unprocessed one, so hb.compile strips whitespace as it does
   * for the text.
   */
  private compileWithSites(text: string): Handlebars.TemplateDelegate {
    const ast = (this.hb as Any).parseWithoutProcessing(text) as AST;
    const sites: Any = {};
    const visit = (node: Any): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach(visit);
      if (node.type === 'PartialStatement' && node.name.type === 'PathExpression' && node.name.original !== '@partial-block') {
        const name = String(node.name.original);
        const site: PartialSite = { line: node.loc.start.line, column: node.loc.start.column + 1 };
        const key = `${name}\u0001${site.line}:${site.column}`;
        node.name.original = key;
        sites[key] = this.sitePartial(name, site);
      }
      for (const k of ['body', 'program', 'inverse']) visit(node[k]);
    };
    visit(ast);
    const fn = this.hb.compile(ast, { noEscape: true, strict: true });
    return (context: unknown, options: Any = {}) => {
      const partials = extend({}, options.partials ?? this.hb.partials, sites);
      return fn(context, extend({}, options, { partials }));
    };
  }

  /**
   * The function partial a renamed `{{> name}}` resolves to, called by Handlebars' invokePartial (which has
   * merged the hash into the context and indents the result). A string partial is compiled by Handlebars as
   * it would be (with renamed sites too), and run on the caller's options: inline partials of the caller
   * stay visible inside it, as they are in Handlebars.
   */
  private sitePartial(name: string, site: PartialSite): (context: unknown, options: Any) => unknown {
    const own = (obj: Any): unknown => (Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined);
    return (context, options) => {
      const current = own(options.partials);
      const registered = own(this.hb.partials);
      // An inline partial of the same name shadows the registered one.
      if (current !== registered && typeof current === 'function') return current(context, options);
      return this.onPartial!(name, site, () => {
        if (typeof registered !== 'string') return this.invokePartial(name, registered, context, extend({}, options, { indent: undefined, hash: undefined }));
        let fn = this.siteCompiled.get(registered);
        if (!fn) this.siteCompiled.set(registered, (fn = this.compileWithSites(registered)));
        return fn(context, options);
      });
    };
  }

  // --- runtime ------------------------------------------------------------------------------------

  get partials(): Any {
    return this.hb.partials;
  }

  nextSeq(): number {
    return this.seq++;
  }

  /** container.helpers[name]: registered helpers, minus the two moved to hooks. */
  helper(name: string): unknown {
    if (HOOKS.has(name)) return undefined;
    return this.lookupProperty(this.hb.helpers, name);
  }

  /** container.hooks.blockHelperMissing.call(depth0, value, options) */
  callBlockHelperMissing(ctx: unknown, value: unknown, options: Any): unknown {
    const bhm: Any = this.hb.helpers.blockHelperMissing || undefined;
    if (typeof bhm === 'function') return this.callRegistered(bhm, ctx, [value, options]);
    return this.callValue(bhm, ctx, () => [value, options], 'blockHelperMissing');
  }

  strict(obj: Any, name: string, loc: Any): unknown {
    if (!obj || !(name in obj)) {
      throw new this.hb.Exception('"' + name + '" not defined in ' + obj, { loc } as Any);
    }
    return this.lookupProperty(obj, name);
  }

  thisArg(ctx: unknown): unknown {
    return ctx != null ? ctx : this.nullContext;
  }

  /** Call a registered helper as Handlebars' wrapper does: options.lookupProperty is added. */
  callRegistered(helper: Any, thisArg: unknown, args: unknown[]): unknown {
    const options = args[args.length - 1] as Any;
    options.lookupProperty = this.lookupProperty;
    return helper.apply(thisArg, args);
  }

  /** `(callee).call(thisArg, ...args)` as the generated code does it. */
  callValue(callee: Any, thisArg: unknown, args: () => unknown[], name: string): unknown {
    const call = callee.call; // TypeError on null/undefined, as in Handlebars
    const a = args();
    if (typeof call !== 'function') throw new TypeError(`${name}.call is not a function`);
    return Reflect.apply(call, callee, [thisArg, ...a]);
  }

  program(p: PreparedProgram | undefined, f: Frame): Any {
    if (!p) return noop;
    const run = p.run;
    const nullContext = this.nullContext;
    const prog = (context: unknown, options: Any = {}): unknown => {
      let depths = f.depths;
      // eslint-disable-next-line eqeqeq
      if (context != depths[0] && !(context === nullContext && depths[0] === null)) depths = [context].concat(depths);
      return run(context, options.data || f.data, [options.blockParams].concat(f.bp), depths);
    };
    (prog as Any).blockParams = p.blockParams;
    return prog;
  }

  /** invokePartial; `found` is lookupProperty(partials, name), done before the context is evaluated. */
  partial(name: string, found: unknown, context: unknown, options: Any, site?: PartialSite): unknown {
    if (!this.onPartial || !site) return this.invokePartial(name, found, context, options);
    return this.onPartial(name, site, () => this.invokePartial(name, found, context, options));
  }

  private invokePartial(name: string, found: unknown, context: unknown, options: Any): unknown {
    const hb = this.hb;
    let partial: Any = found;
    if (options.hash) context = extend({}, context, options.hash);
    if (!partial) partial = Object.prototype.hasOwnProperty.call(hb.partials, name) ? hb.partials[name] : undefined;
    let result: unknown;
    if (partial === undefined) throw new hb.Exception('The partial ' + name + ' could not be found');
    if (partial instanceof Function) {
      result = partial(context, this.partialRuntimeOptions(options));
      if (result == null) throw new hb.Exception('The partial ' + name + ' returned no output: partials must return a string');
    } else {
      if (typeof partial !== 'string') {
        throw new hb.Exception('The partial ' + name + ' could not be compiled: partials must be strings or functions returning strings');
      }
      let prepared = this.partialCache.get(partial);
      if (!prepared) {
        prepared = this.prepare(partial, parseTemplate(hb, partial));
        this.partialCache.set(partial, prepared);
      }
      if (prepared.kind === 'eval') {
        result = '' + (prepared.program.run(context, options.data, [], [context]) as string);
      } else {
        result = prepared.fn(context, this.partialRuntimeOptions(options));
      }
    }
    if (options.indent) {
      const lines = (result as string).split('\n');
      for (let i = 0, l = lines.length; i < l; i++) {
        if (!lines[i] && i + 1 === l) break;
        lines[i] = options.indent + lines[i];
      }
      result = lines.join('\n');
    }
    return result;
  }

  /** The options invokePartial gives a function partial (a template Handlebars compiled runs on them). */
  private partialRuntimeOptions(options: Any): Any {
    const rt = this.runtimeContainer();
    options.helpers = rt.helpers;
    options.partials = this.hb.partials;
    options.decorators = extend({}, (this.hb as Any).decorators);
    options.hooks = rt.hooks;
    options.protoAccessControl = this.protoAccessControl;
    options.partial = true;
    return options;
  }

  /** Handlebars' container.helpers and container.hooks (helpers wrapped to add options.lookupProperty). */
  private runtimeContainer(): { helpers: Any; hooks: Any } {
    const lookupProperty = this.lookupProperty;
    const helpers: Any = {};
    for (const name of Object.keys(this.hb.helpers)) {
      const helper: Any = this.hb.helpers[name];
      helpers[name] =
        typeof helper !== 'function'
          ? helper
          : function (this: unknown, ...args: Any[]) {
              const options = args[args.length - 1];
              options.lookupProperty = lookupProperty;
              return helper.apply(this, args);
            };
    }
    const hooks: Any = {};
    for (const name of HOOKS) {
      if (helpers[name]) {
        hooks[name] = helpers[name];
        helpers[name] = undefined;
      }
    }
    return { helpers, hooks };
  }
}

function noop(): string {
  return '';
}

/** Turns one template's AST into closures; throws Unsupported for what only hb.compile handles. */
class ProgramCompiler {
  /** Block params declared by the enclosing programs, innermost first (Handlebars' options.blockParams). */
  private readonly blockParamStack: (string[] | undefined)[] = [];
  private readonly states: ProgramState[] = [];

  constructor(private readonly ev: HandlebarsEvaluator) {}

  program(p: hbs.AST.Program, parent: ProgramState | undefined): PreparedProgram {
    const state: ProgramState = { childUses: false, firstOwnLookup: Infinity };
    this.states.unshift(state);
    this.blockParamStack.unshift(p.blockParams);
    const lines: Line[] = [];
    for (const s of p.body) {
      const line = this.statement(s);
      if (line) lines.push(line);
    }
    this.blockParamStack.shift();
    this.states.shift();
    if (parent && (state.childUses || state.firstOwnLookup < Infinity)) parent.childUses = true;
    return { run: this.runner(lines, p.body.length === 1), blockParams: p.blockParams ? p.blockParams.length : 0 };
  }

  /** How the generated code joins a program's output (see JavaScriptCompiler.mergeSource). */
  private runner(lines: Line[], isSimple: boolean): ProgramFn {
    const value = (line: Line, f: Frame): unknown => {
      if (line.text !== undefined) return line.text;
      const v = line.eval!(f);
      return v != null ? v : '';
    };
    if (isSimple) {
      const line = lines[0];
      if (!line) return () => '';
      if (line.text !== undefined) {
        const text = line.text;
        return () => text;
      }
      const e = line.eval!;
      return (ctx, data, bp, depths) => {
        const v = e({ ctx, data, bp, depths });
        return v != null ? v : '';
      };
    }
    if (lines.length === 0) return () => '';
    if (lines.every((l) => l.kind === 'inline')) {
      // `return A + B + C;`
      return (ctx, data, bp, depths) => {
        const f: Frame = { ctx, data, bp, depths };
        let acc: Any = value(lines[0]!, f);
        for (let i = 1; i < lines.length; i++) acc = acc + (value(lines[i]!, f) as Any);
        return acc;
      };
    }
    // Runs of inline appends between explicit ones: `var buffer = A + B;` (a first run), `buffer += A + B;`
    // (a middle run), `return buffer + A + B;` (the last run), `if (v != null) { buffer += v; }` (explicit).
    const groups: { run?: Line[]; explicit?: Line }[] = [];
    for (const l of lines) {
      if (l.kind === 'explicit') groups.push({ explicit: l });
      else {
        const last = groups[groups.length - 1];
        if (last?.run) last.run.push(l);
        else groups.push({ run: [l] });
      }
    }
    const chain = (run: Line[], f: Frame): Any => {
      let acc: Any = value(run[0]!, f);
      for (let i = 1; i < run.length; i++) acc = acc + (value(run[i]!, f) as Any);
      return acc;
    };
    return (ctx, data, bp, depths) => {
      const f: Frame = { ctx, data, bp, depths };
      let buffer: Any;
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g]!;
        if (group.run) {
          if (g === 0) buffer = chain(group.run, f);
          else if (g === groups.length - 1) for (const l of group.run) buffer = buffer + (value(l, f) as Any);
          else buffer += chain(group.run, f);
        } else {
          if (g === 0) buffer = '';
          const v = group.explicit!.eval!(f);
          if (v != null) buffer += v as Any;
        }
      }
      return buffer;
    };
  }

  private statement(s: hbs.AST.Statement): Line | undefined {
    switch (s.type) {
      case 'ContentStatement': {
        const value = (s as hbs.AST.ContentStatement).value;
        return value ? { kind: 'inline', text: value } : undefined;
      }
      case 'CommentStatement':
        return undefined;
      case 'MustacheStatement':
        return { kind: 'inline', eval: this.sexpr(s as hbs.AST.MustacheStatement) };
      case 'BlockStatement':
        return this.block(s as hbs.AST.BlockStatement);
      case 'PartialStatement':
        return { kind: 'inline', eval: this.partial(s as hbs.AST.PartialStatement) };
      case 'Decorator':
        throw new Unsupported('decorator {{* ...}}');
      case 'DecoratorBlock':
        throw new Unsupported('decorator block (e.g. {{#*inline}})');
      case 'PartialBlockStatement':
        throw new Unsupported('partial block {{#> ...}}');
      default:
        throw new Unsupported(`${s.type}`);
    }
  }

  // --- paths and expressions ---------------------------------------------------------------------

  /** transformLiteralToPath: `{{"name"}}`, `{{1}}` call or look up the helper/property of that name. */
  private pathOf(node: SexprNode): PathNode {
    const p = node.path as Any;
    if (p.parts) return p as PathNode;
    const name = p.original + '';
    return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc: p.loc } as PathNode;
  }

  private blockParamIndex(name: string): [number, number] | undefined {
    for (let depth = 0; depth < this.blockParamStack.length; depth++) {
      const params = this.blockParamStack[depth];
      const i = params ? params.indexOf(name) : -1;
      if (params && i >= 0) return [depth, i];
    }
    return undefined;
  }

  /** A PathExpression's value; `strict` marks the helper/mustache position (the last segment must exist). */
  private path(path: PathNode, strict: boolean): Expr {
    const ev = this.ev;
    const depth = path.depth;
    const parts = path.parts;
    const name = parts[0];
    const scoped = scopedId(path);
    const bp = !depth && !scoped && name !== undefined ? this.blockParamIndex(name) : undefined;
    const lookup = ev.lookupProperty;
    if (bp) {
      const state = this.states[0]!;
      state.firstOwnLookup = Math.min(state.firstOwnLookup, this.ev.nextSeq());
      const [d, i] = bp;
      return (f) => {
        let v: Any = (f.bp[d] as Any)[i];
        for (let k = 1; k < parts.length; k++) v = lookup(v, parts[k]!);
        return v;
      };
    }
    if (!name) return depth ? (f) => f.depths[depth] : (f) => f.ctx;
    const base: Expr = path.data
      ? depth
        ? (f) => {
            let value = f.data;
            let n = depth;
            while (value && n--) value = value._parent;
            return value;
          }
        : (f) => f.data
      : depth
        ? (f) => f.depths[depth]
        : (f) => f.ctx;
    const last = strict ? parts.length - 1 : parts.length;
    const loc = locLiteral(path);
    const terminal = parts[last];
    if (!strict && parts.length === 1) return (f) => lookup(base(f), name);
    return (f) => {
      let v: Any = base(f);
      for (let k = 0; k < last; k++) v = lookup(v, parts[k]!);
      return strict ? ev.strict(v, terminal!, loc) : v;
    };
  }

  /** A param or hash value (Handlebars' pushParam): paths are lenient, subexpressions are calls. */
  private expr(e: hbs.AST.Expression): Expr {
    switch (e.type) {
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral': {
        const v = (e as hbs.AST.StringLiteral).value;
        return () => v;
      }
      case 'UndefinedLiteral':
        return () => undefined;
      case 'NullLiteral':
        return () => null;
      case 'PathExpression':
        return this.path(e as PathNode, false);
      case 'SubExpression':
        return this.sexpr(e as hbs.AST.SubExpression);
      default:
        throw new Unsupported(`expression ${e.type}`);
    }
  }

  /** The hash object, its keys and evaluation order as Handlebars' generated object literal has them. */
  private hash(hash: hbs.AST.Hash | undefined): (f: Frame) => Any {
    if (!hash) return () => ({});
    const order: Any = {};
    for (let i = hash.pairs.length - 1; i >= 0; i--) order[hash.pairs[i]!.key] = i;
    const entries: [string, Expr][] = [];
    for (const key of Object.keys(order)) {
      const value = hash.pairs[order[key] as number]!.value;
      if (value.type === 'UndefinedLiteral') continue; // an `undefined` chunk is left out of the literal
      entries.push([key, this.expr(value)]);
    }
    return (f) => {
      const out: Any = {};
      for (const [key, e] of entries) out[key] = e(f);
      return out;
    };
  }

  private classify(node: SexprNode, path: PathNode): 'helper' | 'ambiguous' | 'simple' {
    const isSimple = simpleId(path);
    const isBlockParam = isSimple && !!this.blockParamIndex(path.parts[0]!);
    let isHelper =
      !isBlockParam && (node.type === 'SubExpression' || !!((node.params && node.params.length) || (node as Any).hash));
    const isEligible = !isBlockParam && (isHelper || isSimple);
    if (isEligible && !isHelper && KNOWN_HELPERS.has(path.parts[0]!)) isHelper = true;
    return isHelper ? 'helper' : isEligible ? 'ambiguous' : 'simple';
  }

  /** Whether helper options get a blockParams key (the JavaScriptCompiler's useBlockParams at this point). */
  private blockParamsFlag(): () => boolean {
    const state = this.states[0]!;
    const at = this.ev.nextSeq();
    return () => state.childUses || state.firstOwnLookup < at;
  }

  /**
   * A mustache, subexpression or block: its value. For blocks, `programs` are the compiled program and
   * inverse (compiled first, as Handlebars does).
   */
  private sexpr(node: SexprNode, programs?: { fn?: PreparedProgram; inverse?: PreparedProgram }): Expr {
    const ev = this.ev;
    const path = this.pathOf(node);
    const name = path.parts[0];
    if (name !== undefined && HOOKS.has(name) && !(path.depth || path.data || scopedId(path))) {
      throw new Unsupported(`${name} called by name`);
    }
    const type = this.classify(node, path);
    const loc = locLiteral(node);
    const isBlock = !!programs;

    if (type === 'simple') {
      const value = this.path(path, true);
      const lambda: Expr = (f) => {
        const v = value(f);
        return typeof v === 'function' ? v.call(f.ctx) : v;
      };
      if (!isBlock) return lambda;
      // blockValue: blockHelperMissing.call(depth0, value, options)
      const bpFlag = this.blockParamsFlag();
      const label = path.original;
      return (f) => {
        const v = lambda(f);
        const options = this.options(label, {}, programs, f, bpFlag, loc);
        return ev.callBlockHelperMissing(f.ctx, v, options);
      };
    }

    if (type === 'ambiguous') {
      const nonHelper = this.path(path, true);
      const bpFlag = this.blockParamsFlag();
      const helperName = name!;
      return (f) => {
        const found = ev.helper(helperName);
        const helper: Any = found || nonHelper(f);
        const options = this.options(helperName, {}, programs, f, bpFlag, loc);
        const thisArg = ev.thisArg(f.ctx);
        let v: unknown;
        if (typeof helper === 'function') v = found ? ev.callRegistered(helper, thisArg, [options]) : helper.call(thisArg, options);
        else v = helper;
        if (isBlock && !ev.helper(helperName)) v = ev.callBlockHelperMissing(f.ctx, v, options);
        return v;
      };
    }

    // A helper call: (known helper | registered helper || strict lookup).call(this, ...params, options)
    const params = node.params.map((p) => this.expr(p));
    const hash = this.hash((node as Any).hash);
    const args = (f: Frame, label: string, bpFlag: () => boolean): unknown[] => {
      const a: unknown[] = [];
      for (const p of params) a.push(p(f));
      const h = hash(f);
      a.push(this.options(label, h, programs, f, bpFlag, loc));
      return a;
    };
    if (name !== undefined && KNOWN_HELPERS.has(name)) {
      const bpFlag = this.blockParamsFlag();
      return (f) => {
        const helper: Any = ev.helper(name);
        const thisArg = ev.thisArg(f.ctx);
        if (typeof helper === 'function') return ev.callRegistered(helper, thisArg, args(f, name, bpFlag));
        return ev.callValue(helper, thisArg, () => args(f, name, bpFlag), name);
      };
    }
    const isSimple = simpleId(path);
    const nonHelper = this.path(path, true);
    const bpFlag = this.blockParamsFlag();
    const label = path.original;
    return (f) => {
      const found: Any = isSimple ? ev.helper(name!) : undefined;
      const thisArg = ev.thisArg(f.ctx);
      if (found && typeof found === 'function') return ev.callRegistered(found, thisArg, args(f, label, bpFlag));
      const callee: Any = found || nonHelper(f);
      return ev.callValue(callee, thisArg, () => args(f, label, bpFlag), label);
    };
  }

  private options(
    name: string,
    hash: Any,
    programs: { fn?: PreparedProgram; inverse?: PreparedProgram } | undefined,
    f: Frame,
    bpFlag: () => boolean,
    loc: Any,
  ): Any {
    const options: Any = { name, hash };
    if (programs && (programs.fn || programs.inverse)) {
      options.fn = this.ev.program(programs.fn, f);
      options.inverse = this.ev.program(programs.inverse, f);
    }
    options.data = f.data;
    if (bpFlag()) options.blockParams = f.bp;
    if (loc !== undefined) options.loc = copyLoc(loc);
    return options;
  }

  private block(b: hbs.AST.BlockStatement): Line {
    // A raw block {{{{name}}}}...{{{{/name}}}} has no strip flags.
    if (!b.openStrip || !('open' in b.openStrip)) throw new Unsupported('raw block {{{{...}}}}');
    const parent = this.states[0];
    const fn = b.program ? this.program(b.program, parent) : undefined;
    const inverse = b.inverse ? this.program(b.inverse, parent) : undefined;
    const path = this.pathOf(b);
    const type = this.classify(b, path);
    const e = this.sexpr(b, { fn, inverse });
    return { kind: type === 'ambiguous' ? 'explicit' : 'inline', eval: e };
  }

  private partial(p: hbs.AST.PartialStatement): Expr {
    if (p.name.type === 'SubExpression') throw new Unsupported('dynamic partial {{> (...)}}');
    if (p.params.length > 1) throw new Unsupported('a partial with more than one context argument');
    const name = (p.name as Any).original + '';
    if (name === '@partial-block') throw new Unsupported('{{> @partial-block}}');
    const context = p.params[0] ? this.expr(p.params[0]) : (f: Frame) => f.ctx;
    const hash = p.hash ? this.hash(p.hash) : undefined;
    const indent = p.indent || '';
    const bpFlag = this.blockParamsFlag();
    const ev = this.ev;
    const site: PartialSite | undefined = p.loc ? { line: p.loc.start.line, column: p.loc.start.column + 1 } : undefined;
    return (f) => {
      const found = ev.lookupProperty(ev.partials, name);
      const ctx = context(f);
      const options: Any = { name };
      if (hash) options.hash = hash(f);
      options.data = f.data;
      if (bpFlag()) options.blockParams = f.bp;
      if (indent) options.indent = indent;
      return ev.partial(name, found, ctx, options, site);
    };
  }
}

// --- parsing --------------------------------------------------------------------------------------

/**
 * `hb.parse(text)`, faster: Handlebars' Jison lexer tries up to 40 regular expressions per token, and for
 * realistic model files the parse costs ~130 µs, more than the rest of compile. This recursive-descent
 * parser produces the same AST — nodes are built by Handlebars' own parser helpers (prepareMustache,
 * prepareBlock, preparePath, ...), locations follow Jison's rules, and Handlebars' WhitespaceControl
 * strips whitespace — for the common syntax: content, comments, mustaches, blocks with `{{else}}` and
 * `{{else if}}` chains, block params, partials, subexpressions, hashes, literals, paths and `~`. Anything
 * else (escapes `\{{`, raw blocks, `{{^`, decorators, partial blocks, syntax errors, ...) is left to
 * `hb.parse`, so errors and rare syntax behave exactly as before.
 */
export function parseTemplate(hb: HB, text: string): AST {
  return fastParse(text) ?? hb.parse(text);
}

interface ParserHelpers {
  SourceLocation: new (source: unknown, loc: Loc) => hbs.AST.SourceLocation;
  id(token: unknown): unknown;
  stripFlags(open: string, close: string): hbs.AST.StripFlags;
  stripComment(comment: string): string;
  preparePath(data: boolean, parts: Any[], loc: Loc): PathNode;
  prepareMustache(path: Any, params: Any[], hash: Any, open: string, strip: Any, loc: Loc): hbs.AST.MustacheStatement;
  prepareBlock(open: Any, program: Any, inverse: Any, close: Any, inverted: boolean, loc: Loc): hbs.AST.BlockStatement;
  prepareProgram(statements: Any[], loc?: Any): hbs.AST.Program;
}
interface WhitespaceControlClass {
  new (options?: object): { accept(node: AST): AST };
}

const parserModules = ((): { yy: ParserHelpers & { locInfo(loc: Loc): hbs.AST.SourceLocation }; WhitespaceControl: WhitespaceControlClass } | undefined => {
  try {
    const req = createRequire(import.meta.url);
    const helpers = req('handlebars/dist/cjs/handlebars/compiler/helpers.js') as ParserHelpers;
    const WhitespaceControl = req('handlebars/dist/cjs/handlebars/compiler/whitespace-control.js') as WhitespaceControlClass;
    // Handlebars' `yy`: its helpers, with locInfo as parseWithoutProcessing defines it (no srcName).
    const yy = Object.assign({}, helpers, { locInfo: (loc: Loc) => new helpers.SourceLocation(undefined, loc) });
    return { yy, WhitespaceControl };
  } catch {
    return undefined;
  }
})();

/** Jison's yylloc. */
interface Loc {
  first_line: number;
  first_column: number;
  last_line: number;
  last_column: number;
}

// Token kinds (Jison's terminals, the ones this parser accepts).
const CONTENT = 1, COMMENT = 2, OPEN = 3, OPEN_UNESCAPED = 4, OPEN_BLOCK = 5, OPEN_ENDBLOCK = 6, OPEN_PARTIAL = 7,
  OPEN_INVERSE_CHAIN = 8, INVERSE = 9, CLOSE = 10, CLOSE_UNESCAPED = 11, OPEN_SEXPR = 12, CLOSE_SEXPR = 13, ID = 14,
  SEP = 15, DATA = 16, EQUALS = 17, STRING = 18, NUMBER = 19, BOOLEAN = 20, UNDEFINED = 21, NULL = 22,
  OPEN_BLOCK_PARAMS = 23, CLOSE_BLOCK_PARAMS = 24, EOF = 25;

interface Token {
  t: number;
  text: string;
  loc: Loc;
}

/** Thrown when the text needs hb.parse (unsupported syntax or an error). */
class Bail extends Error {}

const RE_ELSE_INVERSE = /\s*else\s*~?\}\}/y;
const RE_ELSE_CHAIN = /\s*else\b/y;
const RE_LONG_COMMENT_END = /--~?\}\}/g;
const RE_WS = /\s+/y;
const RE_STRING_DQ = /"(\\["]|[^"])*"/y;
const RE_STRING_SQ = /'(\\[']|[^'])*'/y;
const RE_KEYWORD = /(true|false|undefined|null)(?=[~}\s)])/y;
const RE_NUMBER = /-?[0-9]+(?:\.[0-9]+)?(?=[~}\s)])/y;
const RE_BLOCK_PARAMS = /as\s+\|/y;
const RE_ID = /[^\s!"#%-,\.\/;->@\[-\^`\{-~]+(?=([=~}\s\/.)|]))/y; // Jison's ID rule
const RE_BRACKET_ID = /\[(\\\]|[^\]])*\]/y;
const DOT_LOOKAHEAD = /[=~}\s/.)|]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const len = text.length;
  let pos = 0;
  let line = 1;
  let col = 0;
  let mu = false;
  // Jison's yylloc: the position before and after each match, lines split at \r\n, \r and \n.
  const advance = (end: number): void => {
    for (let i = pos; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        line++;
        col = 0;
      } else if (c === 13) {
        if (i + 1 < end && text.charCodeAt(i + 1) === 10) i++;
        line++;
        col = 0;
      } else col++;
    }
    pos = end;
  };
  const emit = (t: number, end: number, value?: string): void => {
    const fl = line;
    const fc = col;
    const v = value ?? text.slice(pos, end);
    advance(end);
    tokens.push({ t, text: v, loc: { first_line: fl, first_column: fc, last_line: line, last_column: col } });
  };
  const sticky = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = pos;
    return re.exec(text);
  };
  while (true) {
    if (!mu) {
      if (pos >= len) break;
      const open = text.indexOf('{{', pos);
      if (open < 0) {
        emit(CONTENT, len);
        break;
      }
      if (open > pos && text.charCodeAt(open - 1) === 92 /* \ */) throw new Bail('escaped mustache');
      if (open > pos) emit(CONTENT, open);
      mu = true;
      continue;
    }
    if (pos >= len) break; // unclosed mustache: hb.parse reports it
    const c = text[pos]!;
    switch (c) {
      case '(':
        emit(OPEN_SEXPR, pos + 1);
        continue;
      case ')':
        emit(CLOSE_SEXPR, pos + 1);
        continue;
      case '{': {
        if (text[pos + 1] !== '{' || text.startsWith('{{{{', pos)) throw new Bail('{');
        const q = text[pos + 2] === '~' ? pos + 3 : pos + 2;
        const c2 = text[q];
        if (c2 === '>') emit(OPEN_PARTIAL, q + 1);
        else if (c2 === '#') {
          if (text[q + 1] === '>' || text[q + 1] === '*') throw new Bail('partial block or decorator');
          emit(OPEN_BLOCK, q + 1);
        } else if (c2 === '/') emit(OPEN_ENDBLOCK, q + 1);
        else if (c2 === '^') throw new Bail('inverse section');
        else {
          RE_ELSE_INVERSE.lastIndex = q;
          const inv = RE_ELSE_INVERSE.exec(text);
          if (inv) {
            emit(INVERSE, q + inv[0].length);
            mu = false;
            continue;
          }
          RE_ELSE_CHAIN.lastIndex = q;
          const chain = RE_ELSE_CHAIN.exec(text);
          if (chain) emit(OPEN_INVERSE_CHAIN, q + chain[0].length);
          else if (c2 === '{') emit(OPEN_UNESCAPED, q + 1);
          else if (c2 === '&') emit(OPEN, q + 1);
          else if (c2 === '!') {
            let end: number;
            if (text.startsWith('--', q + 1)) {
              RE_LONG_COMMENT_END.lastIndex = pos;
              const m = RE_LONG_COMMENT_END.exec(text);
              if (!m) throw new Bail('unclosed comment');
              end = m.index + m[0].length;
            } else {
              const close = text.indexOf('}}', q + 1);
              if (close < 0) throw new Bail('unclosed comment');
              end = close + 2;
            }
            emit(COMMENT, end);
            mu = false;
          } else if (c2 === '*') throw new Bail('decorator');
          else emit(OPEN, q);
        }
        continue;
      }
      case '}': {
        if (text.startsWith('}}}}', pos)) throw new Bail('}}}}');
        if (text.startsWith('}~}}', pos)) emit(CLOSE_UNESCAPED, pos + 4);
        else if (text.startsWith('}}}', pos)) emit(CLOSE_UNESCAPED, pos + 3);
        else if (text.startsWith('}}', pos)) emit(CLOSE, pos + 2);
        else throw new Bail('}');
        mu = false;
        continue;
      }
      case '~':
        if (!text.startsWith('~}}', pos)) throw new Bail('~');
        emit(CLOSE, pos + 3);
        mu = false;
        continue;
      case '=':
        emit(EQUALS, pos + 1);
        continue;
      case '.':
        if (text[pos + 1] === '.') emit(ID, pos + 2);
        else if (pos + 1 < len && DOT_LOOKAHEAD.test(text[pos + 1]!)) emit(ID, pos + 1);
        else emit(SEP, pos + 1);
        continue;
      case '/':
        emit(SEP, pos + 1);
        continue;
      case '"':
      case "'": {
        const m = sticky(c === '"' ? RE_STRING_DQ : RE_STRING_SQ);
        if (!m) throw new Bail('unclosed string');
        const inner = m[0].slice(1, -1);
        emit(STRING, pos + m[0].length, c === '"' ? inner.replace(/\\"/g, '"') : inner.replace(/\\'/g, "'"));
        continue;
      }
      case '@':
        emit(DATA, pos + 1);
        continue;
      case '|':
        emit(CLOSE_BLOCK_PARAMS, pos + 1);
        continue;
      case '[': {
        const m = sticky(RE_BRACKET_ID);
        if (!m) throw new Bail('[');
        emit(ID, pos + m[0].length, m[0].replace(/\\([\\\]])/g, '$1'));
        continue;
      }
      default: {
        const code = c.charCodeAt(0);
        if (code === 32 || code === 9 || code === 10 || code === 13 || code > 127) {
          const ws = sticky(RE_WS);
          if (ws) {
            advance(pos + ws[0].length);
            continue;
          }
        }
        // Jison tries the keyword, number and `as |` rules before ID.
        if (c === 't' || c === 'f' || c === 'u' || c === 'n') {
          const kw = sticky(RE_KEYWORD);
          if (kw) {
            emit(kw[1] === 'undefined' ? UNDEFINED : kw[1] === 'null' ? NULL : BOOLEAN, pos + kw[0].length);
            continue;
          }
        } else if (c === '-' || (code >= 48 && code <= 57)) {
          const num = sticky(RE_NUMBER);
          if (num) {
            emit(NUMBER, pos + num[0].length);
            continue;
          }
        } else if (c === 'a') {
          const bp = sticky(RE_BLOCK_PARAMS);
          if (bp) {
            emit(OPEN_BLOCK_PARAMS, pos + bp[0].length);
            continue;
          }
        } else if (code < 32) {
          const ws = sticky(RE_WS);
          if (ws) {
            advance(pos + ws[0].length);
            continue;
          }
        }
        const id = sticky(RE_ID);
        if (id) {
          emit(ID, pos + id[0].length);
          continue;
        }
        throw new Bail(`unexpected ${c}`);
      }
    }
  }
  tokens.push({ t: EOF, text: '', loc: { first_line: line, first_column: col, last_line: line, last_column: col } });
  return tokens;
}

const PARAM_START = new Set([ID, DATA, STRING, NUMBER, BOOLEAN, UNDEFINED, NULL, OPEN_SEXPR]);

/** A recursive-descent reading of Handlebars' grammar; locations computed as Jison computes `@$`. */
class FastParser {
  private i = 0;
  /** The location of the symbol on top of Jison's stack (the last token shifted or nonterminal reduced). */
  private top: Loc = { first_line: 1, first_column: 0, last_line: 1, last_column: 0 };

  constructor(
    private readonly tokens: Token[],
    private readonly yy: ParserHelpers & { locInfo(loc: Loc): hbs.AST.SourceLocation },
  ) {}

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  private shift(t?: number): Token {
    const tok = this.peek();
    if (t !== undefined && tok.t !== t) throw new Bail('unexpected token');
    this.i++;
    this.top = tok.loc;
    return tok;
  }

  /** Reduce a nonterminal whose first child had location `first`: @$ spans to the top of the stack. */
  private reduce(first: Loc): Loc {
    this.top = { first_line: first.first_line, first_column: first.first_column, last_line: this.top.last_line, last_column: this.top.last_column };
    return this.top;
  }

  root(): AST {
    const program = this.program();
    this.shift(EOF);
    return program.node;
  }

  /** program: statement* — an empty list takes the location of the symbol before it. */
  private program(): { node: hbs.AST.Program; loc: Loc } {
    const start = this.top;
    const statements: Any[] = [];
    while (true) {
      const t = this.peek().t;
      if (t === EOF || t === OPEN_ENDBLOCK || t === INVERSE || t === OPEN_INVERSE_CHAIN) break;
      statements.push(this.statement());
    }
    const loc = statements.length ? this.reduce(start) : { ...this.top };
    this.top = loc;
    return { node: this.yy.prepareProgram(statements), loc };
  }

  private statement(): Any {
    const tok = this.peek();
    switch (tok.t) {
      case CONTENT:
        this.shift();
        return { type: 'ContentStatement', original: tok.text, value: tok.text, loc: this.yy.locInfo(tok.loc) };
      case COMMENT:
        this.shift();
        return { type: 'CommentStatement', value: this.yy.stripComment(tok.text), strip: this.yy.stripFlags(tok.text, tok.text), loc: this.yy.locInfo(tok.loc) };
      case OPEN:
      case OPEN_UNESCAPED:
        return this.mustache();
      case OPEN_BLOCK:
        return this.block();
      case OPEN_PARTIAL:
        return this.partial();
      default:
        throw new Bail('unexpected token');
    }
  }

  private mustache(): Any {
    const open = this.shift();
    const path = this.helperName();
    const params = this.params();
    const hash = this.hash();
    const close = this.shift(open.t === OPEN ? CLOSE : CLOSE_UNESCAPED);
    const loc = this.reduce(open.loc);
    return this.yy.prepareMustache(path, params, hash, open.text, this.yy.stripFlags(open.text, close.text), loc);
  }

  /** OPEN_BLOCK / OPEN_INVERSE_CHAIN helperName param* hash? blockParams? CLOSE */
  private openBlock(withOpen: boolean): { node: Any; loc: Loc } {
    const open = this.shift();
    const path = this.helperName();
    const params = this.params();
    const hash = this.hash();
    const blockParams = this.blockParams();
    const close = this.shift(CLOSE);
    const loc = this.reduce(open.loc);
    const strip = this.yy.stripFlags(open.text, close.text);
    return { node: withOpen ? { open: open.text, path, params, hash, blockParams, strip } : { path, params, hash, blockParams, strip }, loc };
  }

  private block(): Any {
    const open = this.openBlock(true);
    const program = this.program();
    const inverse = this.inverseChain();
    const endOpen = this.shift(OPEN_ENDBLOCK);
    const endPath = this.helperName();
    const endClose = this.shift(CLOSE);
    this.reduce(endOpen.loc);
    const close = { path: endPath, strip: this.yy.stripFlags(endOpen.text, endClose.text) };
    const loc = this.reduce(open.loc);
    return this.yy.prepareBlock(open.node, program.node, inverse, close, false, loc);
  }

  /** inverseChain?: `{{else if ...}} program inverseChain?` | `{{else}} program` | nothing */
  private inverseChain(): Any {
    const tok = this.peek();
    if (tok.t === INVERSE) {
      this.shift();
      const program = this.program();
      this.reduce(tok.loc);
      return { strip: this.yy.stripFlags(tok.text, tok.text), program: program.node };
    }
    if (tok.t !== OPEN_INVERSE_CHAIN) return undefined;
    const open = this.openBlock(false);
    const program = this.program();
    const nested = this.inverseChain();
    const loc = this.reduce(open.loc);
    const inverse = this.yy.prepareBlock(open.node, program.node, nested, nested, false, loc);
    const chained = this.yy.prepareProgram([inverse], program.node.loc) as Any;
    chained.chained = true;
    return { strip: open.node.strip, program: chained, chain: true };
  }

  private partial(): Any {
    const open = this.shift();
    const name = this.peek().t === OPEN_SEXPR ? this.sexpr() : this.helperName();
    const params = this.params();
    const hash = this.hash();
    const close = this.shift(CLOSE);
    const loc = this.reduce(open.loc);
    return { type: 'PartialStatement', name, params, hash, indent: '', strip: this.yy.stripFlags(open.text, close.text), loc: this.yy.locInfo(loc) };
  }

  private params(): Any[] {
    const params: Any[] = [];
    while (PARAM_START.has(this.peek().t) && !(this.peek().t === ID && this.peek(1).t === EQUALS)) params.push(this.param());
    return params;
  }

  private param(): Any {
    return this.peek().t === OPEN_SEXPR ? this.sexpr() : this.helperName();
  }

  private sexpr(): Any {
    const open = this.shift(OPEN_SEXPR);
    const path = this.helperName();
    const params = this.params();
    const hash = this.hash();
    this.shift(CLOSE_SEXPR);
    const loc = this.reduce(open.loc);
    return { type: 'SubExpression', path, params, hash, loc: this.yy.locInfo(loc) };
  }

  private hash(): Any {
    if (!(this.peek().t === ID && this.peek(1).t === EQUALS)) return undefined;
    const pairs: Any[] = [];
    let first: Loc | undefined;
    while (this.peek().t === ID && this.peek(1).t === EQUALS) {
      const key = this.shift();
      this.shift(EQUALS);
      const value = this.param();
      const loc = this.reduce(key.loc);
      pairs.push({ type: 'HashPair', key: this.yy.id(key.text), value, loc: this.yy.locInfo(loc) });
      first ??= loc;
      this.reduce(first);
    }
    return { type: 'Hash', pairs, loc: this.yy.locInfo(this.top) };
  }

  private blockParams(): string[] | undefined {
    if (this.peek().t !== OPEN_BLOCK_PARAMS) return undefined;
    this.shift();
    const ids: string[] = [];
    do {
      const id = this.shift(ID);
      if (id.text.startsWith('[')) throw new Bail('bracketed block param');
      ids.push(id.text);
    } while (this.peek().t === ID);
    this.shift(CLOSE_BLOCK_PARAMS);
    return this.yy.id(ids) as string[];
  }

  private helperName(): Any {
    const tok = this.peek();
    const locInfo = (): hbs.AST.SourceLocation => this.yy.locInfo(tok.loc);
    switch (tok.t) {
      case ID:
        return this.yy.preparePath(false, this.pathSegments(), this.top);
      case DATA: {
        this.shift();
        const segments = this.pathSegments();
        return this.yy.preparePath(true, segments, this.reduce(tok.loc));
      }
      case STRING:
        this.shift();
        return { type: 'StringLiteral', value: tok.text, original: tok.text, loc: locInfo() };
      case NUMBER:
        this.shift();
        return { type: 'NumberLiteral', value: Number(tok.text), original: Number(tok.text), loc: locInfo() };
      case BOOLEAN:
        this.shift();
        return { type: 'BooleanLiteral', value: tok.text === 'true', original: tok.text === 'true', loc: locInfo() };
      case UNDEFINED:
        this.shift();
        return { type: 'UndefinedLiteral', original: undefined, value: undefined, loc: locInfo() };
      case NULL:
        this.shift();
        return { type: 'NullLiteral', original: null, value: null, loc: locInfo() };
      default:
        throw new Bail('unexpected token');
    }
  }

  /** ID (SEP ID)*, leaving @$ of the segments on top. */
  private pathSegments(): Any[] {
    const first = this.shift(ID);
    const segments: Any[] = [{ part: this.yy.id(first.text), original: first.text }];
    while (this.peek().t === SEP) {
      const sep = this.shift();
      const id = this.shift(ID);
      segments.push({ part: this.yy.id(id.text), original: id.text, separator: sep.text });
      this.reduce(first.loc);
    }
    return segments;
  }
}

/** The AST hb.parse(text) returns, or undefined when only hb.parse can tell (see parseTemplate). */
export function fastParse(text: string): AST | undefined {
  if (!parserModules || /[\u0000\u2028\u2029]/.test(text)) return undefined;
  try {
    const ast = new FastParser(tokenize(text), parserModules.yy).root();
    return new parserModules.WhitespaceControl().accept(ast);
  } catch {
    return undefined;
  }
}
