import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { SparkifyError } from '../core/errors.js';
import type { SourceLocation } from '../core/location.js';

/** A parsed YAML file that can say on which line any value stands. */
export class YamlFile {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static parse(file: string, text: string): YamlFile {
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
    return new YamlFile(file, doc, lines);
  }

  value(): unknown {
    return this.doc.toJS();
  }

  /** Location of the value at `path` (or of its nearest existing parent). For a bad key, point at the key. */
  locate(path: readonly PropertyKey[]): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n).map((p) => (typeof p === 'symbol' ? String(p) : p));
      const node = sub.length ? this.doc.getIn(sub, true) : this.doc.contents;
      if (isNode(node) && node.range) {
        // Prefer the key's position: the value of `a: b` is on the key's line for scalars anyway,
        // but for maps it starts a line lower.
        const keyPos = n > 0 ? this.keyOffset(sub) : undefined;
        const pos = this.lines.linePos(keyPos ?? node.range[0]);
        return { file: this.file, line: pos.line, column: pos.col };
      }
    }
    return { file: this.file, line: 1, column: 1 };
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
