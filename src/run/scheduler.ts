/**
 * Runs a DAG of jobs: a job starts when all of its dependencies have finished, at most `threads` at once.
 * A job whose outcome blocks (an error, a failing test) makes every job downstream of it skipped; with
 * failFast the first blocking outcome skips everything not yet started.
 */

export interface Job {
  id: string;
  /** ids of jobs in this schedule that must finish first. */
  deps: string[];
}

export interface Outcome {
  /** Whether jobs downstream of this one must be skipped. */
  blocks: boolean;
}

export interface ScheduleHooks<R extends Outcome> {
  run(id: string): Promise<R>;
  /** Called for a job that will not run, with the id of the job that caused it. */
  skip(id: string, cause: string): R;
}

export async function schedule<R extends Outcome>(jobs: Job[], threads: number, failFast: boolean, hooks: ScheduleHooks<R>): Promise<Map<string, R>> {
  const results = new Map<string, R>();
  const waiting = new Map<string, number>(); // id -> unfinished dependency count
  const children = new Map<string, string[]>();
  const blockedBy = new Map<string, string>(); // id -> the failed job that skips it
  for (const j of jobs) {
    waiting.set(j.id, j.deps.length);
    for (const d of j.deps) {
      if (!children.has(d)) children.set(d, []);
      children.get(d)!.push(j.id);
    }
  }
  const ready: string[] = jobs.filter((j) => j.deps.length === 0).map((j) => j.id);
  let running = 0;
  let stopped = false;
  let fatal: unknown;

  return new Promise((resolve, reject) => {
    const finish = (id: string, r: R): void => {
      results.set(id, r);
      if (r.blocks) {
        if (failFast) stopped = true;
        for (const c of children.get(id) ?? []) if (!blockedBy.has(c)) blockedBy.set(c, blockedBy.get(id) ?? id);
      } else if (blockedBy.has(id)) {
        for (const c of children.get(id) ?? []) if (!blockedBy.has(c)) blockedBy.set(c, blockedBy.get(id)!);
      }
      for (const c of children.get(id) ?? []) {
        const left = waiting.get(c)! - 1;
        waiting.set(c, left);
        if (left === 0) ready.push(c);
      }
    };

    const pump = (): void => {
      if (fatal !== undefined) return;
      while (ready.length && running < threads) {
        const id = ready.shift()!;
        const cause = blockedBy.get(id) ?? (stopped ? 'fail-fast' : undefined);
        if (cause !== undefined) {
          const r = hooks.skip(id, cause);
          // A skipped job blocks its children with the same cause.
          results.set(id, r);
          for (const c of children.get(id) ?? []) if (!blockedBy.has(c)) blockedBy.set(c, cause);
          for (const c of children.get(id) ?? []) {
            const left = waiting.get(c)! - 1;
            waiting.set(c, left);
            if (left === 0) ready.push(c);
          }
          continue;
        }
        running++;
        const fail = (err: unknown): void => {
          fatal = err;
          reject(err);
        };
        // A hook that throws (even synchronously, or `skip` in a later pump) rejects the schedule instead of
        // leaving it pending forever.
        new Promise<R>((res) => res(hooks.run(id))).then((r) => {
          running--;
          finish(id, r);
          pump();
        }).catch(fail);
      }
      if (running === 0 && ready.length === 0) {
        if (results.size !== jobs.length) {
          reject(new Error(`scheduler stalled: ${jobs.length - results.size} jobs never became ready (a cycle?)`));
        } else resolve(results);
      }
    };
    pump();
  });
}
