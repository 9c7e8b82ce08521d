import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/core/principal';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * SPEC §3 on approval: `Approve` mints exactly what was asked, never wider than the approver could
 * create. A key manager narrower than the request (a budget, a rate limit, scopes) is refused; the
 * request stays pending, nothing is minted, and an approver wide enough then approves it.
 */
let stack: TestStack;
let operator: Principal;

beforeAll(async () => {
  stack = await startTestStack();
  operator = { kind: 'operator', actor: 'cli:test', projectId: stack.bootstrap.projectId };
});
afterAll(async () => stack?.stop());

const keysNamed = async (name: string) => (await stack.services.store.listKeys(stack.bootstrap.projectId, { limit: 200 })).items.filter((k) => k.name === name);

describe('approval is bounded by the approver', () => {
  it('a narrower key manager cannot approve a wider request; the request waits for one who can', async () => {
    const asker = await stack.services.keys.create(operator, { name: 'asker', type: 'viewer' });
    const narrow = await stack.services.keys.create(operator, {
      name: 'narrow manager',
      scopes: ['keys:read', 'keys:write', 'models:read', 'responses:write'],
      budget: { credits: 5, period: 'month' },
      rateLimit: { limit: 10, windowSeconds: 60 },
    });
    const asked = await stack.json('/v1/key-requests', {
      key: asker.secret,
      body: { name: 'wide', scopes: ['models:read', 'responses:write', 'audit:read'], budget: { credits: 50, period: 'month' }, reason: 'more than the approver holds' },
    });
    expect(asked.status).toBe(201);
    const id = asked.body.id as string;
    const refused = await stack.json(`/v1/key-requests/${id}/approve`, { key: narrow.secret, method: 'POST' });
    expectApiError(refused, 403, 'insufficient_permissions');
    expect(await keysNamed('wide')).toEqual([]);
    const audit = (await stack.json('/v1/audit?limit=50', { key: stack.adminKey })).body.data as any[];
    expect(audit.find((r) => r.action === 'key_request.approve' && r.outcome === 'denied')).toMatchObject({ actor: `key:${narrow.key.id}`, details: expect.objectContaining({ requestId: id, requester: `key:${asker.key.id}` }) });

    // Still pending: an approver wide enough mints exactly what was asked.
    const approved = await stack.json(`/v1/key-requests/${id}/approve`, { key: stack.adminKey, method: 'POST' });
    expect(approved.body).toMatchObject({ status: 'approved' });
    const [minted] = await keysNamed('wide');
    expect(minted).toMatchObject({ scopes: ['models:read', 'responses:write', 'audit:read'], budget: expect.objectContaining({ credits: 50, period: 'month' }) });
  });
});
