import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each file takes in a full run on two cores (the slow ones run the CLI on real data, or the
 * stand-ins). Files start longest first, so the short ones fill the gaps at the end. vitest's own order
 * comes from the results cache of each file's last run, which a run of a single test makes look fast (and
 * which every checkout linking the same node_modules shares), or, with no cache as in CI, from file sizes:
 * in one run redshift.test started last and ran alone for the final 25 s. Here a file's estimate is the
 * larger of this table and the cache; a file that neither knows (a new one) starts first, as vitest starts
 * unknown files first. Add new files here.
 */
const SECONDS: Record<string, number> = {
  'incremental-load': 80, cli: 55, 'bad-input': 50, redshift: 45, materialize: 42, 'load-bad-input': 40, 'load-stream': 34, s3: 30,
  manifest: 30, show: 22, 'compile-e2e': 20, postgres: 16, warehouse: 10, generate: 6, 'dir-lock': 6, template: 5, 'lazy-drivers': 3,
  load: 3, interrupt: 2, scheduler: 1, 'compile-config': 0.2, compile: 0.1, selector: 0.1, artifacts: 0, architecture: 0, 'load-imports': 0,
};

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const estimate = (f: TestSpecification): number => {
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path.relative(this.ctx.config.root, f.moduleId)}`)?.duration;
      const known = SECONDS[path.basename(f.moduleId, '.test.ts')];
      if (cached === undefined && known === undefined) return Infinity;
      return Math.max((cached ?? 0) / 1000, known ?? 0);
    };
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i, s: estimate(f) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tmpdir-setup first: the other setup's files, the workers and the CLI processes they start all inherit its TMPDIR.
    globalSetup: ['test/tmpdir-setup.ts', 'test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files are independent (each has its own PostgreSQL schemas, temp dirs, PGlite data directories,
    // S3 and Redshift stand-ins on ports of their own), and most of their time is spent waiting on CLI
    // processes: two at a time even on two cores (vitest's default there is one), at most four.
    maxWorkers: Math.min(4, Math.max(2, os.availableParallelism() - 1)),
    sequence: { sequencer: SlowFirst },
    // The AWS SDK warns about Node 20 on first use in every test process; the CLI turns it off the same way.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
