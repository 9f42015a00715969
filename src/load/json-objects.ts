/**
 * Split a file's text into its top-level JSON values, whatever the layout Redshift's COPY accepts: one
 * object a line, several objects in a file, or one object spread over many lines. Each value comes with the
 * line it starts on, for load errors.
 *
 * This is the rule on a whole string; loads apply the same rule to bytes as they stream in (FileDecoder in
 * decode.ts), value by value, without holding the file.
 */
export interface JsonText {
  text: string;
  line: number;
}

export class JsonSplitError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export function* splitJsonValues(text: string): Generator<JsonText> {
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a UTF-8 byte-order mark is not data
  while (i < n) {
    // Skip whitespace between values, counting lines.
    let c = text.charCodeAt(i);
    while (i < n && (c === 32 || c === 10 || c === 13 || c === 9)) {
      if (c === 10) line++;
      c = text.charCodeAt(++i);
    }
    if (i >= n) return;
    if (c !== 123 /* { */ && c !== 91 /* [ */) {
      // Not a JSON object: hand the rest of the line on as one value (its parse rejects it with this line)
      // and carry on with the next line, so one bad line does not lose the rest of the file.
      const end = text.indexOf('\n', i);
      yield { text: text.slice(i, end < 0 ? n : end).trimEnd(), line };
      i = end < 0 ? n : end;
      continue;
    }
    const start = i;
    const startLine = line;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (inString) {
        if (c === 92 /* \ */) i++;
        else if (c === 34 /* " */) inString = false;
        else if (c === 10) line++;
      } else if (c === 34) inString = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth === 0) {
          i++;
          break;
        }
      } else if (c === 10) line++;
    }
    if (depth !== 0 || inString) throw new JsonSplitError('the JSON value is not closed before the end of the file (truncated?)', startLine);
    yield { text: text.slice(start, i), line: startLine };
  }
}
