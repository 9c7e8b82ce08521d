import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { CONSOLE_BINDING_HEADER, sessionBinding } from '../../../lambdas/core/console-cookie';
import type { Principal } from '../../../lambdas/core/principal';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance } from '../openai-relay/stack-helpers';

/**
 * Issue 21, points 1 and 2, from the outside: PATCH /v1/keys/{id} (each field set and removed,
 * If-Match, the audit's before → after, the next request seeing the change, the authority rule)
 * and POST …/disable, …/enable (refused before any usage is counted, restored at once).
 */
let stack: TestStack;
let automatorId: string;
let botKey: string;
let botKeyId: string;

beforeAll(async () => {
  stack = await startTestStack({ MODELS: 'archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano', KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  automatorId = (await stack.services.store.getProject(stack.bootstrap.projectId))!.automatorKeyId!;
  botKey = stack.secrets.botViewerKeys!.slack;
  botKeyId = (await stack.json('/v1/me', { key: botKey })).body.id;
});
afterAll(async () => stack?.stop());

type Created = { id: string; key: string; version: number } & Record<string, any>;

async function create(body: Record<string, unknown> = {}, key = stack.adminKey): Promise<Created> {
  const res = await stack.json('/v1/keys', { key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

function patch(id: string, body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) {
  return stack.json(`/v1/keys/${id}`, { key: options.key ?? stack.adminKey, method: 'PATCH', body, headers: options.headers });
}

const disable = (id: string, key = stack.adminKey) => stack.json(`/v1/keys/${id}/disable`, { key, method: 'POST' });
const enable = (id: string, key = stack.adminKey) => stack.json(`/v1/keys/${id}/enable`, { key, method: 'POST' });

function chat(key: string, model = 'archibot') {
  return stack.json('/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'hi' }] } });
}

async function usageOf(id: string): Promise<unknown[]> {
  return (await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey })).body.data;
}

async function auditOf(id: string): Promise<any[]> {
  return (await stack.json(`/v1/audit?keyId=${id}`, { key: stack.adminKey })).body.data;
}

describe('PATCH /v1/keys/{id}: edit in place', () => {
  it('edits each field, answers the key with its version (also as the ETag), and null removes', async () => {
    const k = await create({ name: 'editable', scopes: ['models:read', 'responses:write'] });
    expect(k.version).toBe(1);
    const steps: Array<[Record<string, unknown>, (body: any) => void]> = [
      [{ name: 'renamed' }, (b) => expect(b.name).toBe('renamed')],
      [{ metadata: { team: 'finance', env: 'prod' } }, (b) => expect(b.metadata).toEqual({ team: 'finance', env: 'prod' })],
      [{ metadata: null }, (b) => expect(b.metadata).toEqual({})],
      [{ scopes: ['models:read'] }, (b) => expect(b.scopes).toEqual(['models:read'])],
      [
        { roles: [{ name: 'eu', permissions: ['models:read'], filters: { region: '${context.region}' } }], context: { region: 'eu' } },
        (b) => expect([b.roles[0].name, b.context]).toEqual(['eu', { region: 'eu' }]),
      ],
      [{ roles: [], context: {} }, (b) => expect([b.roles, b.context]).toEqual([[], {}])],
      [{ models: ['archibot-mini'] }, (b) => expect(b.models).toEqual(['archibot-mini'])],
      [{ models: null }, (b) => expect(b.models).toBeNull()],
      [{ rateLimit: { limit: 5, windowSeconds: 10 } }, (b) => expect(b.rateLimit).toEqual({ limit: 5, windowSeconds: 10 })],
      [{ expiresAt: '2099-01-01T00:00:00Z' }, (b) => expect(b.expiresAt).toBe('2099-01-01T00:00:00.000Z')],
      [{ expiresIn: '2d' }, (b) => expect(Math.abs(Date.parse(b.expiresAt) - (stack.clock.now() + 2 * 86_400_000))).toBeLessThan(10_000)],
      [{ expiresAt: null }, (b) => expect(b.expiresAt).toBeNull()],
      [
        { budget: { credits: 20, period: 'month' } },
        (b) => expect(b.budget).toEqual({ credits: 20, period: 'month', spent: 0, remaining: 20, resetsAt: expect.stringMatching(/-01T00:00:00.000Z$/) }),
      ],
      [{ budget: { credits: 5, period: 'total' } }, (b) => expect(b.budget).toMatchObject({ credits: 5, period: 'total', remaining: 5, resetsAt: null })],
      [{ budget: null }, (b) => expect(b.budget).toBeNull()],
      [{ tokenLimit: { tokens: 1000, windowSeconds: 60 } }, (b) => expect(b.tokenLimit).toEqual({ tokens: 1000, windowSeconds: 60 })],
      [{ tokenLimit: null }, (b) => expect(b.tokenLimit).toBeNull()],
      [{ maxConcurrent: 2 }, (b) => expect(b.maxConcurrent).toBe(2)],
      [{ maxConcurrent: null }, (b) => expect(b.maxConcurrent).toBeNull()],
    ];
    let version = 1;
    for (const [body, check] of steps) {
      const res = await patch(k.id, body);
      expect(res.status, JSON.stringify([body, res.body])).toBe(200);
      check(res.body);
      expect(res.body.version).toBe(++version);
      expect(res.headers.get('etag')).toBe(`"${version}"`);
      // Stored, not only answered.
      const got = await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey });
      check(got.body);
      expect(got.headers.get('etag')).toBe(`"${version}"`);
    }
    // Nothing changed: no new version.
    expect((await patch(k.id, { name: 'renamed' })).body.version).toBe(version);
  });

  it('refuses what a key cannot be (400): an empty name, scopes of another type, an expiry in the past, an empty body', async () => {
    const k = await create({ name: 'strict', type: 'viewer' });
    expectApiError(await patch(k.id, { name: '  ' }), 400, 'invalid_request_error');
    expectApiError(await patch(k.id, { scopes: ['keys:write'] }), 400, 'invalid_request_error');
    // No scopes is not every scope of the type, as it is on create.
    expectApiError(await patch(k.id, { scopes: [] }), 400, 'invalid_request_error');
    expectApiError(await patch(k.id, { expiresAt: '2001-01-01T00:00:00Z' }), 400, 'invalid_request_error');
    expectApiError(await patch(k.id, {}), 400, 'invalid_request_error');
    expectApiError(await patch(k.id, { expiresAt: null, expiresIn: '1d' }), 400, 'invalid_request_error');
    expect((await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body.version).toBe(1);
  });

  it('If-Match: a stale version is 409 conflict and changes nothing; the current one (plain or quoted) applies', async () => {
    const k = await create({ name: 'conditional' });
    expect((await patch(k.id, { name: 'v2' }, { headers: { 'if-match': '1' } })).status).toBe(200);
    const stale = await patch(k.id, { name: 'lost update' }, { headers: { 'if-match': '1' } });
    expectApiError(stale, 409, 'conflict');
    expect((await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body.name).toBe('v2');
    const fresh = await patch(k.id, { name: 'v3' }, { headers: { 'if-match': '"2"' } });
    expect([fresh.status, fresh.body.name, fresh.body.version]).toEqual([200, 'v3', 3]);
    expectApiError(await patch(k.id, { name: 'x' }, { headers: { 'if-match': 'banana' } }), 400, 'invalid_request_error');
    // A pause moves the version too: an edit read before it is stale.
    expect((await disable(k.id)).body.version).toBe(4);
    expectApiError(await patch(k.id, { name: 'x' }, { headers: { 'if-match': '3' } }), 409, 'conflict');
    // Pause and resume honour If-Match too (a bot's confirmation carries the version it showed).
    const resume = (version: string) => stack.json(`/v1/keys/${k.id}/enable`, { key: stack.adminKey, method: 'POST', headers: { 'if-match': version } });
    expectApiError(await resume('3'), 409, 'conflict');
    expect((await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body.status).toBe('disabled');
    expect((await resume('"4"')).body).toMatchObject({ status: 'active', version: 5 });
    const pause = (version: string) => stack.json(`/v1/keys/${k.id}/disable`, { key: stack.adminKey, method: 'POST', headers: { 'if-match': version } });
    expectApiError(await pause('4'), 409, 'conflict');
    expect((await pause('5')).body).toMatchObject({ status: 'disabled', version: 6 });
  });

  it('audits each changed field before → after, never a raw key', async () => {
    const k = await create({ name: 'audited', rateLimit: { limit: 60, windowSeconds: 60 } });
    await patch(k.id, { name: 'audited 2', rateLimit: { limit: 30, windowSeconds: 60 }, metadata: { owner: 'ops' }, models: ['archibot'] });
    const [record] = await auditOf(k.id);
    expect(record).toMatchObject({ action: 'key.update', outcome: 'success', actor: `key:${(await stack.json('/v1/me', { key: stack.adminKey })).body.id}` });
    expect(record.details).toEqual({
      name: '"audited" → "audited 2"',
      metadata: 'null → {"owner":"ops"}',
      models: 'null → ["archibot"]',
      rateLimit: '60/60s → 30/60s',
      version: '1 → 2',
    });
    expect(JSON.stringify(await auditOf(k.id))).not.toContain(k.key);
  });

  it('the next request sees a new rate limit and model list', async () => {
    const k = await create({ name: 'limits apply at once', rateLimit: { limit: 100, windowSeconds: 60 }, models: ['archibot'] });
    const first = await chat(k.key);
    expect([first.status, first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual([200, '100', '99']);
    expectApiError(await chat(k.key, 'archibot-mini'), 404, 'model_not_found');

    await patch(k.id, { rateLimit: { limit: 3, windowSeconds: 60 }, models: ['archibot', 'archibot-mini'] });
    const second = await chat(k.key, 'archibot-mini');
    expect([second.status, second.headers.get('x-ratelimit-limit')]).toEqual([200, '3']);
    // The window's count is kept: 2 (3 with the refused model call) of 3 used.
    expectApiError(await chat(k.key), 429, 'rate_limit_exceeded');

    await patch(k.id, { rateLimit: { limit: 100, windowSeconds: 60 }, models: ['archibot-mini'] });
    expect((await chat(k.key, 'archibot-mini')).status).toBe(200);
    expectApiError(await chat(k.key, 'archibot'), 404, 'model_not_found');
  });

  it('a revoked key is not edited (409)', async () => {
    const k = await create({ name: 'gone' });
    await stack.json(`/v1/keys/${k.id}/revoke`, { key: stack.adminKey, method: 'POST' });
    expectApiError(await patch(k.id, { name: 'back?' }), 409, 'conflict');
  });

  it('metadata is searchable (list and search)', async () => {
    const k = await create({ name: 'labelled' });
    await patch(k.id, { metadata: { costCenter: 'CC-4711-zeta' } });
    const listed = await stack.json('/v1/keys?search=cc-4711', { key: stack.adminKey });
    expect(listed.body.data.map((x: any) => x.id)).toEqual([k.id]);
    const searched = await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: '4711-ZETA' } });
    expect(searched.body.data.map((x: any) => x.id)).toEqual([k.id]);
  });
});

describe('POST /v1/keys/{id}/disable and /enable: pause and resume', () => {
  it('a paused key is 401 key_disabled (x-should-retry: false) before any usage is counted; enabling restores it at once', async () => {
    const k = await create({ name: 'pausable', rateLimit: { limit: 10, windowSeconds: 3600 } });
    const before = await chat(k.key);
    expect(before.headers.get('x-ratelimit-remaining')).toBe('9');
    const usageBefore = (await usageOf(k.id)).length;
    const lastUsedAt = (await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body.lastUsedAt;
    const credits = await balance(stack);

    const paused = await disable(k.id);
    expect([paused.status, paused.body.status, paused.body.version, paused.headers.get('etag')]).toEqual([200, 'disabled', 2, '"2"']);
    stack.clock.advance(1_000);
    for (const res of [await chat(k.key), await stack.json('/v1/models', { key: k.key }), await stack.json('/v1/me', { key: k.key })]) {
      expectApiError(res, 401, 'key_disabled');
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(JSON.stringify(res.body)).not.toContain(k.key);
    }
    // Nothing counted: no usage record, no lastUsedAt, no credits, the window's count as it was.
    expect((await usageOf(k.id)).length).toBe(usageBefore);
    expect(await balance(stack)).toBe(credits);
    const stored = (await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body;
    expect([stored.status, stored.lastUsedAt, stored.rateLimit, stored.name]).toEqual(['disabled', lastUsedAt, { limit: 10, windowSeconds: 3600 }, 'pausable']);
    // Listed, and found by the status filter.
    const listed = await stack.json('/v1/keys?status=disabled', { key: stack.adminKey });
    expect(listed.body.data.map((x: any) => x.id)).toContain(k.id);
    expect(listed.body.data.every((x: any) => x.status === 'disabled')).toBe(true);
    const verified = await stack.json('/v1/keys/verify', { key: stack.adminKey, body: { key: k.key } });
    expect(verified.body).toMatchObject({ valid: false, code: 'key_disabled', status: 'disabled' });

    // Idempotent.
    expect((await disable(k.id)).body).toMatchObject({ status: 'disabled', version: 2 });

    const resumed = await enable(k.id);
    expect([resumed.status, resumed.body.status, resumed.body.version]).toEqual([200, 'active', 3]);
    const after = await chat(k.key);
    expect([after.status, after.headers.get('x-ratelimit-remaining')]).toEqual([200, '8']);
    expect((await enable(k.id)).body).toMatchObject({ status: 'active', version: 3 });
    expect((await auditOf(k.id)).map((r) => [r.action, r.outcome, r.details?.status])).toEqual(
      expect.arrayContaining([
        ['key.disable', 'success', 'active → disabled'],
        ['key.enable', 'success', 'disabled → active'],
      ]),
    );
  });

  it('a paused or expired key found exposed is revoked, so no enable or new expiry can bring it back', async () => {
    const paused = await create({ name: 'paused, then pasted' });
    await disable(paused.id);
    const expired = await create({ name: 'expired, then pasted', expiresIn: '1h' });
    stack.clock.advance(2 * 3_600_000);
    for (const k of [paused, expired]) {
      expectApiError(await stack.json(`/v1/keys/${k.key}`, { key: stack.adminKey }), 400, 'invalid_request_error');
      expect((await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey })).body.status).toBe('revoked');
    }
    expectApiError(await enable(paused.id), 409, 'conflict');
    expectApiError(await patch(expired.id, { expiresIn: '1d' }), 409, 'conflict');
  });

  it('the official openai client: a paused key fails with AuthenticationError (key_disabled), asked once', async () => {
    const k = await create({ name: 'sdk paused' });
    await disable(k.id);
    let sent = 0;
    const counting: typeof fetch = (input, init) => {
      sent++;
      return fetch(input, init);
    };
    // The SDK's default retries: x-should-retry: false keeps it to one request.
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: k.key, fetch: counting });
    const error = await client.chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('key_disabled');
    expect(sent).toBe(1);
  });

  it('a console session of a paused key is refused (401 key_disabled) until it is enabled', async () => {
    const k = await create({ name: 'console key', scopes: ['keys:read', 'models:read'] });
    const signedIn = await stack.call('/v1/console/sessions', { body: { key: k.key }, headers: { origin: stack.url } });
    expect(signedIn.status).toBe(201);
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const asSession = { cookie, [CONSOLE_BINDING_HEADER]: sessionBinding(cookie.slice(cookie.indexOf('=') + 1)) };
    expect((await stack.json('/v1/keys', { headers: asSession })).status).toBe(200);
    await disable(k.id);
    const refused = await stack.json('/v1/keys', { headers: asSession });
    expectApiError(refused, 401, 'key_disabled');
    // Signing in again with the paused key is refused too.
    expectApiError(await stack.json('/v1/console/sessions', { body: { key: k.key }, headers: { origin: stack.url } }), 401, 'key_disabled');
    await enable(k.id);
    expect((await stack.json('/v1/keys', { headers: asSession })).status).toBe(200);
  });

  it('a revoked or expired key cannot be enabled or disabled (409)', async () => {
    const revoked = await create({ name: 'revoked then enable' });
    await disable(revoked.id);
    await stack.json(`/v1/keys/${revoked.id}/revoke`, { key: stack.adminKey, method: 'POST' });
    expectApiError(await enable(revoked.id), 409, 'conflict');
    expectApiError(await disable(revoked.id), 409, 'conflict');
    const expiring = await create({ name: 'expires soon', expiresIn: '1h' });
    await disable(expiring.id);
    stack.clock.advance(2 * 3_600_000);
    expectApiError(await enable(expiring.id), 409, 'conflict');
    expectApiError(await disable(expiring.id), 409, 'conflict');
    // An expired key may be given a new expiry, and then it is still paused until enabled.
    expect((await patch(expiring.id, { expiresIn: '1d' })).body.status).toBe('disabled');
    expect((await enable(expiring.id)).body.status).toBe('active');
  });

  it('the Automator key is Protected: never disabled (409 protected_key)', async () => {
    expectApiError(await disable(automatorId), 409, 'protected_key');
    expect((await enable(automatorId)).body.status).toBe('active');
  });
});

describe('authority (SPEC §3) on edit, disable and enable', () => {
  let limited: Created;
  let peer: Created;
  beforeAll(async () => {
    limited = await create({
      name: 'limited manager',
      scopes: ['keys:read', 'keys:write', 'models:read'],
      rateLimit: { limit: 60, windowSeconds: 60 },
      models: ['archibot'],
      expiresIn: '30d',
      budget: { credits: 10, period: 'week' },
      tokenLimit: { tokens: 1000, windowSeconds: 60 },
      maxConcurrent: 2,
    });
    // Names no budget, token limit or cap: it gets the creator's own (never wider, SPEC §3).
    peer = await create({ name: 'peer', scopes: ['models:read'], rateLimit: { limit: 10, windowSeconds: 60 }, models: ['archibot'], expiresIn: '7d' }, limited.key);
    expect([peer.budget.credits, peer.budget.period, peer.tokenLimit, peer.maxConcurrent]).toEqual([10, 'week', { tokens: 1000, windowSeconds: 60 }, 2]);
  });

  it('an edit that would make a key wider than the actor is 403, on every axis, audited as denied', async () => {
    const wider: Array<[Record<string, unknown>, string]> = [
      [{ scopes: ['models:read', 'bots:read'] }, 'scopes'],
      [{ rateLimit: { limit: 61, windowSeconds: 60 } }, 'rate limit'],
      [{ rateLimit: { limit: 60, windowSeconds: 30 } }, 'rate limit'],
      [{ models: null }, 'models'],
      [{ models: ['archibot', 'archibot-mini'] }, 'models'],
      [{ expiresIn: '60d' }, 'expiry'],
      [{ expiresAt: null }, 'expiry'],
      [{ budget: null }, 'budget'],
      [{ budget: { credits: 11, period: 'week' } }, 'budget'],
      [{ budget: { credits: 10, period: 'day' } }, 'budget'],
      [{ tokenLimit: null }, 'token limit'],
      [{ tokenLimit: { tokens: 1001, windowSeconds: 60 } }, 'token limit'],
      [{ maxConcurrent: null }, 'concurrency'],
      [{ maxConcurrent: 3 }, 'concurrency'],
    ];
    for (const [body, axis] of wider) {
      const res = await patch(peer.id, body, { key: limited.key });
      expectApiError(res, 403, 'insufficient_permissions');
      expect(res.body.error.message, JSON.stringify(body)).toContain(axis);
    }
    expect((await auditOf(peer.id)).filter((r) => r.action === 'key.update' && r.outcome === 'denied')).toHaveLength(wider.length);
    expect((await stack.json(`/v1/keys/${peer.id}`, { key: stack.adminKey })).body.version).toBe(1);
  });

  it('roles: a role-restricted actor cannot lift a key’s row filter', async () => {
    const eu = await create({
      name: 'eu manager',
      scopes: ['keys:read', 'keys:write', 'models:read'],
      roles: [{ name: 'eu', permissions: ['*'], filters: { region: 'eu' } }],
    });
    const euKey = await create({ name: 'eu worker', scopes: ['models:read'] }, eu.key);
    expect(euKey.roles).toHaveLength(1);
    const lifted = await patch(euKey.id, { roles: [] }, { key: eu.key });
    expectApiError(lifted, 403, 'insufficient_permissions');
    expect(lifted.body.error.message).toContain('roles');
    expect((await patch(euKey.id, { context: { region: 'eu' } }, { key: eu.key })).status).toBe(200);
  });

  it('acting on a key wider than the actor is 403, even to narrow it or pause it', async () => {
    const wide = await create({ name: 'wide', rateLimit: { limit: 1000, windowSeconds: 60 } });
    for (const res of [await patch(wide.id, { rateLimit: { limit: 1, windowSeconds: 60 } }, { key: limited.key }), await disable(wide.id, limited.key), await enable(wide.id, limited.key)]) {
      expectApiError(res, 403, 'insufficient_permissions');
    }
  });

  it('a key can narrow itself (and a narrower key), never widen itself', async () => {
    const self = await create({ name: 'self narrowing', scopes: ['keys:read', 'keys:write', 'models:read'], rateLimit: { limit: 50, windowSeconds: 60 } });
    const narrowed = await patch(self.id, { rateLimit: { limit: 20, windowSeconds: 60 }, metadata: { note: 'narrowed' } }, { key: self.key });
    expect([narrowed.status, narrowed.body.rateLimit.limit]).toEqual([200, 20]);
    expectApiError(await patch(self.id, { rateLimit: { limit: 50, windowSeconds: 60 } }, { key: self.key }), 403, 'insufficient_permissions');
    expect((await patch(peer.id, { name: 'peer, renamed', rateLimit: { limit: 5, windowSeconds: 60 } }, { key: limited.key })).status).toBe(200);
    expect((await disable(peer.id, limited.key)).status).toBe(200);
    expect((await enable(peer.id, limited.key)).status).toBe(200);
  });

  it('the Automator key is edited only by a key holding admin', async () => {
    const writer = await create({ name: 'writer, no admin', scopes: ['keys:read', 'keys:write', 'models:read'] });
    const denied = await patch(automatorId, { metadata: { note: 'x' } }, { key: writer.key });
    expectApiError(denied, 403, 'insufficient_permissions');
    expect(denied.body.error.message).toContain('admin');
    const allowed = await patch(automatorId, { metadata: { note: 'the bots act through this key' } });
    expect([allowed.status, allowed.body.metadata.note]).toEqual([200, 'the bots act through this key']);
  });

  it('409 last_admin_key: taking keys:write from, or pausing, the project’s last key manager', async () => {
    const { operator, keys } = stack.services;
    const account = await operator.createAccount({ name: 'Lonely customer', apiAccess: true, credits: 10 });
    const { project } = await operator.createProject({ accountId: account.id, name: 'Lonely project', actor: 'test' });
    const op: Principal = { kind: 'operator', actor: 'test', projectId: project.id };
    const only = await keys.create(op, { name: 'only manager' });
    expectApiError(await patch(only.key.id, { scopes: ['keys:read', 'models:read'] }, { key: only.secret }), 409, 'last_admin_key');
    expectApiError(await patch(only.key.id, { roles: [{ name: 'readonly', permissions: ['keys:read'] }] }, { key: only.secret }), 409, 'last_admin_key');
    expectApiError(await disable(only.key.id, only.secret), 409, 'last_admin_key');
    // Still the manager it was; with a second manager, the first may step down.
    expect((await stack.json(`/v1/keys/${only.key.id}`, { key: only.secret })).body).toMatchObject({ status: 'active', version: 1 });
    await keys.create(op, { name: 'second manager' });
    expect((await patch(only.key.id, { scopes: ['keys:read', 'models:read'] }, { key: only.secret })).status).toBe(200);
  });

  it('a person through a bot must be a project admin', async () => {
    const k = await create({ name: 'bot target' });
    const as = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: botKeyId }, stack.clock.now()) });
    for (const res of [
      await patch(k.id, { name: 'by a member' }, { key: botKey, headers: as('slack:T1:UMEMBER') }),
      await stack.json(`/v1/keys/${k.id}/disable`, { key: botKey, method: 'POST', headers: as('slack:T1:UMEMBER') }),
    ]) {
      expectApiError(res, 403, 'insufficient_permissions');
    }
    const byAdmin = await patch(k.id, { rateLimit: { limit: 5, windowSeconds: 60 } }, { key: botKey, headers: as('slack:T1:UADMIN') });
    expect([byAdmin.status, byAdmin.body.rateLimit.limit]).toEqual([200, 5]);
    expect((await stack.json(`/v1/keys/${k.id}/disable`, { key: botKey, method: 'POST', headers: as('slack:T1:UADMIN') })).body.status).toBe('disabled');
    // The bot's viewer key alone manages nothing.
    expectApiError(await patch(k.id, { name: 'by the bot' }, { key: botKey }), 403, 'insufficient_permissions');
    const records = await auditOf(k.id);
    expect(records.find((r) => r.action === 'key.disable' && r.outcome === 'success')).toMatchObject({ actor: 'slack:T1:UADMIN', viaBot: 'slack', viaKeyId: botKeyId });
    expect(records.filter((r) => r.outcome === 'denied').map((r) => r.actor)).toEqual([`key:${botKeyId}`, 'slack:T1:UMEMBER', 'slack:T1:UMEMBER']);
  });

  it('an operator is not bounded: it raises any limit', async () => {
    const k = await create({ name: 'operator raises' });
    const op: Principal = { kind: 'operator', actor: 'cli:ops', projectId: stack.bootstrap.projectId };
    const raised = await stack.services.keys.update(op, k.id, { rateLimit: { limit: 1_000_000, windowSeconds: 1 }, expiresAt: null });
    expect([raised.rateLimit.limit, raised.expiresAt, raised.version]).toEqual([1_000_000, null, 2]);
  });
});
