import type { LoadProgress } from './copy.js';

/**
 * A ready-made `onProgress` for loadJson. On a TTY: one line redrawn in place, a bar of files done with
 * rows and MB/s, cleared when the load ends (the caller prints its own result line). Otherwise: a plain log
 * line every `everyMs` (default 10 s) while the load runs, none for loads quicker than that.
 *
 *   stg_events [##########··········] 15/30 files  512,345 rows  48.2 MB/s
 */
export function loadProgressReporter(
  label: string,
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout,
  opts: { everyMs?: number; log?: (line: string) => void } = {},
): (p: LoadProgress) => void {
  const every = opts.everyMs ?? 10_000;
  let lastLog = 0;
  let drawn = false;
  return (p) => {
    if (out.isTTY) {
      if (p.done) {
        if (drawn) out.write('\r\x1b[2K');
        drawn = false;
        return;
      }
      const line = formatLoadProgress(label, p, true);
      const width = out.columns ?? 100;
      out.write(`\r\x1b[2K${line.length > width - 1 ? line.slice(0, width - 1) : line}`);
      drawn = true;
      return;
    }
    if (p.done || p.elapsedMs - lastLog < every) return;
    lastLog = p.elapsedMs;
    const line = formatLoadProgress(label, p, false);
    if (opts.log) opts.log(line);
    else out.write(`${line}\n`);
  };
}

export function formatLoadProgress(label: string, p: LoadProgress, bar: boolean): string {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const mbs = p.bytes / 2 ** 20 / seconds;
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : p.totalFiles > 0 ? p.files / p.totalFiles : 1;
  const width = 20;
  const filled = Math.round(fraction * width);
  const head = bar ? `${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}]` : `${label}: loading`;
  return `${head} ${p.files}/${p.totalFiles} files  ${p.rows.toLocaleString('en-US')} rows  ${mbs.toFixed(1)} MB/s`;
}
