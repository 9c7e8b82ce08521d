import { beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../../lambdas/core/key-format';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The keys surface: the checks every route gets, then what is particular to keys. */
const fixture = useSecurityStack();

runSurfaceTests('keys', fixture, {
  createKey: { needs: 'keys:write', body: {} },
  listKeys: { needs: 'keys:read' },
  searchKeys: { needs: 'keys:read', body: { search: 'victim' } },
  verifyKey: { needs: 'keys:read', body: { key: generateKey() } },
  getKey: { needs: 'keys:read' },
  updateKey: { needs: 'keys:write', body: { name: 'renamed' } },
  disableKey: { needs: 'keys:write' },
  enableKey: { needs: 'keys:write' },
  rotateKey: { needs: 'keys:write', body: {} },
  revokeKey: { needs: 'keys:write', body: {} },
  deleteKey: { needs: 'keys:write' },
  keyStragglers: { needs: 'keys:read' },
});

let stack: TestStack;
let viewer: { id: string; key: string };
let target: { id: string; key: string };
/** A second project in the same environment, with its own admin key. */
let other: { projectId: string; adminKey: string; keyId: string };

beforeAll(async () => {
  stack = fixture().stack;
  viewer = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'viewer', type: 'viewer' } })).body;
  target = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'target' } })).body;
  const { operator, keys } = stack.services;
  const account = await operator.createAccount({ name: 'Other customer', apiAccess: true, credits: 10 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Other project', actor: 'test' });
  const issued = await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'other admin' });
  other = { projectId: project.id, adminKey: issued.secret, keyId: issued.key.id };
});

describe('authentication', () => {
  it('missing, malformed, checksum-failing and unknown keys are 401 invalid_api_key, never echoed', async () => {
    const unknown = generateKey();
    const broken = `${unknown.slice(0, -1)}${unknown.endsWith('0') ? '1' : '0'}`;
    for (const key of [undefined, 'nonsense', broken, unknown]) {
      const res = await stack.json('/v1/keys', { key });
      expectApiError(res, 401, 'invalid_api_key');
      if (key) expect(JSON.stringify(res.body)).not.toContain(key);
    }
  });

  it('a key from another environment (other hashing secret) is not valid here', async () => {
    const second = await startTestStack();
    try {
      expectApiError(await second.json('/v1/models', { key: stack.adminKey }), 401, 'invalid_api_key');
    } finally {
      await second.stop();
    }
  });
});

describe('a Locked-Down Viewer key', () => {
  it('can read keys and models but cannot create, rotate, revoke or delete (403), and is audited as denied', async () => {
    expect((await stack.json('/v1/keys', { key: viewer.key })).status).toBe(200);
    expect((await stack.json('/v1/models', { key: viewer.key })).status).toBe(200);
    expectApiError(await stack.json('/v1/keys', { key: viewer.key, body: { name: 'x' } }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/keys/${target.id}/rotate`, { key: viewer.key, body: {} }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/keys/${target.id}/revoke`, { key: viewer.key, body: {} }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/keys/${target.id}`, { key: viewer.key, method: 'DELETE' }), 403, 'insufficient_permissions');
    // Nothing happened to the target.
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(200);
    const audit = await stack.json(`/v1/audit?actor=${encodeURIComponent(`key:${viewer.id}`)}`, { key: stack.adminKey });
    expect(audit.body.data.map((r: any) => `${r.action}:${r.outcome}`).sort()).toEqual(
      ['key.create:denied', 'key.delete:denied', 'key.revoke:denied', 'key.rotate:denied'],
    );
  });

  it('cannot be widened at creation', async () => {
    const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { type: 'viewer', scopes: ['keys:write'] } });
    expectApiError(res, 400, 'invalid_request_error');
    expect(res.body.error.param).toBe('scopes');
  });
});

describe('project isolation', () => {
  it("a key of one project can neither see nor touch another project's keys", async () => {
    const theirs = await stack.json('/v1/keys', { key: other.adminKey });
    expect(theirs.body.data.map((k: any) => k.id)).not.toContain(target.id);
    expect(theirs.body.data.map((k: any) => k.id)).toContain(other.keyId);
    expectApiError(await stack.json(`/v1/keys/${target.id}`, { key: other.adminKey }), 404, 'not_found');
    expectApiError(await stack.json(`/v1/keys/${target.id}/revoke`, { key: other.adminKey, body: {} }), 404, 'not_found');
    expectApiError(await stack.json(`/v1/keys/${target.id}/rotate`, { key: other.adminKey, body: {} }), 404, 'not_found');
    expectApiError(await stack.json(`/v1/keys/${target.id}`, { key: other.adminKey, method: 'DELETE' }), 404, 'not_found');
    const search = await stack.json('/v1/keys/search', { key: other.adminKey, body: { search: target.key } });
    expect(search.body.data).toEqual([]);
    const verify = await stack.json('/v1/keys/verify', { key: other.adminKey, body: { key: target.key } });
    expect(verify.body).toEqual({ valid: false, code: 'invalid_api_key' });
    const audit = await stack.json(`/v1/audit?keyId=${target.id}`, { key: other.adminKey });
    expect(audit.body.data).toEqual([]);
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(200);
  });
});

describe('the API product gate', () => {
  it('off: create answers 403 api_access_disabled with the documented message; on again: works', async () => {
    const { operator } = stack.services;
    await operator.setApiAccess(stack.bootstrap.accountId, false);
    try {
      const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'gated' } });
      expectApiError(res, 403, 'api_access_disabled');
      expect(res.body.error.message).toBe('API access is not enabled for this account.');
    } finally {
      await operator.setApiAccess(stack.bootstrap.accountId, true);
    }
    expect((await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'ungated' } })).status).toBe(201);
  });
});

describe('scope escalation', () => {
  it('a key with keys:write cannot mint scopes it does not hold', async () => {
    const limited = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'limited', scopes: ['keys:read', 'keys:write', 'bots:read'] } })).body;
    expectApiError(await stack.json('/v1/keys', { key: limited.key, body: { scopes: ['admin'] } }), 403, 'insufficient_permissions');
    expect((await stack.json('/v1/keys', { key: limited.key, body: { type: 'viewer', scopes: ['bots:read'] } })).status).toBe(201);
  });
});

describe('bad input: a clear 4xx in the documented shape, never a 5xx', () => {
  it.each([
    ['not JSON', '{"name":', 400],
    ['an array', '[]', 400],
    ['unknown field', { name: 'x', color: 'red' }, 400],
    ['bad type', { type: 'system' }, 400],
    ['bad scope', { scopes: ['root'] }, 400],
    ['bad prefix', { prefix: 'Bad-Prefix' }, 400],
    ['bad expiry', { expiresIn: 'soon' }, 400],
    ['bad rate limit', { rateLimit: { limit: 0, windowSeconds: 60 } }, 400],
    ['wrong value type', { name: 42 }, 400],
  ])('create with %s → %i', async (_, body, status) => {
    const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
    expectApiError(res, status as number, 'invalid_request_error');
  });

  it('rotate with an overlap over 7 days → 400', async () => {
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { key: stack.adminKey, body: { overlap: '8d' } });
    expectApiError(res, 400, 'invalid_request_error');
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(200);
  });

  it('a raw key pasted where an id goes is a 400 saying it is a key, is not echoed, and is revoked as exposed', async () => {
    const pasted = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'pasted' } })).body;
    const res = await stack.json(`/v1/keys/${encodeURIComponent(pasted.key)}`, { key: stack.adminKey });
    expectApiError(res, 400, 'invalid_request_error');
    expect(res.body.error.message).toMatch(/is an API key, not an id/);
    expect(JSON.stringify(res.body)).not.toContain(pasted.key);
    expectApiError(await stack.json('/v1/models', { key: pasted.key }), 401, 'key_revoked');
  });

  it('unknown paths 404, wrong methods 405, oversized bodies 413, garbage queries 400', async () => {
    expectApiError(await stack.json('/v1/nope', { key: stack.adminKey }), 404, 'not_found');
    expectApiError(await stack.json('/v1/keys', { key: stack.adminKey, method: 'PUT', body: {} }), 405, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys', { key: stack.adminKey, body: JSON.stringify({ name: 'x'.repeat(1_100_000) }) }), 413, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys?limit=abc', { key: stack.adminKey }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys?cursor=%%%', { key: stack.adminKey }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/audit?since=yesterday', { key: stack.adminKey }), 400, 'invalid_request_error');
  });
});
