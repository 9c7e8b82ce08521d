import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createKey } from '../http/openai-relay/stack-helpers';

/** `keywarden keys report-exposed` and `keys exposure` (issue 22): the real bin against the local stack over /v1. */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

async function cli(args: string[], key = stack.adminKey): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: key, DATA_DIR: '' } });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('keywarden keys report-exposed', { timeout: 120_000 }, () => {
  it('stops the key at once and shows where it leaked; `keys exposure` then says what it did; a viewer reporting another key is refused', async () => {
    const target = await createKey(stack, { name: 'pasted' });
    expect((await stack.json('/v1/models', { key: target.key, headers: { 'user-agent': 'leaky-script/1.0' } })).status).toBe(200);
    const viewer = await createKey(stack, { name: 'viewer', type: 'viewer' });
    const refused = await cli(['keys', 'report-exposed', target.id], viewer.key);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('403 insufficient_permissions');

    const out = await cli(['keys', 'report-exposed', target.id, '--location', 'https://tickets.example/T-42']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`${target.id} reported exposed: revoked`);
    expect(out.stdout).toMatch(/exposed \S+ \(report\): https:\/\/tickets\.example\/T-42/);
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(401);

    const json = await cli(['--json', 'keys', 'exposure', target.id]);
    expect(json.code, json.stderr).toBe(0);
    // Nothing since the exposure: the key stopped the moment it was reported.
    expect(JSON.parse(json.stdout)).toMatchObject({ object: 'key.exposure_usage', keyId: target.id, calls: 0, exposure: { source: 'report', location: 'https://tickets.example/T-42' } });
    const life = await cli(['keys', 'exposure', viewer.id]);
    expect(life.stdout).toContain('never exposed');
  });
});
