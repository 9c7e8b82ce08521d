import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';

const exec = promisify(execFile);
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const cli = (args: string[]) =>
  exec(process.execPath, [resolve('bin/keywarden.js'), '--data-dir', stack.dataDir.path, ...args], { env: { ...process.env, DATA_DIR: '', KEYWARDEN_CONSOLE_URL: '' } });

describe('npx keywarden console-link', () => {
  it('prints a one-time link to the local console (--json: {"url": …}) that signs in once, as the Automator key, audited', async () => {
    const { stdout } = await cli(['--json', 'console-link']);
    const { url } = JSON.parse(stdout) as { url: string };
    expect(url).toMatch(new RegExp(`^${stack.url}/console/#link=kwl\\.[A-Za-z0-9_-]{43}$`));
    const link = url.split('#link=')[1];
    const first = await stack.json('/v1/console/sessions', { body: { link }, headers: { origin: stack.url } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: 'key', projectId: stack.bootstrap.projectId });
    // The session names the operator who opened it (the console's header shows it), not only the Automator key it acts as.
    expect(first.body.operator).toMatch(/^cli:./);
    const second = await stack.json('/v1/console/sessions', { body: { link }, headers: { origin: stack.url } });
    expect(second.status).toBe(401);
    const audit = await stack.json('/v1/audit', { key: stack.adminKey });
    expect(audit.body.data.some((r: { action: string; actor: string }) => r.action === 'console.link' && r.actor.startsWith('cli:'))).toBe(true);
  });

  it('says what it printed in words, and takes --project', async () => {
    const { stdout } = await cli(['console-link', '--project', stack.bootstrap.projectId]);
    expect(stdout).toContain('/console/#link=kwl.');
    expect(stdout).toContain('valid 5 minutes, single use');
  });

  it('an unknown project is one clear line', async () => {
    const failed = await cli(['console-link', '--project', 'proj_0000000000000000']).catch((err: { stderr: string; code: number }) => err);
    expect((failed as { code: number }).code).not.toBe(0);
    expect((failed as { stderr: string }).stderr).toContain('No project proj_0000000000000000');
  });
});
