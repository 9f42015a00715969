// Ctrl-C, owned by the CLI alone. Once a command opens a warehouse, the first SIGINT aborts its AbortSignal
// (drivers cancel what runs on the database and start nothing new; the command ends with exit 130) and a
// second one exits at once. Before that (and in commands that open none) Ctrl-C keeps Node's default: the
// process ends at once. Nothing below src/cli/ handles signals or exits the process.

const EXIT_INTERRUPTED = 130;
/** If the command has not ended this long after the first Ctrl-C, stop waiting for it. */
const GRACE_MS = 10_000;

let controller: AbortController | undefined;

/** The signal a warehouse this process opens is given; the first call installs the SIGINT handler. */
export function interruptSignal(): AbortSignal {
  if (controller) return controller.signal;
  const c = (controller = new AbortController());
  process.on('SIGINT', () => {
    if (c.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write('\nInterrupted: cancelling the running statements (Ctrl-C again to quit at once) ...\n');
    c.abort(new Error('interrupted'));
    setTimeout(() => process.exit(EXIT_INTERRUPTED), GRACE_MS).unref();
  });
  return c.signal;
}

/** The exit code of a command that ended: 130 if it was interrupted, whatever it returned. */
export function exitCodeAfter(code: number): number {
  return controller?.signal.aborted ? EXIT_INTERRUPTED : code;
}
