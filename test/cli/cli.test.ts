import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';

const exec = promisify(execFile);
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

/** Runs the real `keywarden` bin against the running local stack's data directory. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/keywarden.js', '--data-dir', stack.dataDir.path, ...args], {
      env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
const json = async (args: string[], env?: Record<string, string>) => {
  const out = await cli(['--json', ...args], env);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
};

// Each run is a fresh node process (tsx + SDK load): seconds each on a busy two-core machine.
describe('keywarden CLI', { timeout: 180_000 }, () => {
  it('operator: accounts, API gate, credits, projects with an Automator key, chat admins', async () => {
    const account = await json(['accounts', 'create', '--name', 'Acme', '--credits', '5']);
    expect(account).toMatchObject({ name: 'Acme', apiAccess: false, credits: 5 });
    expect((await json(['api-access', account.id, 'on'])).apiAccess).toBe(true);
    expect((await json(['credits', 'grant', account.id, '10'])).balance).toBe(15);
    expect((await json(['credits', 'withdraw', account.id, '4'])).balance).toBe(11);
    const overdraw = await cli(['credits', 'withdraw', account.id, '100']);
    expect(overdraw.code).toBe(1);
    expect(overdraw.stderr).toContain('does not hold that many credits');
    expect((await json(['accounts', 'list'])).map((a: any) => a.id)).toContain(account.id);

    const created = await json(['projects', 'create', '--account', account.id, '--name', 'Acme bots']);
    expect(created.automatorKey.key).toMatch(/^archie_/);
    const me = await stack.json('/v1/me', { key: created.automatorKey.key });
    expect(me.body).toMatchObject({ type: 'system', protected: true, projectId: created.project.id });

    await json(['admins', 'add', created.project.id, 'slack:T9:U9']);
    expect(await json(['admins', 'list', created.project.id])).toEqual(['slack:T9:U9']);
    const bad = await cli(['admins', 'add', created.project.id, 'bob']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Not a chat identity');
    expect((await json(['admins', 'remove', created.project.id, 'slack:T9:U9'])).removed).toBe(true);

    await json(['api-access', account.id, 'off']);
    const gated = await stack.json('/v1/keys', { key: created.automatorKey.key, body: {} });
    expect(gated.body.error.code).toBe('api_access_disabled');
  });

  it('CI/CD: keys create/list/rotate/revoke over /v1 with KEYWARDEN_API_URL and KEYWARDEN_API_KEY', async () => {
    const env = { KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey };
    const raw = (await cli(['keys', 'create', '--name', 'pipeline', '--type', 'viewer', '--expires', '30d', '--rate-limit', '100/60s', '--quiet'], env)).stdout.trim();
    expect(raw).toMatch(/^archie_[0-9A-Za-z]{28}$/);
    const list = await json(['keys', 'list', '--search', 'pipeline'], env);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ type: 'viewer', rateLimit: { limit: 100, windowSeconds: 60 } });
    expect(JSON.stringify(list)).not.toContain(raw);
    const rotated = await json(['keys', 'rotate', list.data[0].id], env);
    expect(rotated.key).not.toBe(raw);
    expect((await stack.json('/v1/models', { key: raw })).status).toBe(401);
    const revoked = await json(['keys', 'revoke', rotated.id], env);
    expect(revoked.status).toBe('revoked');
    const denied = await cli(['keys', 'create'], { ...env, KEYWARDEN_API_KEY: raw });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('401');
    expect(denied.stderr).not.toContain(raw);
  });

  it('key commands default to the local stack from bootstrap.json', async () => {
    const list = await json(['keys', 'list']);
    expect(list.data.map((k: any) => k.id)).toContain(stack.bootstrap.adminKeyId);
  });

  it('--help on every command', async () => {
    for (const args of [[], ['accounts'], ['accounts', 'create'], ['credits', 'grant'], ['projects', 'create'], ['admins', 'add'], ['keys', 'create'], ['keys', 'rotate'], ['api-access']]) {
      const out = await cli([...args, '--help']);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Usage: keywarden');
    }
  });
});
