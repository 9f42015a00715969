import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files (CLI runs on real data, stand-ins), longest first, by a full run on two cores. Started
 * first, they leave the short files to fill the gaps at the end; vitest's own order comes from the results
 * cache of the last run of each file (a run of one test makes a slow file look fast) or, with no cache as
 * in CI, from file sizes. Files not listed keep vitest's order, after these.
 */
const SLOW_FIRST = ['incremental-load', 's3', 'cli', 'materialize', 'redshift', 'bad-input', 'load-bad-input', 'load-stream', 'manifest', 'show', 'compile-e2e', 'postgres', 'warehouse', 'dir-lock'];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.indexOf(path.basename(f.moduleId, '.test.ts'));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
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
