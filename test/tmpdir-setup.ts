import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every temporary directory of a test run (project copies with their embedded databases, about 40 MB each;
// generated data; S3 stand-in storage), and those of the CLI processes the tests start, goes under one
// directory of the run, removed when the run ends: a full run otherwise leaves gigabytes in the system's
// temporary directory. The removal (1.6 GB, 60,000 files: up to half a minute on a busy disk) runs in a
// detached process, so the run does not wait for it. Set SPARKIFY_KEEP_TEST_TMP=1 to keep the directory
// (its path is printed) for a post-mortem.
// Runs before the other global setup, so test workers and their processes inherit TMPDIR.
export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-test-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.SPARKIFY_KEEP_TEST_TMP === '1') console.log(`[kept] the test run's temporary files: ${dir}`);
    else {
      const rm = spawn(process.execPath, ['-e', 'require("node:fs").rmSync(process.argv[1], { recursive: true, force: true })', dir], { detached: true, stdio: 'ignore' });
      rm.unref();
    }
  };
}
