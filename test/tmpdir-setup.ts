import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every temporary directory of a test run (project copies with their embedded databases, about 40 MB each;
// generated data; S3 stand-in storage), and those of the CLI processes the tests start, goes under one
// directory of the run, removed when the run ends: a full run otherwise leaves gigabytes in the system's
// temporary directory. Set SPARKIFY_KEEP_TEST_TMP=1 to keep it (its path is printed) for a post-mortem.
// Runs before the other global setup, so test workers and their processes inherit TMPDIR.
export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-test-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.SPARKIFY_KEEP_TEST_TMP === '1') console.log(`[kept] the test run's temporary files: ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
}
