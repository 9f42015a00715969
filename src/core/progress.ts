/** Progress of one staging load, as it goes (the loader reports it; the run's log draws it). */
export interface LoadProgress {
  /** Files fully loaded, of `totalFiles`. */
  files: number;
  totalFiles: number;
  rows: number;
  /** Bytes read from the source (compressed, for gzip files), of `totalBytes` (the listed sizes). */
  bytes: number;
  totalBytes: number;
  elapsedMs: number;
  done: boolean;
}
