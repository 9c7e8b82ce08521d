/**
 * Every temporary directory a test run makes (data dirs of local stacks, CDK cloud assemblies and
 * their `cdk.out*` staging, the console's built files, CLI homes) goes under one directory of its
 * own, removed when the run ends: a run leaves nothing in the machine's temp directory, whatever
 * a test forgot to clean. `os.tmpdir()` reads TMPDIR on each call, and the test workers (and the
 * processes they start) inherit it from here, set before any of them starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-run-'));
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  };
}
