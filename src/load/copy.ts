import { SparkifyError } from '../errors.js';
import type { Relation, Session } from '../warehouse/types.js';
import { ConvertError, converterFor, type ColumnType, type CopyOptions } from './convert.js';
import type { FileRef, FileSource } from './files.js';
import { JsonSplitError, splitJsonValues } from './json-objects.js';
import { autoExtractors, jsonPathsExtractors, type Extractor } from './mapping.js';

/** One rejected row, as Redshift records it in stl_load_errors. */
export interface LoadError {
  file: string;
  line: number;
  column: string;
  raw: string;
  reason: string;
}

export interface LoadSpec {
  relation: Relation;
  columns: ColumnType[];
  files: FileRef[];
  source: FileSource;
  /** 'auto', 'auto ignorecase', or a JSONPaths file (its display name and text). */
  format: { kind: 'auto'; ignoreCase: boolean } | { kind: 'jsonpaths'; file: string; text: string };
  options: CopyOptions & { maxerror: number };
}

export interface LoadResult {
  files: number;
  rows: number;
  bytes: number;
  rejected: LoadError[];
}

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Load JSON files into a (new, empty) table with COPY semantics. Rows stream to the warehouse in bounded
 * chunks. More rejected rows than `maxerror` fail the load with every rejected row named; the caller's
 * transaction then leaves the staging table as it was.
 */
export async function loadJson(session: Session, spec: LoadSpec): Promise<LoadResult> {
  const names = spec.columns.map((c) => c.name);
  const extractors: Extractor[] =
    spec.format.kind === 'auto' ? autoExtractors(names, spec.format.ignoreCase) : jsonPathsExtractors(spec.format.file, spec.format.text, names);
  const converters = spec.columns.map((c) => converterFor(c, spec.options));
  const rejected: LoadError[] = [];
  let bytes = 0;
  let parsed = 0;

  const reject = (e: LoadError): void => {
    rejected.push(e);
    if (rejected.length > spec.options.maxerror) throw loadFailure(rejected, spec.options.maxerror);
  };

  async function* chunks(): AsyncGenerator<string> {
    let buf: string[] = [];
    let size = 0;
    const fields: string[] = new Array<string>(converters.length);
    for (const file of spec.files) {
      const data = await spec.source.read(file);
      bytes += data.length;
      const text = data.toString('utf8');
      try {
        for (const value of splitJsonValues(text)) {
          let obj: unknown;
          try {
            obj = JSON.parse(value.text);
          } catch (err) {
            reject({ file: file.display, line: value.line, column: '', raw: value.text.slice(0, 200), reason: `malformed JSON: ${(err as Error).message}` });
            continue;
          }
          // Redshift loads a JSON array as a row only through a JSONPaths file ($[0], $[1], ...).
          if (obj === null || typeof obj !== 'object' || (Array.isArray(obj) && spec.format.kind === 'auto')) {
            reject({ file: file.display, line: value.line, column: '', raw: value.text.slice(0, 200), reason: 'not a JSON object' });
            continue;
          }
          let ok = true;
          for (let i = 0; i < converters.length; i++) {
            const raw = extractors[i]!(obj);
            try {
              fields[i] = converters[i]!(raw);
            } catch (err) {
              if (!(err instanceof ConvertError)) throw err;
              reject({ file: file.display, line: value.line, column: names[i]!, raw: rawText(raw), reason: err.message });
              ok = false;
              break;
            }
          }
          if (!ok) continue;
          parsed++;
          const line = fields.join('\t') + '\n';
          buf.push(line);
          size += line.length;
          if (size >= CHUNK_BYTES) {
            yield buf.join('');
            buf = [];
            size = 0;
          }
        }
      } catch (err) {
        if (!(err instanceof JsonSplitError)) throw err;
        reject({ file: file.display, line: err.line, column: '', raw: '', reason: `malformed JSON: ${err.message}` });
      }
    }
    if (buf.length) yield buf.join('');
  }

  const rows = await session.copyIn(spec.relation, names, chunks());
  if (rows !== parsed) throw new Error(`COPY loaded ${rows} rows but ${parsed} were sent`);
  return { files: spec.files.length, rows, bytes, rejected };
}

function rawText(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export function loadFailure(rejected: LoadError[], maxerror: number): SparkifyError {
  const shown = rejected.slice(0, 20);
  const lines = shown.map((e) => `${e.file}:${e.line}${e.column ? ` column ${e.column}` : ''}: ${e.reason}${e.raw ? ` (value: ${JSON.stringify(e.raw)})` : ''}`);
  if (rejected.length > shown.length) lines.push(`… and ${rejected.length - shown.length} more`);
  return new SparkifyError(
    `load failed: ${rejected.length} row${rejected.length > 1 ? 's' : ''} rejected (maxerror ${maxerror})\n  ${lines.join('\n  ')}`,
    {
      exitCode: 1,
      location: { file: rejected[0]!.file, line: rejected[0]!.line, column: 0 },
      hint: 'The staging table is unchanged. Fix the data, widen the column, or allow rejects with config maxerror=N.',
    },
  );
}
