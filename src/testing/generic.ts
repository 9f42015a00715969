import { createHash } from 'node:crypto';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { SparkifyError, didYouMean } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';
import type { ProjectFile } from '../project/load.js';
import { placeholder } from '../template/engine.js';

/**
 * Generic data tests, built-in and custom alike: a template (`tests/generic/<name>.sql`) returning the failing
 * rows, which declares its parameters in a first-line comment, as dbt's `{% test name(model, column_name,
 * ...) %}` does:
 *
 *     {{!-- test is_between(model, column_name, min_value, max_value, inclusive=true) --}}
 *     select * from {{model}} where not ({{column_name}} between {{min_value}} and {{max_value}})
 *
 * A parameter without a default is required; `name=value` gives a default (a YAML value: 1, 'text', true,
 * none, [a, b]). A parameter may name a type, `name: type`, for what a template cannot do itself:
 *   - `column`: an identifier, quoted by the target dialect's policy (`field: column` in relationships);
 *   - `relation`: ref('model'), source('src', 'table') or a bare model name, as the relation it names;
 *   - `literal` / `literals`: a value (a list of values) as SQL literals: strings quoted, their quotes doubled,
 *     numbers and booleans bare (strings as written when the test's `quote` argument is false, as
 *     accepted_values does in dbt).
 * Untyped string arguments that are exactly ref('x') or source('a', 'b') become relations too (dbt renders
 * them); everything else reaches the template as the YAML gives it.
 *
 * A YAML test becomes one Handlebars call of the test's partial with its arguments as hash parameters
 * (`{{> is_between model=... column_name=... min_value=0 max_value=10}}`), so compile checks the arguments
 * against the signature before anything renders, and a template error names the generic test's own file
 * and line, included from the YAML line.
 */

export type ParamType = 'column' | 'relation' | 'literal' | 'literals';
const PARAM_TYPES: readonly ParamType[] = ['column', 'relation', 'literal', 'literals'];

export interface GenericParam {
  name: string;
  type?: ParamType;
  /** Present when the parameter is optional. */
  default?: { value: unknown };
}

export interface GenericTestDef {
  name: string;
  file: string;
  params: GenericParam[];
}

/** Where the tested relation goes in a rendered test; compile replaces it once `where` is known. */
export const MODEL_MARK = '\u0002model\u0002';

const SIGNATURE_RE = /^\s*\{\{!(?:--)?\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*?)\)\s*(?:--)?\}\}/;

/** A generic test file's declared name and parameters; an error at the file's line when it has none. */
export function parseGenericTest(f: ProjectFile): GenericTestDef {
  const name = path.basename(f.file, '.sql');
  const at = (line: number): SourceLocation => ({ file: f.file, line, column: 0 });
  const example = `{{!-- test ${name}(model, column_name) --}}`;
  const m = SIGNATURE_RE.exec(f.text);
  if (!m) {
    const first = f.text.split('\n').findIndex((l) => l.trim() !== '') + 1 || 1;
    throw new SparkifyError(`generic test ${name} does not declare its parameters`, {
      location: at(first),
      hint: `Start the file with its signature, as dbt's {% test %} block does: ${example} (add your own, e.g. min_value, max_value=100).`,
    });
  }
  const line = f.text.slice(0, m.index + m[0].indexOf('test')).split('\n').length;
  if (m[1] !== name) {
    throw new SparkifyError(`${f.file} declares test '${m[1]}', but a generic test is named by its file`, {
      location: at(line),
      hint: `Rename the file to ${m[1]}.sql, or write {{!-- test ${name}(...) --}}.`,
    });
  }
  const params: GenericParam[] = [];
  for (const raw of splitTopLevel(m[2]!)) {
    const p = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([A-Za-z_]+))?\s*(?:=\s*([\s\S]+))?$/.exec(raw.trim());
    if (!p) throw new SparkifyError(`generic test ${name}: cannot read parameter '${raw.trim()}'`, { location: at(line), hint: `Parameters are name, name=default or name: type (${PARAM_TYPES.join(', ')}).` });
    const [, pname, type, dflt] = p;
    if (params.some((q) => q.name === pname)) throw new SparkifyError(`generic test ${name} declares parameter '${pname}' twice`, { location: at(line) });
    if (type !== undefined && !(PARAM_TYPES as readonly string[]).includes(type)) {
      throw new SparkifyError(`generic test ${name}: unknown parameter type '${type}'`, { location: at(line), hint: `Types are ${PARAM_TYPES.join(', ')}. ${didYouMean(type, PARAM_TYPES)}` });
    }
    if ((pname === 'model' || pname === 'column_name') && (type !== undefined || dflt !== undefined)) {
      throw new SparkifyError(`generic test ${name}: '${pname}' is given by where the test is declared; it takes no type or default`, { location: at(line) });
    }
    const param: GenericParam = { name: pname!, ...(type ? { type: type as ParamType } : {}) };
    if (dflt !== undefined) param.default = { value: parseDefault(dflt.trim(), name, pname!, at(line)) };
    params.push(param);
  }
  if (params[0]?.name !== 'model') {
    throw new SparkifyError(`generic test ${name}: the first parameter must be model (the relation it tests)`, { location: at(line), hint: `Write ${example}.` });
  }
  return { name, file: f.file, params };
}

function parseDefault(text: string, test: string, param: string, location: SourceLocation): unknown {
  if (/^none$/i.test(text)) return null;
  try {
    return jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    throw new SparkifyError(`generic test ${test}: the default of '${param}' is not a value: ${text}`, { location, hint: "Defaults are YAML values: 10, 'text', true, none, [a, b]." });
  }
}

/** Split at commas outside brackets and quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[' || ch === '(' || ch === '{') depth++;
    else if (ch === ']' || ch === ')' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export type TestTarget = { kind: 'ref'; name: string } | { kind: 'source'; source: string; table: string };

export interface GenericTestCall {
  def: GenericTestDef;
  target: TestTarget;
  /** The column the test is declared under, and its `quote` property. */
  column?: { name: string; quote?: boolean };
  /** The test's arguments as the YAML gives them (column_name included when written as one). */
  kwargs: Record<string, unknown>;
  /** The YAML's `name:` for this test, replacing the synthesized one. */
  name?: string;
  /** The warehouse dialect's identifier quoting (the one policy for models, tests and materializations). */
  quote: (identifier: string) => string;
  location: SourceLocation;
}

export interface GenericTestPlan {
  name: string;
  /** The Handlebars call that renders the test: `{{> name model=... ...}}`. */
  call: string;
  /** Relations its arguments name (the tested one first). */
  refs: string[];
  sources: { source: string; table: string }[];
}

/** Check a YAML test's arguments against its generic test's signature, and write the call that renders it. */
export function planGenericTest(c: GenericTestCall): GenericTestPlan {
  const { def, location } = c;
  const refs: string[] = [];
  const sources: { source: string; table: string }[] = [];
  if (c.target.kind === 'ref') refs.push(c.target.name);
  else sources.push({ source: c.target.source, table: c.target.table });
  const declared = new Set(def.params.map((p) => p.name));
  const fail = (message: string, hint?: string): SparkifyError => new SparkifyError(message, { location, ...(hint ? { hint } : {}) });
  const takes = def.params.filter((p) => p.name !== 'model').map((p) => `${p.name}${p.type ? `: ${p.type}` : ''}${p.default ? `=${JSON.stringify(p.default.value)}` : ''}`);
  const signature = `${def.name}(${['model', ...takes].join(', ')}) in ${def.file}`;

  if ('model' in c.kwargs) throw fail(`test ${def.name}: 'model' is the relation the test is declared on, not an argument`, 'Declare the test under the model (or source, or seed) it tests.');
  for (const k of Object.keys(c.kwargs)) {
    if (!declared.has(k)) {
      throw fail(`test ${def.name} has no argument '${k}'`, `${didYouMean(k, [...declared].filter((n) => n !== 'model')) || `It takes: ${takes.join(', ') || 'no arguments'}`} (${signature}).`);
    }
  }
  if (c.column && !declared.has('column_name')) {
    throw fail(`test ${def.name} takes no column_name, but it is declared under column '${c.column.name}'`, `Declare it under the model's tests:, or add column_name to its signature (${signature}).`);
  }
  if (c.column && 'column_name' in c.kwargs) throw fail(`test ${def.name} is declared under column '${c.column.name}' and also gives column_name`, 'Keep one: the column the test sits under, or column_name on a model-level test.');
  const missing = def.params.filter((p) => p.name !== 'model' && !p.default && !(p.name in c.kwargs) && !(p.name === 'column_name' && c.column));
  if (missing.length) {
    throw fail(
      `test ${def.name} is missing ${missing.length > 1 ? 'arguments' : 'argument'} ${missing.map((p) => `'${p.name}'`).join(', ')}`,
      missing.some((p) => p.name === 'column_name') ? `Declare it under a column, or give column_name (${signature}).` : `Give ${missing.map((p) => `${p.name}: ...`).join(', ')} (${signature}).`,
    );
  }

  const hash: string[] = [`model=${hbString(MODEL_MARK, location)}`];
  for (const p of def.params) {
    if (p.name === 'model') continue;
    let expr: string;
    if (p.name === 'column_name') {
      // Under a column: that column, quoted by the dialect's policy unless its `quote` is false (dbt's
      // quote flag). Given as an argument: an SQL expression, as written (dbt).
      const value = c.column ? (c.column.quote === false ? c.column.name : c.quote(c.column.name)) : c.kwargs.column_name;
      if (typeof value !== 'string') throw fail(`test ${def.name}: column_name must be a column name or an SQL expression`);
      expr = hbString(value, location);
    } else if (p.name in c.kwargs) {
      expr = encode(p, c.kwargs[p.name], c, refs, sources);
    } else {
      expr = encode({ name: p.name }, p.default!.value, c, refs, sources);
    }
    hash.push(`${p.name}=${expr}`);
  }
  const nameArgs: Record<string, unknown> = { ...c.kwargs, ...(c.column ? { column_name: c.column.name } : {}) };
  const targetName = c.target.kind === 'ref' ? c.target.name : `source_${c.target.source}_${c.target.table}`;
  return { name: c.name ?? synthesizeTestName(def.name, targetName, nameArgs), call: `{{> ${def.name} ${hash.join(' ')}}}`, refs, sources };
}

/** One argument as a Handlebars hash value, converted as its parameter's type says. */
function encode(p: GenericParam, value: unknown, c: GenericTestCall, refs: string[], sources: { source: string; table: string }[]): string {
  const bad = (expected: string): SparkifyError =>
    new SparkifyError(`test ${c.def.name}: argument '${p.name}' must be ${expected}, not ${JSON.stringify(value)}`, { location: c.location });
  switch (p.type) {
    case 'column':
      if (typeof value !== 'string' || !value) throw bad('a column name');
      return hbString(c.quote(value), c.location);
    case 'relation': {
      const rel = typeof value === 'string' ? relationCall(value) ?? (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.trim()) ? { ref: value.trim() } : undefined) : undefined;
      if (!rel) throw bad("ref('model'), source('source', 'table') or a model name");
      return hbString(relationPlaceholder(rel, refs, sources), c.location);
    }
    case 'literal':
      if (!isScalar(value)) throw bad('a single value');
      return hbString(sqlLiteral(value, c.kwargs.quote !== false), c.location);
    case 'literals':
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) throw bad('a non-empty list of values, e.g. [a, b]');
      return `(list ${value.map((v) => hbString(sqlLiteral(v, c.kwargs.quote !== false), c.location)).join(' ')})`;
    default:
      return plain(value, p, c, refs, sources);
  }
}

function plain(value: unknown, p: GenericParam, c: GenericTestCall, refs: string[], sources: { source: string; table: string }[]): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return /^-?\d+(\.\d+)?$/.test(String(value)) ? String(value) : hbString(String(value), c.location);
  if (typeof value === 'string') {
    const rel = relationCall(value);
    return hbString(rel ? relationPlaceholder(rel, refs, sources) : value, c.location);
  }
  if (Array.isArray(value)) return `(list ${value.map((v) => plain(v, p, c, refs, sources)).join(' ')})`;
  throw new SparkifyError(`test ${c.def.name}: argument '${p.name}' is a mapping, which a Handlebars template cannot be given`, {
    location: c.location,
    hint: 'Generic test arguments are strings, numbers, booleans, none, or lists of them.',
  });
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function sqlLiteral(v: string | number | boolean | null, quoteStrings: boolean): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  return quoteStrings ? `'${v.replace(/'/g, "''")}'` : v;
}

type RelationRef = { ref: string } | { source: string; table: string };

/** `ref('x')`, `ref("x")`, `source('a', 'b')`: what dbt renders in a test argument. */
export function relationCall(s: string): RelationRef | undefined {
  const ref = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(s);
  if (ref) return { ref: ref[1]! };
  const src = /^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(s);
  return src ? { source: src[1]!, table: src[2]! } : undefined;
}

function relationPlaceholder(r: RelationRef, refs: string[], sources: { source: string; table: string }[]): string {
  if ('ref' in r) {
    refs.push(r.ref);
    return placeholder.ref(r.ref);
  }
  sources.push({ source: r.source, table: r.table });
  return placeholder.source(r.source, r.table);
}

/**
 * A Handlebars string literal of `s`. Handlebars reads `\"` inside "..." as a quote and has no other escape,
 * so a backslash just before a quote (or at the end) cannot be written; such a value is refused.
 */
function hbString(s: string, location: SourceLocation): string {
  if (!/\\("|$)/.test(s)) return `"${s.replace(/"/g, '\\"')}"`;
  if (!/\\('|$)/.test(s)) return `'${s.replace(/'/g, "\\'")}'`;
  throw new SparkifyError(`a test argument ends with a backslash or has one before both kinds of quote, which a Handlebars string cannot hold: ${s}`, { location });
}

/**
 * dbt's synthesized test name: `<test>_<model>_<argument values>` (source tests: `source_<source>_<table>`),
 * values sorted by argument name, non-word characters as `_`; from 64 characters on, the first 30 of
 * `<test>_<model>` and the md5 of the full name.
 */
export function synthesizeTestName(test: string, target: string, args: Record<string, unknown>): string {
  const flat: string[] = [];
  for (const k of Object.keys(args).sort()) {
    if (k === 'model') continue;
    const v = args[k];
    const parts = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : [v];
    flat.push(...parts.map(pyStr));
  }
  const identifier = `${test}_${target}`;
  const full = `${identifier}_${flat.map((a) => a.replace(/[^0-9a-zA-Z_]+/g, '_')).join('__')}`;
  return full.length >= 64 ? `${identifier.slice(0, 30)}_${createHash('md5').update(full).digest('hex')}` : full;
}

/** Python's str() of a YAML value, which dbt's names are made of. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyStr(x))).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : pyStr(x)}`).join(', ')}}`;
  return String(v);
}
