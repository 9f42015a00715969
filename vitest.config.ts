import os from 'node:os';
import { defineConfig } from 'vitest/config';

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
    // The AWS SDK warns about Node 20 on first use in every test process; the CLI turns it off the same way.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
