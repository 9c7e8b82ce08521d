import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';

/** `keywarden keys rotate --revoke-when-idle` and `keys stragglers` (issue 25 point 4): the real bin against the local stack over /v1. */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey, DATA_DIR: '' } });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('keywarden keys rotate --revoke-when-idle, keys stragglers', { timeout: 120_000 }, () => {
  it('rotates with the idle limit, then names the caller still on the old key', async () => {
    const old = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'cli-straggler', scopes: ['models:read'] } })).body;
    const alone = await cli(['keys', 'rotate', old.id, '--revoke-when-idle', '30m']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('revokeWhenIdle needs an overlap');
    const rotated = await cli(['--json', 'keys', 'rotate', old.id, '--overlap', '1h', '--revoke-when-idle', '30m']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const replacement = JSON.parse(rotated.stdout);
    expect(replacement.replaced.graceUntil).not.toBeNull();
    expect((await stack.json('/v1/models', { key: old.key, headers: { 'user-agent': 'old-cron/1.0' } })).status).toBe(200);
    await stack.idle();
    const out = await cli(['keys', 'stragglers', replacement.id]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`${old.id} → ${replacement.id}`);
    expect(out.stdout).toMatch(/old-cron\/1\.0 {2}GET \/v1\/models {2}1 call\(s\)/);
  });
});
