import type { RejectedRow } from '../core/copy.js';
import { isUtf8 } from 'node:buffer';
import { binaryField } from './binary.js';
import { BufferPool, ChunkWriter } from './buffers.js';
import { ConvertError } from './convert.js';
import { FastRows } from './fast-rows.js';
import { MAX_JSON_VALUE_BYTES, type CompiledPlan } from './plan.js';
import { JsonSplitter, WHOLE_RETRY } from './splitter.js';

/**
 * Decoding of one file's bytes into COPY text: the splitter (splitter.ts) finds the top-level JSON values,
 * each value becomes one row (FastRows for flat objects; JSON.parse and convert.ts for everything else) or
 * one reject, and rows collect in chunks of whole rows (buffers.ts).
 *
 * The same code runs on the main thread and in the decode workers (pool/), so both give the same bytes
 * and the same rejects.
 */

/** Rows (COPY text or binary tuples) decoded from one file, with the rejects met on the way. */
export interface DecodedChunk {
  bytes: Buffer;
  rows: number;
  rejects: RejectedRow[];
}

const INVALID_SURROGATE = 'invalid UTF-8 (an unpaired surrogate)';

/**
 * Decodes one file. Feed it the file's bytes with `push` (chunks of any size, in order) and call `end`
 * once; `emit` receives the rows and rejects in file order. After more rejects than maxerror it stops
 * (`stopped`): the load fails anyway, and the rest of the file need not be read.
 */
export class FileDecoder extends JsonSplitter {
  /** Rows decoded so far, and how many of them by the fast path. */
  rows = 0;
  fastRows = 0;

  private readonly fast: FastRows | undefined;
  private readonly w: ChunkWriter;
  private rejects: RejectedRow[] = [];
  private rejectCount = 0;

  constructor(
    private readonly p: CompiledPlan,
    private readonly file: string,
    private readonly emit: (chunk: DecodedChunk) => void,
    pool?: BufferPool,
  ) {
    super(p.plan.maxValueBytes, p.plan.options.ignoreheader ?? 0);
    this.fast = p.fast;
    this.w = new ChunkWriter(p.plan.chunkBytes, pool);
  }

  override end(): void {
    super.end();
    this.flush();
    this.w.close();
  }

  /** The fast path, at an object's first byte: a row in place, or an answer that sends it to the scan. */
  protected wholeObject(b: Buffer, i: number, n: number): number {
    const fast = this.fast;
    if (!fast) return FastRows.BAIL;
    const p0 = this.w.pos;
    const r = fast.row(b, i, n, this.w);
    if (r < 0) return r === FastRows.MORE ? WHOLE_RETRY : r;
    if (r - i > this.max) {
      this.w.pos = p0;
      this.oversized(r - i, b, i, r);
    } else {
      this.fastRows++;
      this.rowDone();
    }
    this.line += fast.newlines;
    return r;
  }

  protected unclosed(): void {
    this.reject({ file: this.file, line: this.vLine, column: '', raw: '', reason: 'malformed JSON: the JSON value is not closed before the end of the file (truncated?)' });
  }

  private rowDone(): void {
    this.rows++;
    this.w.rows++;
    if (this.w.pos >= this.p.plan.chunkBytes) this.flush();
  }

  private flush(): void {
    if (this.w.pos === 0 && this.rejects.length === 0) return;
    const rows = this.w.rows;
    const bytes = this.w.take();
    const rejects = this.rejects;
    this.rejects = [];
    this.emit({ bytes, rows, rejects });
  }

  private reject(e: RejectedRow): void {
    this.rejects.push(e);
    if (++this.rejectCount > this.p.plan.options.maxerror) this.stopped = true;
  }

  protected oversized(len: number, head: Buffer, s: number, e: number): void {
    const shown = decodeForDisplay(head, s, Math.min(e, s + 1024)).slice(0, 200);
    const max = this.max;
    this.reject({
      file: this.file,
      line: this.vLine,
      column: '',
      raw: `${shown}…`,
      reason: `the JSON value is ${len} bytes long, over the maximum of ${max} bytes for one JSON object${max === MAX_JSON_VALUE_BYTES ? " (4 MB, Redshift's limit)" : ''}`,
    });
  }

  /** One whole value: a row by the fast path if it can, else by JSON.parse and the converters, or a reject. */
  protected value(b: Buffer, s: number, e: number, junk: boolean, retry: boolean): void {
    if (!junk && retry && this.fast) {
      const p0 = this.w.pos;
      const r = this.fast.row(b, s, e, this.w);
      if (r === e) {
        this.fastRows++;
        this.rowDone();
        return;
      }
      this.w.pos = p0;
    }
    this.generic(b, s, e, junk);
  }

  private generic(b: Buffer, s: number, e: number, junk: boolean): void {
    const line = this.vLine;
    const file = this.file;
    // Invalid UTF-8 bytes become lone surrogates (U+DC80-U+DCFF), one a byte: string columns reject them,
    // naming the column, or acceptinvchars replaces each (as Redshift does, one replacement a byte).
    const invalid = !isUtf8(b.subarray(s, e));
    let text = invalid ? decodeEscapingInvalid(b, s, e) : b.toString('utf8', s, e);
    if (junk) text = text.trimEnd();
    const shown = (t: string): string => (invalid ? t.replace(/[\uDC80-\uDCFF]/g, '\uFFFD') : t);
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      this.reject({ file, line, column: '', raw: shown(text.slice(0, 200)), reason: `malformed JSON: ${shown((err as Error).message)}` });
      return;
    }
    // Redshift loads a JSON array as a row only through a JSONPaths file ($[0], $[1], ...).
    if (obj === null || typeof obj !== 'object' || (Array.isArray(obj) && this.p.plan.format.kind === 'auto')) {
      this.reject({ file, line, column: '', raw: shown(text.slice(0, 200)), reason: 'not a JSON object' });
      return;
    }
    const { extractors, converters, names } = this.p;
    const fields: string[] = new Array<string>(converters.length);
    for (let i = 0; i < converters.length; i++) {
      const raw = extractors[i]!(obj);
      try {
        fields[i] = converters[i]!(raw);
      } catch (err) {
        if (!(err instanceof ConvertError)) throw err;
        let reason = err.message;
        const rawShown = rawText(raw);
        if (invalid) {
          const bad = /[\uDC80-\uDCFF]/.exec(rawShown);
          if (bad && reason.startsWith(INVALID_SURROGATE)) {
            reason = `invalid UTF-8 (byte 0x${(bad[0].charCodeAt(0) - 0xdc00).toString(16)}); set acceptinvchars to replace it`;
          }
        }
        this.reject({ file, line, column: names[i]!, raw: shown(rawShown), reason: shown(reason) });
        return;
      }
    }
    const w = this.w;
    if (this.p.plan.binary) {
      w.ensure(2);
      w.buf[w.pos++] = fields.length >> 8;
      w.buf[w.pos++] = fields.length & 255;
      for (let i = 0; i < fields.length; i++) {
        const field = binaryField(this.p.binKinds[i]!, fields[i]!);
        w.ensure(field.length);
        w.pos += field.copy(w.buf, w.pos);
      }
    } else {
      for (let i = 0; i < fields.length; i++) {
        if (i > 0) {
          w.ensure(1);
          w.buf[w.pos++] = 9;
        }
        w.writeString(fields[i]!);
      }
      w.ensure(1);
      w.buf[w.pos++] = 10;
    }
    this.rowDone();
  }
}

export function rawText(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Text for a message: invalid bytes as U+FFFD. */
function decodeForDisplay(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s, e);
}

/** UTF-8 with each invalid byte as a lone surrogate U+DC80-U+DCFF (Python's 'surrogateescape'). */
export function decodeEscapingInvalid(b: Buffer, s: number, e: number): string {
  let out = '';
  let run = s;
  let k = s;
  while (k < e) {
    const c = b[k]!;
    if (c < 0x80) {
      k++;
      continue;
    }
    const len = utf8SequenceLength(b, k, e);
    if (len > 0) {
      k += len;
      continue;
    }
    out += b.toString('utf8', run, k) + String.fromCharCode(0xdc00 + c);
    k++;
    run = k;
  }
  return out + b.toString('utf8', run, e);
}

/** Length of the well-formed UTF-8 sequence at b[k] (a byte >= 0x80), or 0. */
function utf8SequenceLength(b: Buffer, k: number, e: number): number {
  const c = b[k]!;
  const cont = (j: number): boolean => j < e && (b[j]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(k + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(k + 1) || !cont(k + 2)) return 0;
    const c1 = b[k + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(k + 1) || !cont(k + 2) || !cont(k + 3)) return 0;
    const c1 = b[k + 1]!;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return 4;
  }
  return 0;
}
