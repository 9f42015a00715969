import { SparkifyError } from '../core/errors.js';

/**
 * Row paths: how a JSON object maps to the staging table's columns, as Redshift's COPY ... FORMAT AS JSON does it:
 * 'auto' matches top-level keys to column names (case-sensitive; 'auto ignorecase' not), a JSONPaths file
 * gives one path a column, in column order.
 */
export type Extractor = (obj: unknown) => unknown;

/** A JSONPath as Redshift accepts it: $['a'], $.a.b, $['a'][0], $["a"].b */
export function compileJsonPath(expr: string): Extractor {
  const steps: (string | number)[] = [];
  let i = 0;
  if (expr[i++] !== '$') throw new Error(`a JSONPath starts with '$': ${expr}`);
  while (i < expr.length) {
    const c = expr[i];
    if (c === '.') {
      const m = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(expr.slice(i));
      if (!m) throw new Error(`bad member name after '.' at position ${i} in ${expr}`);
      steps.push(m[1]!);
      i += m[0].length;
    } else if (c === '[') {
      const m = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\s*\]/.exec(expr.slice(i));
      if (!m) throw new Error(`bad bracket expression at position ${i} in ${expr}`);
      steps.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2])!.replace(/\\(.)/g, '$1'));
      i += m[0].length;
    } else {
      throw new Error(`unexpected '${c}' at position ${i} in ${expr}`);
    }
  }
  if (steps.length === 0) throw new Error(`a JSONPath must name a field: ${expr}`);
  if (steps.length === 1) {
    const key = steps[0]!;
    return (obj) => (obj !== null && typeof obj === 'object' && Object.hasOwn(obj, key) ? (obj as Record<string | number, unknown>)[key] : undefined);
  }
  return (obj) => {
    let cur: unknown = obj;
    for (const s of steps) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, s)) return undefined;
      cur = (cur as Record<string | number, unknown>)[s];
    }
    return cur;
  };
}

/** Parse a JSONPaths file's text; the number of paths must equal the number of columns. */
export function jsonPathsExtractors(file: string, text: string, columns: string[]): Extractor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const where = jsonErrorPosition(text, (err as Error).message);
    throw new SparkifyError(`the JSONPaths file is not valid JSON: ${where.reason}`, {
      location: { file, line: where.line, column: where.column },
      hint: 'A JSONPaths file is {"jsonpaths": ["$[\'field\']", ...]} with one path per staging column.',
    });
  }
  const paths = (doc as { jsonpaths?: unknown } | null)?.jsonpaths;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
    throw new SparkifyError('the JSONPaths file has no "jsonpaths" array of strings', {
      location: { file, line: 1, column: 0 },
      hint: 'A JSONPaths file is {"jsonpaths": ["$[\'field\']", ...]} with one path per staging column.',
    });
  }
  if (paths.length !== columns.length) {
    throw new SparkifyError(`the JSONPaths file has ${paths.length} paths but the staging table has ${columns.length} columns`, {
      location: { file, line: 1, column: 0 },
      hint: `Give one path per column, in column order: ${columns.join(', ')}.`,
    });
  }
  return (paths as string[]).map((p, i) => {
    try {
      return compileJsonPath(p);
    } catch (err) {
      throw new SparkifyError(`invalid JSONPath for column ${columns[i]}: ${(err as Error).message}`, {
        location: { file, line: lineOf(text, p), column: 0 },
      });
    }
  });
}

/** 'auto': a column takes the top-level key of the same name; 'auto ignorecase' compares case-insensitively. */
export function autoExtractors(columns: string[], ignoreCase: boolean): Extractor[] {
  if (!ignoreCase) return columns.map((c) => (obj) => (obj !== null && typeof obj === 'object' && Object.hasOwn(obj, c) ? (obj as Record<string, unknown>)[c] : undefined));
  return columns.map((c) => {
    const want = c.toLowerCase();
    return (obj) => {
      if (obj === null || typeof obj !== 'object') return undefined;
      for (const k in obj as Record<string, unknown>) if (k.toLowerCase() === want) return (obj as Record<string, unknown>)[k];
      return undefined;
    };
  });
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}

/**
 * Where JSON.parse failed, as line and column, and its reason on one line. V8 gives a position for most
 * errors ("... in JSON at position 21 (line 2 column 5)"); for an unexpected token it quotes the text
 * around it instead, which is found again in the text.
 */
export function jsonErrorPosition(text: string, message: string): { line: number; column: number; reason: string } {
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(message);
  const at = /at position (\d+)/.exec(message);
  let offset = -1;
  if (at) offset = Number(at[1]);
  // V8 quotes up to 10 characters either side of the token, marking cut ends with "...".
  const quoted = /^Unexpected token '(.+?)', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (offset < 0 && quoted) {
    const [, token, cutStart, snippet, cutEnd] = quoted as unknown as [string, string, string | undefined, string, string | undefined];
    const start = cutStart ? text.indexOf(snippet) : 0;
    const within = cutStart ? 10 : cutEnd ? snippet.length - 10 : snippet.indexOf(token);
    if (start >= 0 && within >= 0) offset = start + within;
  }
  const reason = quoted ? `unexpected '${quoted[1]}'` : message.replace(/\s*in JSON at position \d+( \(line \d+ column \d+\))?/, '').replace(/\s+/g, ' ');
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]), reason };
  if (offset < 0) offset = message.includes('end of JSON input') ? text.length : 0;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n'), reason };
}

/**
 * The top-level key of each JSONPath when every path is one member ($['a'], $["a"], $.a), as
 * compileJsonPath reads them; otherwise undefined (nested paths and indexes: the generic path does them).
 */
export function singleKeyPaths(text: string): string[] | undefined {
  const paths = (JSON.parse(text) as { jsonpaths: string[] }).jsonpaths;
  const keys: string[] = [];
  for (const p of paths) {
    const m = /^\$(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\])$/.exec(p);
    if (!m) return undefined;
    keys.push(m[1] ?? (m[2] ?? m[3])!.replace(/\\(.)/g, '$1'));
  }
  return keys;
}
