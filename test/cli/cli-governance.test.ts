import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeReport, parseRateLimit, updateBody } from '../../bin/cli/key-changes';
import type { ApiKey } from '../../lambdas/http/client';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * Key governance from the CLI (issue 21, points 6 and 7): `keys update|disable|enable` through /v1
 * with a key, the same with `--operator` on the store, and operators setting any limit (the root
 * credential included). Each CLI run is a fresh node process (~1.3 s): runs are few, and
 * independent ones go in parallel; the rest is checked through the API directly.
 */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');

describe('keys update, disable, enable and operators’ limits against a local stack', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keywarden-governance-'));
  let stack: TestStack;
  /** Key commands go to the stack with its root credential (the bootstrap admin key). */
  let asRoot: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack({}, {}, join(root, '.data'));
    asRoot = { KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey };
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--data-dir', stack.dataDir.path, ...args], {
        env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', DATA_DIR: '', ...env },
      });
      return { stdout, stderr, code: 0 };
    } catch (err: any) {
      return { stdout: err.stdout, stderr: err.stderr, code: err.code };
    }
  }
  const ok = (out: { stdout: string; stderr: string; code: number }) => {
    expect(out.code, out.stderr).toBe(0);
    return out.stdout;
  };
  const newKey = async (body: Record<string, unknown>) => {
    const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as ApiKey & { key: string };
  };
  const getKey = async (id: string) => (await stack.json(`/v1/keys/${id}`, { key: stack.adminKey })).body as ApiKey;

  it('updates a key in place, saying each change before → after and the new version; a stale --if-match is one clear line', async () => {
    const key = await newKey({ name: 'pipeline', type: 'viewer', rateLimit: { limit: 100, windowSeconds: 60 } });
    const text = ok(await cli(['keys', 'update', key.id, '--name', 'deploy', '--rate-limit', '50/1m', '--metadata', 'team=ci', 'owner=ana'], asRoot));
    expect(text.trim().split('\n')).toEqual([
      `${key.id} "deploy": version 1 → 2`,
      '  name        "pipeline" → "deploy"',
      '  rate limit  100/60s → 50/60s',
      '  metadata    none → team=ci, owner=ana',
    ]);
    expect(await getKey(key.id)).toMatchObject({ name: 'deploy', version: 2, rateLimit: { limit: 50, windowSeconds: 60 }, metadata: { team: 'ci', owner: 'ana' } });

    // Read at version 1, edited meanwhile (above): refused, and the line says why; nothing changed.
    const stale = await cli(['keys', 'update', key.id, '--if-match', '1', '--name', 'late'], asRoot);
    expect(stale.code).toBe(1);
    expect(stale.stderr.trim().split('\n')).toHaveLength(1);
    expect(stale.stderr.trim()).toBe(
      `error: 409 conflict: ${key.id} is no longer at version 1 (it is at version 2): --if-match is stale; read it again with \`keywarden keys show ${key.id}\``,
    );
    expect((await getKey(key.id)).name).toBe('deploy');
  });

  it('disable refuses the key at once (401 key_disabled, never retried) and keeps it; enable restores it', async () => {
    const key = await newKey({ name: 'paused', type: 'viewer' });
    expect((await stack.json('/v1/models', { key: key.key })).status).toBe(200);

    const disabled = JSON.parse(ok(await cli(['--json', 'keys', 'disable', key.id], asRoot)));
    expect(disabled).toMatchObject({ id: key.id, status: 'disabled', version: 2 });
    const refused = await stack.json('/v1/models', { key: key.key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('key_disabled');
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect((await getKey(key.id)).status).toBe('disabled');

    const enabled = ok(await cli(['keys', 'enable', key.id], asRoot));
    expect(enabled.trim().split('\n')).toEqual([`${key.id} "paused": version 2 → 3`, '  status  disabled → active']);
    expect((await stack.json('/v1/models', { key: key.key })).status).toBe(200);
  });

  it('an operator sets any limit: a key beyond 6000/min and beyond its creator, the root credential itself, admin-key --rate-limit; and pauses a key', async () => {
    const child = await newKey({ name: 'busy bot', type: 'viewer' });
    const leaked = await newKey({ name: 'leaked', type: 'viewer' });
    // The root credential starts at the bootstrap default, and a key cannot go beyond its creator.
    expect((await getKey(stack.bootstrap.adminKeyId)).rateLimit).toEqual({ limit: 6000, windowSeconds: 60 });
    const wide = await stack.json(`/v1/keys/${child.id}`, { key: stack.adminKey, method: 'PATCH', body: { rateLimit: { limit: 20_000, windowSeconds: 60 } } });
    expect(wide.status).toBe(403);

    const [raised, rootRaised, recovery, stale, paused] = await Promise.all([
      cli(['keys', 'update', child.id, '--operator', '--rate-limit', '20000/60s']),
      cli(['--json', 'keys', 'update', stack.bootstrap.adminKeyId, '--operator', '--rate-limit', '100000/60s']),
      cli(['--json', 'admin-key', stack.bootstrap.projectId, '--name', 'recovery', '--rate-limit', '250000/60s']),
      // Operators' edits are conditional the same way.
      cli(['keys', 'update', stack.bootstrap.adminKeyId, '--operator', '--if-match', '9', '--name', 'late']),
      cli(['keys', 'disable', leaked.id, '--operator']),
    ]);
    expect(ok(paused).trim().split('\n')).toEqual([`${leaked.id} "leaked": version 1 → 2`, '  status  active → disabled']);
    expect((await stack.json('/v1/models', { key: leaked.key })).body.error.code).toBe('key_disabled');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(new RegExp(`^error: 409 conflict: ${stack.bootstrap.adminKeyId} is no longer at version 9 \\(it is at version [12]\\): --if-match is stale;[^\n]*\n$`));
    expect(ok(raised).trim().split('\n')).toEqual([`${child.id} "busy bot": version 1 → 2`, '  rate limit  600/60s → 20000/60s']);
    expect(JSON.parse(ok(rootRaised))).toMatchObject({ id: stack.bootstrap.adminKeyId, rateLimit: { limit: 100_000, windowSeconds: 60 }, version: 2 });
    const issued = JSON.parse(ok(recovery));
    expect(issued).toMatchObject({ name: 'recovery', rateLimit: { limit: 250_000, windowSeconds: 60 }, key: expect.stringMatching(/^archie_/) });

    // Visible through the API, and the raised root credential now mints keys beyond the old 6000/min.
    expect((await getKey(child.id)).rateLimit).toEqual({ limit: 20_000, windowSeconds: 60 });
    expect((await getKey(issued.id)).rateLimit).toEqual({ limit: 250_000, windowSeconds: 60 });
    expect((await newKey({ name: 'fast', rateLimit: { limit: 50_000, windowSeconds: 60 } })).rateLimit.limit).toBe(50_000);
    // Audited under the operator's name.
    const audit = await stack.json(`/v1/audit?keyId=${child.id}`, { key: stack.adminKey });
    expect(audit.body.data.map((r: any) => r.actor)).toContainEqual(expect.stringMatching(/^cli:/));
  });

  it('budgets, token limits and concurrency caps: set on create and update, said before → after, removed with --no-…, as a key or as the operator', async () => {
    const [created, key] = await Promise.all([
      cli(['--json', 'keys', 'create', '--name', 'capped', '--type', 'viewer', '--budget', '20/month', '--token-limit', '100000/1m', '--max-concurrent', '4'], asRoot),
      newKey({ name: 'to cap', type: 'viewer' }),
    ]);
    expect(JSON.parse(ok(created))).toMatchObject({ budget: { credits: 20, period: 'month', spent: 0 }, tokenLimit: { tokens: 100_000, windowSeconds: 60 }, maxConcurrent: 4 });
    const set = ok(await cli(['keys', 'update', key.id, '--budget', '5/day', '--token-limit', '5000/60s', '--max-concurrent', '2'], asRoot));
    expect(set.trim().split('\n')).toEqual([
      `${key.id} "to cap": version 1 → 2`,
      '  budget          none → 5 credits/day',
      '  token limit     none → 5000 tokens/60s',
      '  max concurrent  none → 2',
    ]);
    const removed = ok(await cli(['keys', 'update', key.id, '--operator', '--no-budget', '--no-token-limit', '--no-max-concurrent']));
    expect(removed.trim().split('\n').slice(1)).toEqual(['  budget          5 credits/day → none', '  token limit     5000 tokens/60s → none', '  max concurrent  2 → none']);
    expect(await getKey(key.id)).toMatchObject({ budget: null, tokenLimit: null, maxConcurrent: null, version: 3 });
    // The operator mints a key with any limits, wider than any key could (SPEC §3 binds keys, not the platform).
    const minted = JSON.parse(ok(await cli(['--json', 'keys', 'create', '--operator', '--project', stack.bootstrap.projectId, '--name', 'fleet', '--rate-limit', '100000/60s', '--budget', '5000/day', '--max-concurrent', '1000'])));
    expect(minted).toMatchObject({ name: 'fleet', rateLimit: { limit: 100_000 }, budget: { credits: 5000, period: 'day' }, maxConcurrent: 1000, key: expect.stringMatching(/^archie_/) });
    expect((await getKey(minted.id)).createdBy).toMatch(/^cli:/);
    const bad = await cli(['keys', 'update', key.id, '--budget', '20/fortnight'], asRoot);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('a budget looks like 20/month')]);
  });

  it('bootstrap --rate-limit gives the new root credential any window', async () => {
    const boot = JSON.parse(ok(await cli(['--json', 'bootstrap', '--account-name', 'Big', '--project-name', 'Big', '--rate-limit', '1000000/60s'])));
    const me = await stack.json('/v1/me', { key: boot.adminKey });
    expect(me.body).toMatchObject({ id: boot.adminKeyId, rateLimit: { limit: 1_000_000, windowSeconds: 60 } });
  });
});

describe('keys update without a stack', () => {
  const before = {
    id: 'key_7LykMTk0wIS1VwzBMfJ7Os',
    name: 'deploy bot',
    status: 'active',
    version: 3,
    metadata: { team: 'ci', owner: 'ana' },
    scopes: ['keys:read'],
    roles: [],
    context: {},
    models: null,
    rateLimit: { limit: 100, windowSeconds: 60 },
    expiresAt: '2027-03-01T10:00:00.000Z',
  } as unknown as ApiKey;

  it('reads rate limits in seconds, minutes, hours or a day, with no ceiling on the count', () => {
    expect(parseRateLimit('100/60s')).toEqual({ limit: 100, windowSeconds: 60 });
    expect(parseRateLimit('100000/1m')).toEqual({ limit: 100_000, windowSeconds: 60 });
    expect(parseRateLimit('5/1d')).toEqual({ limit: 5, windowSeconds: 86_400 });
    for (const bad of ['0/60s', '100/0s', '100/2d', '100', '100/60', '-1/60s']) expect(() => parseRateLimit(bad), bad).toThrow(/rate limit looks like/);
  });

  it('merges labels with the key as read (key= removes one) and says so, so the edit is conditional', () => {
    expect(updateBody({ metadata: ['owner=', 'env=prod'] }, before)).toEqual({ body: { metadata: { team: 'ci', env: 'prod' } }, merged: true });
    expect(updateBody({ clearMetadata: true }, before)).toEqual({ body: { metadata: null }, merged: false });
    expect(updateBody({ clearMetadata: true, metadata: ['a=b'] }, before)).toEqual({ body: { metadata: { a: 'b' } }, merged: false });
    expect(updateBody({ allModels: true, expiry: false }, before).body).toEqual({ models: null, expiresAt: null });
    expect(() => updateBody({ expiresIn: '30d', expiry: false }, before)).toThrow('give one of --expires-in, --expires-at and --no-expiry');
    expect(() => updateBody({}, before)).toThrow(/nothing to change/);
    expect(() => updateBody({ metadata: ['oops'] }, before)).toThrow(/key=value/);
  });

  it('reports only what changed, aligned, or that nothing did', () => {
    const after = { ...before, version: 4, models: ['gpt-4o'], expiresAt: null } as ApiKey;
    expect(changeReport(before, after).split('\n')).toEqual([
      'key_7LykMTk0wIS1VwzBMfJ7Os "deploy bot": version 3 → 4',
      '  models   every model → gpt-4o',
      '  expires  2027-03-01T10:00:00.000Z → never',
    ]);
    expect(changeReport(before, before)).toBe('key_7LykMTk0wIS1VwzBMfJ7Os "deploy bot": no change (version 3)');
  });
});
