import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SparkifyError } from '../src/core/errors.js';
import { placeholder, TemplateEngine, type RenderEnv } from '../src/template/engine.js';
import { fastParse, HandlebarsEvaluator } from '../src/template/evaluate.js';
import { makeProject } from './support/project.js';

// The evaluator must render exactly what Handlebars renders with the options the engine uses. Each case is
// run twice on identical environments: once by hb.compile, once by the evaluator; outputs, errors (message,
// line, column) and what the helpers saw (arguments, hash and its key order, options keys, loc, `this`)
// must be equal.

type HB = typeof Handlebars;
const OPTIONS = { noEscape: true, strict: true };

/** Like the engine's root context: own properties, and toString for {{this}}. */
class ModelLike {
  readonly target = { name: 'dev', type: 'embedded', schema: 'public' };
  readonly project_name = 'proj';
  toString(): string {
    return 'THIS';
  }
}

function context(): object {
  return Object.assign(new ModelLike(), {
    name: 'Ann',
    title: 'T',
    num: 7,
    zero: 0,
    yes: true,
    no: false,
    empty: [],
    emptyStr: '',
    nothing: null,
    list: ['a', 'b', 'c'],
    nums: [1, 2],
    obj: { x: 1, y: 2, 3: 'three' },
    person: { first: 'Bo', last: 'Li', getName() { return `${(this as { first: string }).first}!`; } },
    people: [{ name: 'P1', tags: ['t1'] }, { name: 'P2', tags: [] }],
    outer: [{ label: 'L0', inner: ['x', 'y'] }, { label: 'L1', inner: ['z'] }],
    'weird key': 'W',
    fnval(this: unknown, options?: { name?: string }) {
      return `fn(${options?.name ?? ''})`;
    },
    whichPartial: 'greet',
  });
}

/** A comparable picture of a value: functions and undefined made visible (contexts are built anew per run). */
function describeValue(v: unknown): unknown {
  return JSON.parse(JSON.stringify([v], (_k, x: unknown) => (x === undefined ? '[undefined]' : typeof x === 'function' ? '[function]' : x)))[0];
}

/** What a "macros/*.js" module would export. */
function macroHelpers(log: unknown[]): Record<string, Handlebars.HelperDelegate> {
  return {
    upper: (s: unknown) => String(s).toUpperCase(),
    n: () => 5,
    plus: (a: number, b: number) => a + b,
    concat: (...a: unknown[]) => a.slice(0, -1).join(''),
    hashjson: (options: Handlebars.HelperOptions) => JSON.stringify(options.hash),
    fail: () => {
      throw new Error('boom');
    },
    pick: () => 'greet',
    rec(this: unknown, ...args: unknown[]) {
      const o = args.pop() as Record<string, any>;
      log.push({
        name: o.name,
        args: describeValue(args),
        hash: describeValue(o.hash),
        hashKeys: Object.keys(o.hash ?? {}),
        keys: Object.keys(o),
        loc: o.loc,
        fn: typeof o.fn,
        fnBlockParams: o.fn?.blockParams,
        blockParams: o.blockParams === undefined ? 'none' : (o.blockParams as unknown[]).length,
        this: this && typeof this === 'object' ? Object.keys(this) : typeof this,
        data: Object.keys(o.data ?? {}),
        index: o.data?.index,
        lookup: typeof o.lookupProperty,
      });
      return o.fn ? `R[${o.fn(this)}|${o.inverse(this)}]` : 'R';
    },
    twice(this: unknown, options: Handlebars.HelperOptions) {
      return options.fn(this) + options.fn(this);
    },
    twiceRaw(this: unknown, options: Handlebars.HelperOptions) {
      return [options.fn(this), options.fn(this)];
    },
    each2(this: unknown, list: unknown[], options: Handlebars.HelperOptions) {
      let out = '';
      list.forEach((x, i) => {
        const data = Handlebars.createFrame(options.data);
        data.idx = i;
        out += options.fn(x, { data, blockParams: [x, i] });
      });
      return out || options.inverse(this);
    },
    raw: (options: Handlebars.HelperOptions) => options.fn(undefined),
  };
}

const PARTIALS: Record<string, string> = {
  greet: 'Hello {{name}}!',
  row: '{{@index}}:{{this}}\n',
  nest: '<{{> greet}}>',
  hp: '{{a}}/{{b}}',
  ctxp: '{{target.name}}-{{this}}',
  multiline: 'line1\n{{name}}\n',
  deep: '{{#each list}}{{> row}}{{/each}}',
  missingInside: 'ok\n  {{nope}}',
  usesInline: '{{#*inline "il"}}[{{name}}]{{/inline}}{{> il}}',
  root: '{{@root.title}}:{{first}}',
};

function environment(log: unknown[]): HB {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(macroHelpers(log))) hb.registerHelper(name, fn);
  for (const [name, text] of Object.entries(PARTIALS)) hb.registerPartial(name, text);
  hb.registerDecorator('deco', (fn: unknown) => fn);
  return hb;
}

type Outcome = { output: unknown } | { error: { name: string; message: string; lineNumber?: number; column?: number } };

function outcome(fn: () => unknown): Outcome {
  try {
    return { output: fn() };
  } catch (err) {
    const e = err as Error & { lineNumber?: number; column?: number };
    return { error: { name: e.name, message: e.message, lineNumber: e.lineNumber, column: e.column } };
  }
}

function both(text: string, ctx: () => unknown = context) {
  const expectedLog: unknown[] = [];
  const expected = outcome(() => environment(expectedLog).compile(text, OPTIONS)(ctx()));
  const actualLog: unknown[] = [];
  const evaluator = new HandlebarsEvaluator(environment(actualLog));
  const template = evaluator.compile(text);
  const actual = outcome(() => template(ctx()));
  return { expected, actual, expectedLog, actualLog, fallback: template.fallback };
}

// [title, template]
const SUPPORTED: [string, string][] = [
  ['plain text', 'select 1\nfrom t\n'],
  ['empty', ''],
  ['whitespace only', '  \n\t\n'],
  ['path', 'hi {{name}}!'],
  ['triple and &', '{{{name}}} {{&name}}'],
  ['this.path, ./path, a/b, [literal]', '{{this.name}} {{./name}} {{person/first}} {{person.first}} {{[weird key]}}'],
  ['this and .', '{{this}} {{.}}'],
  ['target on the root context', '{{target.name}}.{{target.schema}} {{project_name}}'],
  ['literals as params', '{{rec "s" 1 -2.5 true false null undefined}}'],
  ['string escapes', '{{rec \'single \\\' q\' "dq \\"q\\""}}'],
  ['literal in helper position', '{{"upper" "x"}}|{{"name"}}'],
  ['numbers added like Handlebars does', '{{n}}{{n}} x{{n}}{{n}} {{num}}{{num}} {{n}}-{{n}}'],
  ['raw value of a single-statement block', '{{n}}{{#twice}}{{n}}{{/twice}}'],
  ['array from a block program', '{{#twiceRaw}}{{n}}{{/twiceRaw}}'],
  ['explicit appends: first run, middle run, trailing run', '{{n}}{{n}}{{#yes}}A{{/yes}}{{n}}{{n}}b{{#yes}}B{{/yes}}{{n}}{{n}}'],
  ['explicit append first', '{{#yes}}A{{/yes}}{{n}}{{n}}'],
  ['hash: order, =undefined, duplicates, numeric keys', '{{rec a b=1 c="x" e=person.first f=undefined b=2 9=1 2=3}}'],
  ['hash with subexpressions', '{{hashjson d=(upper "q") a=(plus 1 2)}}'],
  ['subexpressions', '{{upper (concat "a" (upper "b") name)}}'],
  ['evaluation order of params and hash', '{{rec (rec 1) (rec 2) z=(rec 3) a=(rec 4)}}'],
  ['lenient params', '{{rec missing person.missing nothing}}'],
  ['helper options, this and loc', 'x\n  {{rec name k=1}}\n{{#rec 1}}in{{else}}out{{/rec}}'],
  ['if / else', '{{#if yes}}Y{{else}}N{{/if}}{{#if zero}}Y{{else}}N{{/if}}{{#if empty}}Y{{else}}N{{/if}}{{#if list}}Y{{/if}}{{#if emptyStr}}Y{{else}}N{{/if}}'],
  ['if includeZero, unless', '{{#if zero includeZero=true}}Z{{/if}}{{#unless no}}U{{else}}nu{{/unless}}{{#unless zero includeZero=true}}u{{else}}NU{{/unless}}'],
  ['else if chain', '{{#each nums}}{{#if @first}}first{{else if @last}}last{{else}}mid{{/if}},{{/each}}'],
  ['else chain with each', '{{#if no}}x{{else each list}}{{this}}{{else}}none{{/if}}'],
  ['inverse section', '{{^no}}not{{/no}}{{^yes}}x{{else}}y{{/yes}}'],
  ['each over an array with data', '{{#each list}}{{@index}},{{@first}},{{@last}},{{this}};{{/each}}'],
  ['each: numbers and booleans added', '{{#each list}}{{@index}}{{@first}}{{@last}}{{this}};{{/each}}'],
  ['each over an object', '{{#each obj}}{{@key}}={{this}}{{#unless @last}},{{/unless}}{{/each}}'],
  ['each with else', '{{#each empty}}x{{else}}none{{/each}}{{#each nothing}}x{{else}}nil{{/each}}'],
  ['each with block params', '{{#each people as |p i|}}{{i}}:{{p.name}}{{p.missing}};{{/each}}'],
  ['nested each with ../ and @../index', '{{#each outer}}{{#each inner}}{{@../index}}.{{@index}}={{this}}({{../label}}/{{../../title}}) {{/each}}{{/each}}'],
  ['@root inside blocks', '{{#each list}}{{@root.title}}{{/each}}'],
  ['../ where if keeps the context', '{{#each list}}{{#if @first}}{{../title}}{{/if}}{{/each}}'],
  ['with', '{{#with person}}{{first}} {{../title}}{{/with}}{{#with person as |p|}}{{p.last}}{{/with}}{{#with missing}}x{{else}}none{{/with}}'],
  ['helper sees blockParams in a program that uses them', '{{#each list as |x|}}{{rec x}}{{/each}}{{rec 1}}'],
  ['custom block helper with block params and data', '{{#each2 list as |x i|}}{{i}}{{x}}{{@idx}} {{/each2}}{{#each2 empty}}x{{else}}none{{/each2}}'],
  ['custom block helper inverse and fn', '{{#rec 1 k=2}}body {{name}}{{else}}inverse{{/rec}}'],
  ['blockHelperMissing on values', '{{#list}}[{{this}}]{{/list}}{{#yes}}T{{else}}F{{/yes}}{{#no}}T{{else}}F{{/no}}{{#person}}{{first}}{{/person}}{{#person.first}}{{this}}{{/person.first}}'],
  ['blockHelperMissing on a context function', '{{#fnval}}x{{/fnval}}'],
  ['context functions', '{{fnval}} {{person.getName}} {{fnval 1}}'],
  ['lookup', '{{lookup person "first"}}{{lookup list 1}}{{#with (lookup people 0)}}{{name}}{{/with}}'],
  ['partials', '{{> greet}} {{> greet (lookup people 1)}} {{> "greet"}} {{> hp a=1 b=name}}'],
  ['partial with a hash on a class context', '{{> ctxp}} {{> ctxp x=1}}'],
  ['nested partials, data in partials', '{{> nest}} {{> deep}} {{#each list}}{{> row}}{{/each}} {{#with person}}{{> root}}{{/with}}'],
  ['standalone partial is indented', 'a\n  {{> multiline}}\nb\n'],
  ['whitespace control', 'a {{~name~}} b\n  {{~#if yes~}}\n  c  \n{{~/if}}\nd {{~! comment ~}} e'],
  ['standalone blocks and comments', 'select\n{{#if yes}}\n  a,\n{{else}}\n  b,\n{{/if}}\n  {{! a comment }}\n  {{!-- a long {{comment}} --}}\n{{#each list}}\n  {{this}}\n{{/each}}\nend\n'],
  ['CRLF line endings', 'select\r\n{{#if yes}}\r\n  a\r\n{{/if}}\r\n{{name}}\r\n'],
  ['nested each, if and partials with ../ and @index', '{{#each outer as |o oi|}}\n  {{#each o.inner}}\n    {{#if @first}}{{oi}}/{{@index}} {{../label}} {{> greet @root}}{{/if}}\n  {{/each}}\n{{/each}}'],
  ['deep paths through arrays', '{{people.0.name}} {{list.length}}'],
  // errors
  ['strict: missing property with line/column', 'select\n  {{missing}}'],
  ['strict: missing last segment', '{{person.missing}}'],
  ['strict: missing intermediate', '{{missing.x}}'],
  ['intermediate of a param', '{{rec person.missing.deeper}}'],
  ['strict: unknown helper', 'a\n{{#each people}}\n{{nohelper 1}}\n{{/each}}'],
  ['strict: a string context', '{{#each list}}{{nohelper 1}}{{/each}}'],
  ['strict: @data outside a block', '{{@index}}'],
  ['strict: ../ above the root', '{{../up}}'],
  ['strict: missing inside a partial', '{{> missingInside}}'],
  ['missing partial', '{{> nope}}'],
  ['helper throws', '{{fail}}'],
  ['if with two arguments', '{{#if yes no}}x{{/if}}'],
  ['each without an argument', '{{#each}}x{{/each}}'],
  ['partial on a missing context', '{{> greet missing}}'],
];

const FALLBACK: [string, string][] = [
  ['inline partial', '{{#*inline "ip"}}I{{name}}{{/inline}}{{> ip}}'],
  ['partial block', '{{#> greet}}x{{/greet}} {{#> nope}}fallback {{name}}{{/nope}}'],
  ['dynamic partial', '{{> (pick)}} {{> (lookup . "whichPartial")}}'],
  ['raw block', '{{{{raw}}}} {{name}} {{{{/raw}}}}'],
  ['decorator', '{{* deco}}{{name}}'],
  ['helperMissing by name', '{{helperMissing}}'],
  ['blockHelperMissing by name', '{{#blockHelperMissing yes}}x{{/blockHelperMissing}}'],
  ['two partial contexts (a compile error)', '{{> greet a b}}'],
  ['@partial-block', '{{> @partial-block}}'],
];

describe('HandlebarsEvaluator equals hb.compile(text, {noEscape: true, strict: true})', () => {
  it.each(SUPPORTED)('%s', (_title, text) => {
    const r = both(text);
    expect(r.fallback).toBeUndefined();
    expect(r.actual).toEqual(r.expected);
    expect(r.actualLog).toEqual(r.expectedLog);
  });

  it('errors keep the shape engine.ts parses: message " - L:C", lineNumber, column', () => {
    const r = both('select 1\nfrom x\n  where {{ nope }}');
    expect(r.actual).toEqual({ error: { name: 'Error', message: '"nope" not defined in THIS - 3:11', lineNumber: 3, column: 11 } });
    expect(r.actual).toEqual(r.expected);
  });

  it.each(FALLBACK)('falls back to hb.compile: %s', (_title, text) => {
    const r = both(text);
    expect(r.fallback).toBeTypeOf('string');
    expect(r.actual).toEqual(r.expected);
  });

  it('a string partial the evaluator cannot run is compiled by Handlebars, the template is still evaluated', () => {
    const r = both('[{{> usesInline}}]');
    expect(r.fallback).toBeUndefined();
    expect(r.actual).toEqual({ output: '[[Ann]]' });
    expect(r.actual).toEqual(r.expected);
  });

  it('prototype properties are denied as in Handlebars', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      class WithProto {
        own = 1;
        get viaGetter(): string {
          return 'G';
        }
        method(): string {
          return 'M';
        }
      }
      const r = both('{{own}}[{{viaGetter}}][{{rec method}}][{{toString}}]', () => new WithProto());
      expect(r.actual).toEqual(r.expected);
      expect(r.actualLog).toEqual(r.expectedLog);
    } finally {
      error.mockRestore();
    }
  });

  it('shares an environment with hb.compile (partials compiled by Handlebars, function partials)', () => {
    const log: unknown[] = [];
    const hb = environment(log);
    hb.registerPartial('fnp', ((ctx: { name?: string }) => `F(${ctx?.name})`) as unknown as Handlebars.Template);
    const evaluator = new HandlebarsEvaluator(hb);
    const texts = ['{{> greet}}|{{> nest}}|{{> fnp}}', '{{#each list}}{{> row}}{{/each}}', '  {{> multiline}}\n{{> hp a=1 b=2}}'];
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        const expected = hb.compile(text, OPTIONS)(context());
        // After the first round Handlebars has replaced the string partials by compiled functions.
        expect(evaluator.compile(text)(context())).toBe(expected);
      }
    }
    expect(typeof hb.partials.greet).toBe('function');
  });
});

/** Random templates from the supported constructs (seeded, so a failure is reproducible). */
function randomTemplates(count: number, seed: number): string[] {
  let s = seed >>> 0 || 1;
  const rand = (n: number): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const tilde = (): string => (rand(4) === 0 ? '~' : '');
  const space = (): string => pick(['', ' ', '\n', '  \n', '\n  ', '\r\n']);
  const paths = ['name', 'num', 'zero', 'yes', 'no', 'list', 'nums', 'obj', 'person', 'person.first', 'people', 'outer', 'this', '.', 'missing', '@index', '@key', '@first', '@root.title', '../title', 'title', 'first', 'label', 'inner', 'emptyStr', 'nothing'];
  const literals = ['"s"', '1', '-2', 'true', 'false', 'null', 'undefined', "'q'"];
  const param = (d: number): string =>
    rand(5) === 0 && d < 2 ? `(${pick(['upper', 'concat', 'plus', 'rec', 'lookup'])} ${param(d + 1)} ${param(d + 1)})` : rand(3) === 0 ? pick(literals) : pick(paths);
  const hash = (): string => (rand(3) === 0 ? ` ${pick(['a', 'b', 'k'])}=${param(1)}${rand(2) ? ` ${pick(['c', 'a'])}=${param(1)}` : ''}` : '');
  const mustache = (): string => {
    switch (rand(6)) {
      case 0:
        return `{{${tilde()}${pick(paths)}${tilde()}}}`;
      case 1:
        return `{{{${pick(paths)}}}}`;
      case 2:
        return `{{${tilde()}${pick(['upper', 'concat', 'rec', 'plus', 'hashjson', 'lookup', 'n', 'fnval'])} ${param(0)}${hash()}${tilde()}}}`;
      case 3:
        return `{{${pick(['n', 'fnval', 'rec', 'name', 'title'])}}}`;
      case 4:
        return `{{> ${pick(['greet', 'row', 'hp', 'root', 'nest'])}${rand(2) ? ` ${pick(['person', '.', '@root'])}` : ''}${rand(3) ? '' : ' a=1 b=name'}}}`;
      default:
        return `{{!${pick([' c ', '-- long --', ''])}}}`;
    }
  };
  const block = (d: number): string => {
    const kind = pick(['if', 'unless', 'each', 'with', 'twice', 'rec', 'each2', 'list', 'yes', 'person']);
    const arg =
      kind === 'each' || kind === 'each2' ? pick(['list', 'nums', 'obj', 'people', 'outer', 'empty', 'inner']) : kind === 'twice' || kind === 'list' || kind === 'yes' || kind === 'person' ? '' : param(0);
    const bp = (kind === 'each' || kind === 'each2' || kind === 'with') && rand(3) === 0 ? ' as |it ix|' : '';
    const inc = kind === 'if' && rand(4) === 0 ? ' includeZero=true' : '';
    const inverse =
      rand(3) === 0
        ? `${space()}{{${tilde()}else${tilde()}}}${space()}${body(d + 1)}`
        : kind === 'if' && rand(4) === 0
          ? `{{${tilde()}else if ${param(0)}${tilde()}}}${space()}${rand(2) ? body(d + 1) : ''}${rand(2) ? `{{else}}${body(d + 1)}` : ''}`
          : '';
    return `{{${tilde()}#${kind}${arg ? ` ${arg}` : ''}${inc}${bp}${tilde()}}}${space()}${body(d + 1)}${inverse}${space()}{{${tilde()}/${kind}${tilde()}}}`;
  };
  const body = (d: number): string => {
    let out = '';
    const n = 1 + rand(4);
    for (let i = 0; i < n; i++) {
      const r = rand(10);
      out += r < 3 ? pick(['select ', 'a,', ' b ', '\n', '  x\n', '-- c\n']) : r < 7 || d >= 3 ? mustache() : block(d);
      out += space();
    }
    return out;
  };
  return Array.from({ length: count }, () => body(0));
}

describe('HandlebarsEvaluator on random templates', () => {
  const templates = randomTemplates(400, 20261122);
  it('renders like hb.compile (outputs, errors and helper calls)', () => {
    let outputs = 0;
    for (const text of templates) {
      const r = both(text);
      expect({ text, fallback: r.fallback, outcome: r.actual, log: r.actualLog }).toEqual({ text, fallback: undefined, outcome: r.expected, log: r.expectedLog });
      if ('output' in r.actual) outputs++;
    }
    // The corpus is not all errors.
    expect(outputs).toBeGreaterThan(templates.length / 4);
  });
});

/** Bits of syntax, valid and not, for the parser: glued at random they make odd templates too. */
const SYNTAX = [
  '{{a}}', '{{ a }}', '{{~a~}}', '{{{a}}}', '{{~{a}~}}', '{{&a}}', '{{a.b}}', '{{a/b}}', '{{../a}}', '{{./a}}', '{{this/a}}', '{{@index}}',
  '{{@../index}}', '{{@root.a}}', '{{[a b]}}', '{{a.[b c]}}', '{{.}}', '{{..}}', '{{this}}', '{{h 1 -2 1.5 "s" \'t\' true false null undefined}}',
  '{{h "q\\"q"}}', '{{h a=1 b=(c d e=f)}}', '{{h (c) (d (e))}}', '{{h x=y}}', '{{#if a}}', '{{/if}}', '{{else}}', '{{~else~}}', '{{ else }}',
  '{{else if b}}', '{{^}}', '{{#each xs as |x i|}}', '{{/each}}', '{{#with a as | b |}}', '{{/with}}', '{{> p}}', '{{> p a}}', '{{> p a=1}}',
  '{{> "p"}}', '{{> (d)}}', '{{! c }}', '{{!-- c {{x}} --}}', '{{!--}}', '{{~! c ~}}', '{{^a}}', '{{/a}}', '{{#a}}', '{{{{r}}}}', '{{{{/r}}}}',
  '\\{{a}}', '\\\\{{a}}', '{{#*inline "i"}}', '{{/inline}}', '{{#> p}}', '{{/p}}', '{{*d}}', '{{a', '}}', '{', '}', '{{#if}}', '{{h a=}}',
  '{{h 1a}}', '{{true}}', '{{h true.x}}', '{{h -}}', '{{h as}}', '{{h a|b}}', 'text', ' ', '\n', '  \n', '\r\n', '\t', '\u2028', 'é',
];

function randomSyntax(count: number, seed: number): string[] {
  let s = seed >>> 0 || 1;
  const rand = (n: number): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  return Array.from({ length: count }, () => Array.from({ length: 1 + rand(8) }, () => SYNTAX[rand(SYNTAX.length)]).join(''));
}

describe('fastParse returns what hb.parse returns', () => {
  const hb = Handlebars.create();
  const check = (text: string): 'parsed' | 'left to hb.parse' => {
    const fast = fastParse(text);
    if (fast === undefined) return 'left to hb.parse';
    // A template fastParse accepts must be valid, and its AST (locations, strip flags, whitespace) the same.
    expect({ text, ast: fast }).toStrictEqual({ text, ast: hb.parse(text) });
    return 'parsed';
  };

  it('on the corpus above', () => {
    const all = [...SUPPORTED, ...FALLBACK, ...Object.entries(PARTIALS)].map(([, text]) => text);
    const results = all.map(check);
    expect(results.filter((r) => r === 'parsed').length).toBeGreaterThan(SUPPORTED.length - 5);
  });

  it('on chains, standalone lines and empty programs (Jison locations)', () => {
    for (const text of [
      '{{#if a}}{{else if b}}{{else if c}}{{/if}}',
      '{{#if a}}\n  x\n{{else if b}}\n{{else}}\n  z\n{{/if}}\n',
      '{{#if a}}x{{~else if b~}}y{{~else~}}z{{/if}}',
      '{{#each a}}{{else}}{{/each}}',
      '{{#if a}}{{/if}}',
      'a\r\n  {{#if a}}\r\n  b\r\n  {{/if}}\r\n',
      '{{#if a}}{{#if b}}{{else if c}}x{{/if}}{{/if}}',
      '  {{> p}}  \n  {{! c }}\n{{!-- x --}}  \n',
      '{{h a=1\n  b=2}}\n{{#with\n  x as |y|\n}}{{y}}{{/with}}',
    ]) {
      expect(check(text)).toBe('parsed');
    }
  });

  it('on random templates and random syntax', () => {
    const texts = [...randomTemplates(400, 7), ...randomSyntax(3000, 11)];
    const results = texts.map(check);
    expect(results.filter((r) => r === 'parsed').length).toBeGreaterThan(600);
  });

  it('leaves errors and rare syntax to hb.parse', () => {
    for (const text of ['{{a', '{{#if a}}', '{{/if}}', '{{#if a}}{{/each}}', '\\{{a}}', '{{{{raw}}}}{{{{/raw}}}}', '{{^a}}{{/a}}', '{{#> p}}{{/p}}', '{{* d}}', 'a\u2028{{b}}']) {
      expect(fastParse(text)).toBeUndefined();
    }
  });
});

describe('TemplateEngine renders with the evaluator', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const renderEnv: RenderEnv = {
    projectName: 'proj',
    target: { name: 'dev', type: 'embedded', schema: 'public' },
    vars: { start: '2018-11-01' },
    env: { REGION: 'us-west-2' },
  };

  async function engine(): Promise<TemplateEngine> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-template-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'macros'));
    const helpersJs = 'export function shout(s) { return String(s).toUpperCase(); }\nexport const twice = (s) => `${s}${s}`;\n';
    fs.writeFileSync(path.join(dir, 'macros', 'helpers.js'), helpersJs);
    return TemplateEngine.create(
      renderEnv,
      [
        { file: 'macros/cents.sql', relPath: 'cents.sql', text: '({{column}} / 100.0)' },
        { file: 'macros/helpers.js', relPath: 'helpers.js', text: helpersJs },
      ],
      dir,
    );
  }

  it('ref/source/this placeholders, config capture, macros, vars', async () => {
    const e = await engine();
    const text = [
      '{{config materialized="table" tags="a"}}',
      "select {{> cents column=\"amount\"}} as dollars, '{{shout target.name}}' as t, '{{var \"start\"}}' as s, '{{env \"REGION\"}}' as r",
      'from {{ref "stg_orders"}} o join {{source "raw" "events"}} e on true',
      '{{#if (is_incremental)}}where x > (select max(x) from {{this}}){{/if}}',
    ].join('\n');
    const r = e.render('models/m.sql', text, { isIncremental: true });
    expect(r.sql).toBe(
      [
        '',
        "select (amount / 100.0) as dollars, 'DEV' as t, '2018-11-01' as s, 'us-west-2' as r",
        `from ${placeholder.ref('stg_orders')} o join ${placeholder.source('raw', 'events')} e on true`,
        `where x > (select max(x) from ${placeholder.this})`,
      ].join('\n'),
    );
    expect(r.config).toEqual({ materialized: 'table', tags: 'a' });
    expect(r.configLocation).toEqual({ file: 'models/m.sql', line: 1, column: 1 });
    expect(r.refs).toEqual([{ name: 'stg_orders', location: { file: 'models/m.sql', line: 3, column: 6 } }]);
    expect(r.sources).toEqual([{ source: 'raw', table: 'events', location: { file: 'models/m.sql', line: 3, column: 34 } }]);
    expect(r.usesIsIncremental).toBe(true);
    expect(e.render('models/m.sql', text).sql).not.toContain('where x');
  });

  it('a ref error names the line and column of the {{ref}} (options.loc), with lineOffset', async () => {
    const e = await engine();
    const err = (() => {
      try {
        e.render('tests/t.sql', 'select 1\n  from {{ref}}', { lineOffset: 10 });
      } catch (x) {
        return x;
      }
    })();
    expect(err).toBeInstanceOf(SparkifyError);
    expect((err as SparkifyError).message).toBe('ref takes a model name: {{ref "model_name"}}');
    expect((err as SparkifyError).location).toEqual({ file: 'tests/t.sql', line: 12, column: 8 });
  });

  it('a missing name is a template error at its line and column', async () => {
    const e = await engine();
    expect(() => e.render('models/m.sql', 'select\n   {{nope}}')).toThrowError(/template error: "nope" is not defined/);
    try {
      e.render('models/m.sql', 'select\n   {{nope}}');
    } catch (x) {
      expect((x as SparkifyError).location).toEqual({ file: 'models/m.sql', line: 2, column: 6 });
    }
    expect(() => e.render('models/m.sql', 'select {{var "undefined_var"}}')).toThrowError(/var 'undefined_var' is not defined/);
  });

  it('syntax errors are reported as before', async () => {
    const e = await engine();
    expect(() => e.render('models/m.sql', 'select\n{{#if x}}\n1')).toThrowError(SparkifyError);
    try {
      e.render('models/m.sql', 'select\n{{#if x}}\n1');
    } catch (x) {
      expect((x as SparkifyError).message).toMatch(/^Handlebars syntax error/);
    }
  });

  it('templates that fall back to hb.compile still capture refs and config', async () => {
    const e = await engine();
    const r = e.render('models/m.sql', '{{#*inline "src"}}{{ref "a"}}{{/inline}}{{config materialized="view"}}select * from {{> src}}');
    expect(r.sql).toBe(`select * from ${placeholder.ref('a')}`);
    expect(r.refs.map((x) => x.name)).toEqual(['a']);
    expect(r.config).toEqual({ materialized: 'view' });
  });

  it('renders the same template text twice from the cache', async () => {
    const e = await engine();
    const text = 'select * from {{ref "a"}}';
    expect(e.render('models/a.sql', text).refs).toHaveLength(1);
    expect(e.render('models/b.sql', text).refs).toEqual([{ name: 'a', location: { file: 'models/b.sql', line: 1, column: 15 } }]);
  });
});

describe('errors inside partials name the partial file and line, then the include chain', () => {
  const renderEnv: RenderEnv = {
    projectName: 'proj',
    target: { name: 'dev', type: 'embedded', schema: 'public' },
    vars: { known: 'k' },
    env: {},
  };
  const model = 'models/marts/dim_users.sql';
  // Line 3, column 5 of each macro holds the failing tag; `inline` makes a template Handlebars-compiled.
  const macros: Record<string, string> = {
    bad_var: 'select\n  a,\n    {{var "x"}} as x\n',
    bad_ref: 'select\n  a\n    {{ref}}\n',
    bad_env: '--\n--\n    {{env 42}}\n',
    bad_name: '--\n--\n    {{nope}}\n',
    refs: '--\n--\n    {{ref "stg_users"}} {{source "raw" "events"}}\n',
    outer: '-- outer\n  {{> bad_var}}\n',
    outer_refs: '-- outer\n\n  {{> refs}}\n',
    missing: '--\n--\n    {{> nope}}\n',
    inline_bad: '{{#*inline "i"}}i{{/inline}}\n--\n    {{var "x"}} {{> i}}\n',
    inline_outer: '{{#*inline "i"}}i{{/inline}}{{> i}}\n  {{> bad_var}}\n',
  };
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function fresh(): Promise<TemplateEngine> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-partials-'));
    dirs.push(dir);
    const files = Object.entries(macros).map(([name, text]) => ({ file: `macros/${name}.sql`, relPath: `${name}.sql`, text }));
    return TemplateEngine.create(renderEnv, files, dir);
  }

  function failure(e: TemplateEngine, text: string): SparkifyError {
    try {
      e.render(model, text);
    } catch (x) {
      expect(x).toBeInstanceOf(SparkifyError);
      return x as SparkifyError;
    }
    throw new Error('rendered without an error');
  }

  // Seven lines, the partial included on line 7 at column 3; the second variant is Handlebars-compiled.
  const evaluated = (partial: string): string => `{{config materialized="table"}}\n\n\n\n\nselect *\n  {{> ${partial}}}\n`;
  const compiled = (partial: string): string => `{{#*inline "z"}}z{{/inline}}{{> z}}\n\n\n\n\nselect *\n  {{> ${partial}}}\n`;
  const paths = [
    ['the AST evaluator', evaluated],
    ['the Handlebars-compiled fallback', compiled],
  ] as const;

  for (const [label, modelText] of paths) {
    describe(label, () => {
      it('a helper error (undefined var, bad ref and env arguments) is at the partial line, included from the model', async () => {
        const e = await fresh();
        const includedFrom = { file: model, line: 7, column: 3 };
        const v = failure(e, modelText('bad_var'));
        expect(v.message).toBe("var 'x' is not defined and has no default");
        expect(v.location).toEqual({ file: 'macros/bad_var.sql', line: 3, column: 5, includedFrom });
        expect(v.format().split('\n').slice(0, 2)).toEqual([
          "macros/bad_var.sql:3:5: var 'x' is not defined and has no default",
          '  included from models/marts/dim_users.sql:7:3',
        ]);
        expect(failure(e, modelText('bad_ref')).location).toEqual({ file: 'macros/bad_ref.sql', line: 3, column: 5, includedFrom });
        expect(failure(e, modelText('bad_env')).location).toEqual({ file: 'macros/bad_env.sql', line: 3, column: 5, includedFrom });
      });

      it('a name that is not defined (a Handlebars strict-mode error) is at the partial line', async () => {
        const err = failure(await fresh(), modelText('bad_name'));
        expect(err.message).toMatch(/^template error: "nope" is not defined/);
        // Handlebars reports the column of the path, inside the braces.
        expect(err.location).toEqual({ file: 'macros/bad_name.sql', line: 3, column: 7, includedFrom: { file: model, line: 7, column: 3 } });
      });

      it('nested partials: the innermost file first, then each {{> }} outwards', async () => {
        const err = failure(await fresh(), modelText('outer'));
        expect(err.location).toEqual({
          file: 'macros/bad_var.sql', line: 3, column: 5,
          includedFrom: { file: 'macros/outer.sql', line: 2, column: 3, includedFrom: { file: model, line: 7, column: 3 } },
        });
        expect(err.format().split('\n').slice(0, 3)).toEqual([
          "macros/bad_var.sql:3:5: var 'x' is not defined and has no default",
          '  included from macros/outer.sql:2:3',
          '  included from models/marts/dim_users.sql:7:3',
        ]);
      });

      it('a partial that is not defined is reported at the {{> }} inside the partial', async () => {
        const err = failure(await fresh(), modelText('missing'));
        expect(err.message).toMatch(/The partial nope could not be found/);
        expect(err.location).toEqual({ file: 'macros/missing.sql', line: 3, column: 5, includedFrom: { file: model, line: 7, column: 3 } });
      });

      it('refs and sources inside (nested) partials keep their partial location and include chain', async () => {
        const e = await fresh();
        const r = e.render(model, modelText('outer_refs'));
        const includedFrom = { file: 'macros/outer_refs.sql', line: 3, column: 3, includedFrom: { file: model, line: 7, column: 3 } };
        expect(r.refs).toEqual([{ name: 'stg_users', location: { file: 'macros/refs.sql', line: 3, column: 5, includedFrom } }]);
        expect(r.sources).toEqual([{ source: 'raw', table: 'events', location: { file: 'macros/refs.sql', line: 3, column: 25, includedFrom } }]);
        // Outside the partial, locations are the model's own again.
        const after = e.render(model, `${modelText('refs')}{{ref "late"}}`);
        expect(after.refs[1]).toEqual({ name: 'late', location: { file: model, line: 8, column: 1 } });
      });

      it('a partial Handlebars compiles (it has an inline partial) reports its own lines, nested too', async () => {
        const e = await fresh();
        expect(failure(e, modelText('inline_bad')).location).toEqual({ file: 'macros/inline_bad.sql', line: 3, column: 5, includedFrom: { file: model, line: 7, column: 3 } });
        expect(failure(e, modelText('inline_outer')).location).toEqual({
          file: 'macros/bad_var.sql', line: 3, column: 5,
          includedFrom: { file: 'macros/inline_outer.sql', line: 2, column: 3, includedFrom: { file: model, line: 7, column: 3 } },
        });
      });

      it('the same macro rendered through a partial cache twice gives the same location', async () => {
        const e = await fresh();
        expect(failure(e, modelText('bad_var')).location).toEqual(failure(e, modelText('bad_var')).location);
        expect(e.render(model, modelText('refs')).refs[0]!.location.file).toBe('macros/refs.sql');
      });
    });
  }

  it('a Handlebars syntax error in a macro file is at its line in the macro file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-partials-'));
    dirs.push(dir);
    const bad = { file: 'macros/broken.sql', relPath: 'broken.sql', text: 'select\n  a,\n  {{#if x}}b\n' };
    const err = await TemplateEngine.create(renderEnv, [bad], dir).then(() => undefined, (x: unknown) => x);
    expect(err).toBeInstanceOf(SparkifyError);
    expect((err as SparkifyError).message).toMatch(/^Handlebars syntax error/);
    expect((err as SparkifyError).location?.file).toBe('macros/broken.sql');
    expect((err as SparkifyError).location?.line).toBe(4);
  });

  it('a Handlebars error at the top level of a template cut out of a file counts lineOffset', async () => {
    const e = await fresh();
    try {
      e.render('tests/t.sql', 'select\n {{nope}}', { lineOffset: 10 });
      throw new Error('rendered');
    } catch (x) {
      expect((x as SparkifyError).location).toEqual({ file: 'tests/t.sql', line: 12, column: 4 });
    }
  });
});

describe('the partial hook', () => {
  it('sees every include site on both paths; Handlebars-compiled templates still render as hb.compile does', () => {
    const partials = { greet: 'Hi {{name}}{{#if x}} x={{x}}{{/if}}\n', nest: '[{{> greet}}]', multi: 'l1\nl2\n' };
    const ctx = { name: 'Ann', list: [{ name: 'p' }, { name: 'q', x: 2 }] };
    const cases = [
      // An inline partial shadows `greet` inside the registered partial `nest` too, as in Handlebars.
      ['{{#*inline "greet"}}I{{/inline}}A\n  {{> multi}}\nB {{> nest name="N" x=1}} {{#each list}}{{> nest}}{{/each}} {{> greet}}\n  {{> nest}}\n', 'multi@2:3 nest@3:3 nest@3:41 nest@3:41 nest@4:3'],
      ['{{#*inline "q"}}q{{/inline}}A\n  {{> multi}}\nB {{> nest x=1}} {{#each list}}{{> nest}}{{/each}}', 'multi@2:3 nest@3:3 greet@1:2 nest@3:32 greet@1:2 nest@3:32 greet@1:2'],
      ['A\n  {{> multi}}\nB {{> nest x=1}} {{#each list}}{{> nest}}{{/each}}', 'multi@2:3 nest@3:3 greet@1:2 nest@3:32 greet@1:2 nest@3:32 greet@1:2'],
    ] as const;
    for (const [text, expectedSites] of cases) {
      const plain = Handlebars.create();
      const hooked = Handlebars.create();
      for (const [k, v] of Object.entries(partials)) {
        plain.registerPartial(k, v);
        hooked.registerPartial(k, v);
      }
      const sites: string[] = [];
      const ev = new HandlebarsEvaluator(hooked, (name, site, invoke) => {
        sites.push(`${name}@${site.line}:${site.column}`);
        return invoke();
      });
      expect(ev.compile(text)(ctx)).toBe(plain.compile(text, OPTIONS)(ctx));
      expect(sites.join(' ')).toBe(expectedSites);
      // The registered partials are left as strings (Handlebars would replace them by compiled functions).
      expect(typeof hooked.partials.nest).toBe('string');
    }
  });
});

describe('sparkify compile (the built CLI) reports an error in a partial at the partial line', () => {
  it('a ref that matches no model, in a macro the model includes on line 7', async () => {
    const p = makeProject({ withDatabase: false });
    try {
      p.write('macros/latest.sql', '-- keep the latest row\n\n    {{ref "stg_userz"}}\n');
      const lines = p.read('models/marts/dim_users.sql').split('\n');
      lines[6] = '        {{> latest}} last_name,';
      p.write('models/marts/dim_users.sql', lines.join('\n'));
      const r = await p.run('compile');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "macros/latest.sql:3:5: ref 'stg_userz' does not match any model or seed\n  included from models/marts/dim_users.sql:7:9\n",
      );
    } finally {
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
  });
});
