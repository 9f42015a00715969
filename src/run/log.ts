import { formatLoadProgress } from '../load/progress.js';
import type { LoadProgress } from '../core/progress.js';

/** dbt-style progress lines: `12:00:01  1 of 9 START table model public.dim_users ........ [RUN]` */

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /**
   * Progress of one staging load, labelled (the model's name). A terminal shows a status line redrawn in
   * place under the log (every running load on it); otherwise a plain line every `plainEveryMs`.
   */
  loadProgress?(label: string): (p: LoadProgress) => void;
}

const WIDTH = 80;

export function stamp(now = new Date()): string {
  return now.toISOString().slice(11, 19);
}

export function progressLine(index: number, total: number, text: string, status: string): string {
  const head = `${index} of ${total} ${text} `;
  const dots = '.'.repeat(Math.max(3, WIDTH - head.length - status.length - 1));
  return `${head}${dots} ${status}`;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/**
 * Log lines on stdout (warnings and errors on stderr). When stdout is a terminal, running loads share one
 * status line at the bottom: each log line clears it, prints, and draws it again; a load that ends
 * leaves nothing behind (its result is the next log line).
 */
export function consoleLogger(out: Stream = process.stdout, err: Stream = process.stderr, opts: { plainEveryMs?: number } = {}): Logger {
  const tty = out.isTTY === true;
  const bars = new Map<string, string>();
  let drawn = false;
  const clear = (): void => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (): void => {
    if (!bars.size) return;
    const width = Math.max(20, (out.columns || 100) - 1); // a pty without a size says 0
    const line = [...bars.values()].join('  |  ');
    out.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
    drawn = true;
  };
  const print = (stream: Stream, text: string): void => {
    clear();
    stream.write(`${stamp()}  ${text}\n`);
    draw();
  };
  const every = opts.plainEveryMs ?? 10_000;
  return {
    info: (m) => print(out, m),
    warn: (m) => print(err, `[WARNING] ${m}`),
    error: (m) => print(err, m),
    loadProgress(label) {
      let lastPlain = 0;
      return (p) => {
        if (tty) {
          if (p.done) bars.delete(label);
          else bars.set(label, formatLoadProgress(label, p, true));
          clear();
          draw();
          return;
        }
        if (p.done || p.elapsedMs - lastPlain < every) return;
        lastPlain = p.elapsedMs;
        print(out, formatLoadProgress(label, p, false));
      };
    },
  };
}

/** A logger that keeps lines in memory (tests and `show`). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`[WARNING] ${m}`),
    error: (m) => lines.push(m),
  };
}
