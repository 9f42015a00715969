// Ctrl-C, owned by the CLI alone: the first SIGINT aborts the command's AbortSignal (drivers cancel what
// runs on the database and start nothing new; the command ends with exit 130); a second one exits at once.
// Nothing below src/cli/ handles signals or exits the process.

const EXIT_INTERRUPTED = 130;
/** If the command has not ended this long after the first Ctrl-C, stop waiting for it. */
const GRACE_MS = 10_000;

const controller = new AbortController();

/** The signal every warehouse this process opens is given. */
export const interruptSignal: AbortSignal = controller.signal;

export function interrupted(): boolean {
  return controller.signal.aborted;
}

/** Install the SIGINT handler (once, in main). */
export function handleInterrupts(write: (s: string) => void = (s) => process.stderr.write(s)): void {
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    write('\nInterrupted: cancelling the running statements (Ctrl-C again to quit at once) ...\n');
    controller.abort(new Error('interrupted'));
    setTimeout(() => process.exit(EXIT_INTERRUPTED), GRACE_MS).unref();
  });
}

/** The exit code of a command that ended: 130 if it was interrupted, whatever it returned. */
export function exitCodeAfter(code: number): number {
  return controller.signal.aborted ? EXIT_INTERRUPTED : code;
}
