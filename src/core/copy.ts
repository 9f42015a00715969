// The COPY contract shared by the engine's own loader (src/load), the warehouses that load files themselves
// (Redshift's COPY ... FROM 's3://...') and the copy materialization: declared once, here.

/** Redshift COPY's data-conversion options, as both loaders apply them. */
export interface CopyOptions {
  timeformat: 'auto' | 'epochmillisecs' | 'epochsecs' | string;
  blanksasnull: boolean;
  emptyasnull: boolean;
  truncatecolumns: boolean;
  /** Replacement for invalid UTF-8 / unpaired surrogates; undefined = such a value is an error. */
  acceptinvchars?: string;
  /** Lines at the start of each file that are not data (IGNOREHEADER); default 0. */
  ignoreheader?: number;
}

/** The option names a copy model's config may set (beyond where its files are), in COPY's own spelling. */
export const COPY_OPTION_KEYS = [
  'format', 'timeformat', 'blanksasnull', 'emptyasnull', 'truncatecolumns', 'acceptinvchars', 'maxerror', 'gzip',
  'ignoreheader', 'region',
] as const;

/** One rejected row, as Redshift records it in stl_load_errors (and the engine's loader reports it). */
export interface RejectedRow {
  /** Display name of the file; on a warehouse that loads S3 itself, the full s3:// URL (Redshift cuts it at 256). */
  file: string;
  line: number;
  column: string;
  raw: string;
  reason: string;
}
