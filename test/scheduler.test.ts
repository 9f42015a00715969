import { describe, expect, it } from 'vitest';
import { schedule, type Job, type Outcome } from '../src/run/scheduler.js';

// The DAG scheduler with real async jobs: what starts when, how many at once, what is skipped and why.

interface Result {
  id: string;
  blocks: boolean;
  /** 'ran' for a job that ran, the cause for a skipped one. */
  how: string;
}

interface Plan {
  /** Milliseconds each job takes (default 5). */
  ms?: Record<string, number>;
  /** Jobs whose outcome blocks their descendants. */
  fail?: string[];
  /** Jobs whose run rejects. */
  throws?: string[];
}

interface Trace {
  results: Map<string, Result>;
  /** 'start:x', 'end:x', 'skip:x<-cause' in the order they happened. */
  events: string[];
  maxConcurrent: number;
  elapsedMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(jobs: Job[], threads: number, failFast: boolean, plan: Plan = {}): Promise<Trace> {
  const events: string[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const t0 = Date.now();
  const results = await schedule<Result>(jobs, threads, failFast, {
    async run(id) {
      events.push(`start:${id}`);
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      try {
        await sleep(plan.ms?.[id] ?? 5);
        if (plan.throws?.includes(id)) throw new Error(`job ${id} crashed`);
      } finally {
        running--;
        events.push(`end:${id}`);
      }
      return { id, blocks: plan.fail?.includes(id) ?? false, how: 'ran' };
    },
    skip(id, cause) {
      events.push(`skip:${id}<-${cause}`);
      return { id, blocks: true, how: cause };
    },
  });
  return { results, events, maxConcurrent, elapsedMs: Date.now() - t0 };
}

const how = (t: Trace): Record<string, string> => Object.fromEntries([...t.results].map(([id, r]) => [id, r.how]).sort());

function job(id: string, ...deps: string[]): Job {
  return { id, deps };
}

describe('schedule', () => {
  it('resolves an empty schedule to an empty map', async () => {
    const t = await run([], 4, false);
    expect(t.results.size).toBe(0);
  });

  it('starts a job only after all of its dependencies have ended', async () => {
    //   a ─┬─ b ─┬─ d ── f
    //      └─ c ─┘
    //   e (independent)
    const jobs = [job('f', 'd'), job('d', 'b', 'c'), job('b', 'a'), job('c', 'a'), job('a'), job('e')];
    const t = await run(jobs, 4, false, { ms: { a: 20, b: 10, c: 30, d: 5, e: 5, f: 5 } });
    expect(how(t)).toEqual({ a: 'ran', b: 'ran', c: 'ran', d: 'ran', e: 'ran', f: 'ran' });
    for (const j of jobs) {
      const start = t.events.indexOf(`start:${j.id}`);
      expect(start).toBeGreaterThanOrEqual(0);
      for (const d of j.deps) expect(t.events.indexOf(`end:${d}`), `${d} ends before ${j.id} starts`).toBeLessThan(start);
    }
    // a and e start together; d waits for the slower c, not just b.
    expect(t.events.slice(0, 2)).toEqual(['start:a', 'start:e']);
    expect(t.events.indexOf('start:d')).toBe(t.events.indexOf('end:c') + 1);
    expect(t.events.filter((e) => e.startsWith('end:'))).toEqual(['end:e', 'end:a', 'end:b', 'end:c', 'end:d', 'end:f']);
  });

  it('returns exactly the outcome each hook gave', async () => {
    const t = await run([job('a'), job('b', 'a')], 1, false, { fail: ['a'] });
    expect(t.results.get('a')).toEqual({ id: 'a', blocks: true, how: 'ran' });
    expect(t.results.get('b')).toEqual({ id: 'b', blocks: true, how: 'a' });
  });

  it('runs as many jobs at once as threads allows, and never more', async () => {
    const jobs = Array.from({ length: 10 }, (_, i) => job(`j${i}`));
    const ms = Object.fromEntries(jobs.map((j) => [j.id, 30]));
    const t3 = await run(jobs, 3, false, { ms });
    expect(t3.maxConcurrent).toBe(3);
    expect(t3.results.size).toBe(10);
    expect(t3.elapsedMs).toBeGreaterThanOrEqual(4 * 30 - 5); // ceil(10 / 3) rounds of 30 ms
    expect(t3.elapsedMs).toBeLessThan(10 * 30); // and not one at a time

    const t1 = await run(jobs.slice(0, 4), 1, false, { ms });
    expect(t1.maxConcurrent).toBe(1);
    expect(t1.events).toEqual(['start:j0', 'end:j0', 'start:j1', 'end:j1', 'start:j2', 'end:j2', 'start:j3', 'end:j3']);

    const t10 = await run(jobs, 16, false, { ms });
    expect(t10.maxConcurrent).toBe(10);
    expect(t10.elapsedMs).toBeLessThan(5 * 30);
  });

  it('is limited by the graph as well: a chain runs one at a time whatever the threads', async () => {
    const t = await run([job('a'), job('b', 'a'), job('c', 'b'), job('d', 'c')], 8, false);
    expect(t.maxConcurrent).toBe(1);
    expect(t.events).toEqual(['start:a', 'end:a', 'start:b', 'end:b', 'start:c', 'end:c', 'start:d', 'end:d']);
  });

  it('refills a free thread at once: a short job does not wait for a long one', async () => {
    const t = await run([job('long'), job('s1'), job('s2'), job('s3')], 2, false, { ms: { long: 60, s1: 10, s2: 10, s3: 10 } });
    expect(t.maxConcurrent).toBe(2);
    expect(t.events).toEqual(['start:long', 'start:s1', 'end:s1', 'start:s2', 'end:s2', 'start:s3', 'end:s3', 'end:long']);
  });

  it('skips everything downstream of a blocking job along a chain, naming the job that blocked', async () => {
    const jobs = [job('a'), job('b', 'a'), job('c', 'b'), job('d', 'c'), job('x')];
    const t = await run(jobs, 2, false, { fail: ['b'] });
    expect(how(t)).toEqual({ a: 'ran', b: 'ran', c: 'b', d: 'b', x: 'ran' });
    expect(t.events.filter((e) => e.startsWith('skip:'))).toEqual(['skip:c<-b', 'skip:d<-b']);
    expect(t.events).not.toContain('start:c');
    expect(t.events).not.toContain('start:d');
  });

  it('skips a diamond below a blocking root with the root as cause', async () => {
    //   a ─┬─ b ─┬─ d ── e
    //      └─ c ─┘
    const jobs = [job('a'), job('b', 'a'), job('c', 'a'), job('d', 'b', 'c'), job('e', 'd')];
    const t = await run(jobs, 4, false, { fail: ['a'] });
    expect(how(t)).toEqual({ a: 'ran', b: 'a', c: 'a', d: 'a', e: 'a' });
    expect(t.events).toEqual(['start:a', 'end:a', 'skip:b<-a', 'skip:c<-a', 'skip:d<-a', 'skip:e<-a']);
  });

  it('skips the join of a diamond when one side blocks, after the other side has run', async () => {
    const jobs = [job('a'), job('b', 'a'), job('c', 'a'), job('d', 'b', 'c'), job('e', 'd'), job('f', 'c')];
    const t = await run(jobs, 4, false, { fail: ['b'], ms: { b: 5, c: 30 } });
    expect(how(t)).toEqual({ a: 'ran', b: 'ran', c: 'ran', d: 'b', e: 'b', f: 'ran' });
    // d is skipped only once c has ended (it waits for all its parents); f, ready with d, runs; then e is skipped.
    expect(t.events.slice(t.events.indexOf('end:c'))).toEqual(['end:c', 'skip:d<-b', 'start:f', 'skip:e<-b', 'end:f']);
  });

  it('names the first parent to block when both sides of a diamond block', async () => {
    const jobs = [job('a'), job('b', 'a'), job('c', 'a'), job('d', 'b', 'c')];
    const first = await run(jobs, 4, false, { fail: ['b', 'c'], ms: { b: 5, c: 30 } });
    expect(first.results.get('d')!.how).toBe('b');
    const second = await run(jobs, 4, false, { fail: ['b', 'c'], ms: { b: 30, c: 5 } });
    expect(second.results.get('d')!.how).toBe('c');
  });

  it('does not skip anything when a job fails to block (blocks: false)', async () => {
    const t = await run([job('a'), job('b', 'a')], 2, false);
    expect(how(t)).toEqual({ a: 'ran', b: 'ran' });
  });

  it('with failFast, skips everything not yet started after the first blocking outcome; running jobs finish', async () => {
    //   a fails at 10 ms; long (running) finishes; queued ones and a's child are skipped.
    const jobs = [job('a'), job('long'), job('q1'), job('q2'), job('child', 'a'), job('after-long', 'long')];
    const t = await run(jobs, 2, true, { fail: ['a'], ms: { a: 10, long: 40 } });
    expect(how(t)).toEqual({ a: 'ran', long: 'ran', q1: 'fail-fast', q2: 'fail-fast', child: 'a', 'after-long': 'fail-fast' });
    expect(t.events).toEqual([
      'start:a',
      'start:long',
      'end:a',
      'skip:q1<-fail-fast',
      'skip:q2<-fail-fast',
      'skip:child<-a',
      'end:long',
      'skip:after-long<-fail-fast',
    ]);
  });

  it('without failFast, the same failure skips only its descendants', async () => {
    const jobs = [job('a'), job('long'), job('q1'), job('q2'), job('child', 'a'), job('after-long', 'long')];
    const t = await run(jobs, 2, false, { fail: ['a'], ms: { a: 10, long: 40 } });
    expect(how(t)).toEqual({ a: 'ran', long: 'ran', q1: 'ran', q2: 'ran', child: 'a', 'after-long': 'ran' });
    expect(t.maxConcurrent).toBe(2);
  });

  it('rejects when a job throws, and starts nothing after it', async () => {
    // The test decides when each job ends (no timing): a, then e, then boom throws, then slow ends.
    const jobs = [job('a'), job('boom', 'a'), job('slow'), job('c', 'boom'), job('d', 'slow'), job('e')];
    const events: string[] = [];
    const gates = new Map<string, { open: () => void; fail: (e: Error) => void }>();
    const started = new Map<string, () => void>();
    const whenStarted = (id: string): Promise<void> => new Promise((resolve) => (gates.has(id) ? resolve() : started.set(id, resolve)));
    const p = schedule<Outcome>(jobs, 2, false, {
      async run(id) {
        events.push(`start:${id}`);
        await new Promise<void>((open, fail) => {
          gates.set(id, { open, fail });
          started.get(id)?.();
        });
        events.push(`end:${id}`);
        return { blocks: false };
      },
      skip: () => ({ blocks: true }),
    });
    const rejected = expect(p).rejects.toThrow('job boom crashed');
    await whenStarted('a');
    await whenStarted('slow');
    gates.get('a')!.open();
    await whenStarted('e'); // e was ready before boom
    gates.get('e')!.open();
    await whenStarted('boom');
    gates.get('boom')!.fail(new Error('job boom crashed'));
    await rejected;
    gates.get('slow')!.open();
    await sleep(20); // let slow's end be handled: nothing may start after the failure
    // d (after slow) and c (after boom) never start.
    expect(events).toEqual(['start:a', 'start:slow', 'end:a', 'start:e', 'end:e', 'start:boom', 'end:slow']);
  }, 5_000);

  it('rejects when run throws synchronously, even after the first round', async () => {
    const p = schedule<Outcome>([job('a'), job('b', 'a')], 1, false, {
      run(id) {
        if (id === 'b') throw new Error('sync failure in b');
        return sleep(5).then(() => ({ blocks: false }));
      },
      skip: () => ({ blocks: true }),
    });
    await expect(p).rejects.toThrow('sync failure in b');
  }, 5_000);

  it('rejects when the skip hook throws', async () => {
    const p = schedule<Outcome>([job('a'), job('b', 'a')], 1, false, {
      run: () => sleep(5).then(() => ({ blocks: true })),
      skip() {
        throw new Error('skip hook failed');
      },
    });
    await expect(p).rejects.toThrow('skip hook failed');
  }, 5_000);

  it('rejects a cycle as a stall after running what it can', async () => {
    const ran: string[] = [];
    const p = schedule<Outcome>([job('a', 'b'), job('b', 'a'), job('free'), job('c', 'a')], 2, false, {
      run: async (id) => {
        ran.push(id);
        await sleep(5);
        return { blocks: false };
      },
      skip: () => ({ blocks: true }),
    });
    await expect(p).rejects.toThrow(new Error('scheduler stalled: 3 jobs never became ready (a cycle?)'));
    expect(ran).toEqual(['free']);
  }, 5_000);

  it('rejects a job depending on itself or on a job not in the schedule', async () => {
    const hooks = { run: async (): Promise<Outcome> => ({ blocks: false }), skip: (): Outcome => ({ blocks: true }) };
    await expect(schedule([job('a', 'a')], 1, false, hooks)).rejects.toThrow('scheduler stalled: 1 jobs never became ready (a cycle?)');
    await expect(schedule([job('a'), job('b', 'ghost')], 1, false, hooks)).rejects.toThrow('scheduler stalled: 1 jobs never became ready (a cycle?)');
  }, 5_000);
});
