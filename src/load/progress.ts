import type { LoadProgress } from '../core/progress.js';

/**
 * One load's progress as text. With `bar`: a bar of bytes read (files when sizes are unknown), for a
 * status line redrawn in place on a terminal; without, a plain log line.
 *
 *   stg_events [##########··········] 15/30 files  512,345 rows  48.2 MB/s
 *   stg_events: loading 15/30 files  512,345 rows  48.2 MB/s
 */
export function formatLoadProgress(label: string, p: LoadProgress, bar: boolean): string {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const mbs = p.bytes / 2 ** 20 / seconds;
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : p.totalFiles > 0 ? p.files / p.totalFiles : 1;
  const width = 20;
  const filled = Math.round(fraction * width);
  const head = bar ? `${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}]` : `${label}: loading`;
  return `${head} ${p.files}/${p.totalFiles} files  ${p.rows.toLocaleString('en-US')} rows  ${mbs.toFixed(1)} MB/s`;
}
