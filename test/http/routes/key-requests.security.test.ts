import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/core/principal';
import { expectApiError } from '../../support/api-error';
import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The key-requests surface (issue 25 point 1): the checks every route gets, then what no caller
 * may do — decide without managing keys, collect another's key, reach another project's request,
 * or slip a hostile body past validation.
 */
const fixture = useSecurityStack();

runSurfaceTests('key-requests', fixture, {
  approveKeyRequest: {},
  denyKeyRequest: {},
});

const operatorOf = (projectId: string): Principal => ({ kind: 'operator', actor: 'cli:security-test', projectId });

async function viewerKey(name: string): Promise<string> {
  const { stack } = fixture();
  return (await stack.services.keys.create(operatorOf(stack.bootstrap.projectId), { name, type: 'viewer' })).secret;
}

async function ask(key: string, body: unknown) {
  return fixture().stack.json('/v1/key-requests', { key, body });
}

describe('key requests: who may', () => {
  it('a viewer key may ask, but neither approve nor deny; a key with keys:write but not the power asked for is refused and nothing is minted', async () => {
    const { stack } = fixture();
    const viewer = await viewerKey('asker');
    const asked = await ask(viewer, { name: 'ci deploy', type: 'privileged', scopes: ['keys:write', 'admin'], reason: 'deploys' });
    expect(asked.status).toBe(201);
    const id = asked.body.id as string;
    expectApiError(await stack.json(`/v1/key-requests/${id}/approve`, { key: viewer, method: 'POST' }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/${id}/deny`, { key: viewer, body: { reason: 'no' } }), 403, 'insufficient_permissions');
    // keys:write without admin: may manage keys, but not mint one holding admin.
    const manager = await stack.services.keys.create(operatorOf(stack.bootstrap.projectId), { name: 'manager', scopes: ['keys:read', 'keys:write'] });
    const before = (await stack.services.store.listKeys(stack.bootstrap.projectId, { limit: 200 })).items.length;
    const refused = await stack.json(`/v1/key-requests/${id}/approve`, { key: manager.secret, method: 'POST' });
    expectApiError(refused, 403, 'insufficient_permissions');
    expect(refused.body.error.message).toContain('scopes');
    expect((await stack.services.store.listKeys(stack.bootstrap.projectId, { limit: 200 })).items.length).toBe(before);
    // Still pending: an admin may approve it after all.
    const listed = await stack.json('/v1/key-requests?status=pending', { key: stack.adminKey });
    expect(listed.body.data.map((r: { id: string }) => r.id)).toContain(id);
    const audit = await stack.services.audit.query(operatorOf(stack.bootstrap.projectId), { actor: `key:${manager.key.id}` });
    expect(audit.items.map((r) => [r.action, r.outcome])).toEqual(expect.arrayContaining([['key.create', 'denied'], ['key_request.approve', 'denied']]));
  });

  it('never wider than the approver: a wider rate limit, expiry or budget is refused 403 naming it, nothing minted', async () => {
    const { stack } = fixture();
    const projectId = stack.bootstrap.projectId;
    const bounded = await stack.services.keys.create(operatorOf(projectId), {
      name: 'bounded manager',
      scopes: ['keys:read', 'keys:write', 'models:read'],
      rateLimit: { limit: 10, windowSeconds: 60 },
      expiresInMs: 3_600_000,
      budget: { credits: 5, period: 'month' },
    });
    const asker = await viewerKey('wide asker');
    const cases: [Record<string, unknown>, string][] = [
      [{ rateLimit: { limit: 1000, windowSeconds: 60 } }, 'rate limit'],
      [{ expiresIn: '30d' }, 'expiry'],
      [{ budget: { credits: 50, period: 'month' } }, 'budget'],
    ];
    for (const [extra, axis] of cases) {
      const name = `wide ${axis}`;
      const id = (await ask(asker, { name, type: 'viewer', scopes: ['models:read'], expiresIn: '30m', budget: { credits: 1, period: 'month' }, ...extra, reason: 'r' })).body.id as string;
      const refused = await stack.json(`/v1/key-requests/${id}/approve`, { key: bounded.secret, method: 'POST' });
      expectApiError(refused, 403, 'insufficient_permissions');
      expect(refused.body.error.message).toContain(axis);
      expect((await stack.services.store.listKeys(projectId, { limit: 200 })).items.filter((k) => k.name === name)).toEqual([]);
      expect((await stack.services.store.getKeyRequest(id))?.status).toBe('pending');
    }
    // Within every bound, the same manager approves.
    const id = (await ask(asker, { name: 'narrow', type: 'viewer', scopes: ['models:read'], expiresIn: '30m', budget: { credits: 1, period: 'month' }, rateLimit: { limit: 5, windowSeconds: 60 }, reason: 'r' })).body.id;
    expect((await stack.json(`/v1/key-requests/${id}/approve`, { key: bounded.secret, method: 'POST' })).status).toBe(200);
  });

  it('only the requester collects the key: not the approver, not another key', async () => {
    const { stack } = fixture();
    const viewer = await viewerKey('collector');
    const other = await viewerKey('bystander');
    const id = (await ask(viewer, { name: 'mine', type: 'viewer', reason: 'reading' })).body.id as string;
    expect((await stack.json(`/v1/key-requests/${id}/approve`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
    expectApiError(await stack.json(`/v1/key-requests/${id}/claim`, { key: stack.adminKey, method: 'POST' }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/${id}/claim`, { key: other, method: 'POST' }), 403, 'insufficient_permissions');
    expect((await stack.json(`/v1/key-requests/${id}/claim`, { key: viewer, method: 'POST' })).status).toBe(200);
    // Someone else's request is not in a non-manager's listing.
    const theirs = await stack.json('/v1/key-requests', { key: other });
    expect(theirs.body.data.map((r: { id: string }) => r.id)).not.toContain(id);
  });

  it('another project’s request is not found, to approve, deny or claim; a malformed id is a 400', async () => {
    const { stack } = fixture();
    const other = await stack.services.operator.createProject({ accountId: stack.bootstrap.accountId, name: 'other', actor: 'cli:security-test' });
    const theirs = await stack.services.keyRequests.request(operatorOf(other.project.id), { name: 'x', reason: 'y' });
    for (const action of ['approve', 'claim']) {
      expectApiError(await stack.json(`/v1/key-requests/${theirs.id}/${action}`, { key: stack.adminKey, method: 'POST' }), 404, 'not_found');
    }
    expectApiError(await stack.json(`/v1/key-requests/${theirs.id}/deny`, { key: stack.adminKey, body: { reason: 'no' } }), 404, 'not_found');
    expect((await stack.services.store.getKeyRequest(theirs.id))?.status).toBe('pending');
    expectApiError(await stack.json('/v1/key-requests/kreq_nope/approve', { key: stack.adminKey, method: 'POST' }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/key-requests/key_0000000000000000000000/approve', { key: stack.adminKey, method: 'POST' }), 400, 'invalid_request_error');
  });

  it('hostile bodies are 400s and store nothing', async () => {
    const { stack } = fixture();
    const viewer = await viewerKey('hostile');
    const bodies: unknown[] = [
      {},
      { name: 'x' },
      { name: 'x', reason: '   ' },
      { name: '   ', reason: 'r' },
      { name: 'x', reason: 'r'.repeat(1001) },
      { name: 'x', reason: 'r', scopes: ['root'] },
      { name: 'x', reason: 'r', type: 'system' },
      { name: 'x', reason: 'r', type: 'viewer', scopes: ['keys:write'] },
      { name: 'x', reason: 'r', extra: true },
      { name: 'x', reason: 'r', expiresIn: 'forever' },
      { name: 'x', reason: 'r', rateLimit: { limit: 0, windowSeconds: 1 } },
      { name: 'x', reason: 'r', context: { __proto__x: 'a', constructor: 'b' } },
      { name: 'x', reason: 'r', budget: { credits: -1, period: 'month' } },
      [],
      'null',
    ];
    for (const body of bodies) {
      const res = await ask(viewer, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error.code).toBe('invalid_request_error');
    }
    const mine = await stack.json('/v1/key-requests', { key: viewer });
    expect(mine.body.data).toEqual([]);
    // A raw key in the reason is refused, never stored or echoed.
    const raw = (await stack.services.keys.create(operatorOf(stack.bootstrap.projectId), { name: 'pasted' })).secret;
    const pasted = await ask(viewer, { name: 'x', reason: `here is mine: ${raw}` });
    expect(pasted.status).toBe(400);
    expect(JSON.stringify(pasted.body)).not.toContain(raw);
    const id = (await ask(viewer, { name: 'deny me', reason: 'r' })).body.id as string;
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(1001) }, { reason: 'ok', more: 1 }]) {
      expectApiError(await stack.json(`/v1/key-requests/${id}/deny`, { key: stack.adminKey, body }), 400, 'invalid_request_error');
    }
    expectApiError(await stack.json('/v1/key-requests?status=whatever', { key: stack.adminKey }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/key-requests?cursor=forged.abc', { key: stack.adminKey }), 400, 'invalid_request_error');
  });
});
