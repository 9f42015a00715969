import { binaryKind } from './binary.js';
import { converterFor, type ColumnType } from './convert.js';
import { FastRows } from './fast-rows.js';
import { autoExtractors, jsonPathsExtractors, singleKeyPaths, type Extractor } from './row-paths.js';
import type { CopyOptions } from '../core/copy.js';

// What a load decodes with: the plan (plain data, posted as it is to the decode workers) and the plan made
// ready once for all files (row paths, converters, the fast path).

export type JsonFormat = { kind: 'auto'; ignoreCase: boolean } | { kind: 'jsonpaths'; file: string; text: string };

/**
 * The largest JSON value (object, array, or a line that is not JSON) a load accepts: 4 MB, Redshift's
 * maximum size of one JSON object or array. A larger value is a rejected row (file, line, size), read past
 * without being held in memory.
 */
export const MAX_JSON_VALUE_BYTES = 4 * 1024 * 1024;

/** Rows are handed on in chunks of about this many bytes of COPY text. */
export const CHUNK_BYTES = 1024 * 1024;

/** Everything a decoder needs: plain data, so it can be posted to a worker. */
export interface DecodePlan {
  columns: ColumnType[];
  format: JsonFormat;
  options: CopyOptions & { maxerror: number };
  maxValueBytes: number;
  chunkBytes: number;
  /** The byte-level fast path for flat objects (default on); off, every row goes through JSON.parse. */
  fastPath: boolean;
  /** Rows as binary COPY tuples (binary.ts; every column must have a binary form), else COPY text. */
  binary: boolean;
}

/** A plan made ready: extractors, converters and the fast path built once for all files. */
export interface CompiledPlan {
  plan: DecodePlan;
  names: string[];
  extractors: Extractor[];
  converters: ((v: unknown) => string)[];
  /** Each column's binary form (binary mode). */
  binKinds: number[];
  fast?: FastRows;
}

export function compilePlan(plan: DecodePlan): CompiledPlan {
  const names = plan.columns.map((c) => c.name);
  const extractors =
    plan.format.kind === 'auto' ? autoExtractors(names, plan.format.ignoreCase) : jsonPathsExtractors(plan.format.file, plan.format.text, names);
  const converters = plan.columns.map((c) => converterFor(c, plan.options));
  const keys = plan.format.kind === 'auto' ? names : singleKeyPaths(plan.format.text);
  const fast =
    plan.fastPath && keys && plan.columns.length > 0
      ? new FastRows(plan.columns, keys, plan.format.kind === 'auto' && plan.format.ignoreCase, plan.options, plan.binary)
      : undefined;
  const binKinds = plan.columns.map((c) => binaryKind(c, plan.options));
  if (plan.binary && binKinds.includes(0)) throw new Error('binary COPY asked for a column without a binary form');
  return { plan, names, extractors, converters, binKinds, ...(fast ? { fast } : {}) };
}
