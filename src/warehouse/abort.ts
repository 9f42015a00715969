// Waiting that an interrupted run (its AbortSignal) stops at once.

/** Sleep `ms`, or reject with `reason()` as soon as `signal` fires. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, reason: () => Error): Promise<void> {
  if (signal?.aborted) return Promise.reject(reason());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(reason());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
