/** dbt-style progress lines: `12:00:01  1 of 9 START table model public.dim_users ........ [RUN]` */

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
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

export function consoleLogger(out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Logger {
  return {
    info: (m) => out.write(`${stamp()}  ${m}\n`),
    warn: (m) => err.write(`${stamp()}  [WARNING] ${m}\n`),
    error: (m) => err.write(`${stamp()}  ${m}\n`),
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
