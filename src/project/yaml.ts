import jsyaml from 'js-yaml';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { SparkifyError } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';

/**
 * A parsed YAML file that can say on which line any value stands.
 *
 * Values come from js-yaml (its core schema, as `yaml` reads YAML 1.2: no timestamps, no `<<` merges), which
 * reads a project's schema files several times faster than building `yaml`'s Document; the Document, with
 * its positions, is built only when a location is asked for. Locations are lazy too: compile records one
 * for every test and column, and reads only those of the few that fail. Any input js-yaml refuses (a syntax
 * error, a duplicate key) is parsed by `yaml`, whose error is reported.
 */
export class YamlFile {
  private parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;

  private constructor(
    readonly file: string,
    private readonly text: string,
    private readonly data: unknown,
  ) {}

  static parse(file: string, text: string): YamlFile {
    let data: unknown;
    try {
      data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file });
    } catch {
      const { doc } = documentOf(file, text);
      return new YamlFile(file, text, doc.toJS());
    }
    return new YamlFile(file, text, data);
  }

  value(): unknown {
    return this.data;
  }

  /**
   * Location of the value at `path` (or of its nearest existing parent). For a bad key, point at the key.
   * The line and column are worked out when first read.
   */
  locate(path: readonly PropertyKey[]): SourceLocation {
    let at: { line: number; column: number } | undefined;
    const resolve = (): { line: number; column: number } => (at ??= this.position(path));
    return {
      file: this.file,
      get line() {
        return resolve().line;
      },
      get column() {
        return resolve().column;
      },
    };
  }

  private get doc(): Document.Parsed {
    return (this.parsed ??= documentOf(this.file, this.text)).doc;
  }

  private position(path: readonly PropertyKey[]): { line: number; column: number } {
    const lines = (this.parsed ??= documentOf(this.file, this.text)).lines;
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n).map((p) => (typeof p === 'symbol' ? String(p) : p));
      const node = sub.length ? this.doc.getIn(sub, true) : this.doc.contents;
      if (isNode(node) && node.range) {
        // Prefer the key's position: the value of `a: b` is on the key's line for scalars anyway,
        // but for maps it starts a line lower.
        const keyPos = n > 0 ? this.keyOffset(sub) : undefined;
        const pos = lines.linePos(keyPos ?? node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return { line: 1, column: 1 };
  }

  private keyOffset(path: (string | number)[]): number | undefined {
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = parentPath.length ? this.doc.getIn(parentPath, true) : this.doc.contents;
    if (!parent || typeof parent !== 'object' || !('items' in parent) || !Array.isArray(parent.items)) return undefined;
    for (const item of parent.items as unknown[]) {
      if (item && typeof item === 'object' && 'key' in item) {
        const k = (item as { key: unknown }).key;
        if (isNode(k) && 'value' in k && (k as { value: unknown }).value === key && k.range) return k.range[0];
      }
    }
    return undefined;
  }

  /** Validate with a zod schema; the first problem becomes an error at its line. */
  validate<T>(schema: z.ZodType<T>, what: string): T {
    const result = schema.safeParse(this.value() ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    let path = issue.path;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path, issue.keys[0]!];
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    }
    const at = path.length ? ` at '${path.join('.')}'` : '';
    throw new SparkifyError(`invalid ${what}${at}: ${message}`, {
      location: this.locate(path),
      hint: `Check the ${what} against the documented keys (README: "Project layout").`,
    });
  }
}

/** `yaml`'s Document with positions; a syntax error becomes an error at its line. */
function documentOf(file: string, text: string): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    throw new SparkifyError(`YAML syntax error: ${first.message.split('\n')[0]}`, {
      location: { file, line: pos.line, column: pos.col },
      hint: 'Fix the YAML syntax (indentation, a missing colon or quote) and run again.',
    });
  }
  return { doc, lines };
}
