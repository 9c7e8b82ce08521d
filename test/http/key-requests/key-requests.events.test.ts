import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { DAY_MS } from '../../../lambdas/core/duration';
import type { StoredEvent } from '../../../lambdas/core/events';
import type { Principal } from '../../../lambdas/core/principal';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * `key_request.requested|approved|denied|expired|claimed` (issue 25; docs/events.md) through the
 * real local stack: the sweep (core/event-sweep.ts, every minute locally) stores each event a
 * request has earned — once, however often it runs — naming the requester and the decider; an
 * expiry, which no write makes, only the sweep can find. No event carries a key value.
 */
let stack: TestStack;
let operator: Principal;

beforeAll(async () => {
  stack = await startTestStack();
  operator = { kind: 'operator', actor: 'cli:test', projectId: stack.bootstrap.projectId };
});
afterAll(async () => stack?.stop());

async function viewer(name: string): Promise<{ secret: string; id: string }> {
  const issued = await stack.services.keys.create(operator, { name, type: 'viewer' });
  return { secret: issued.secret, id: issued.key.id };
}
const ask = (key: string, body: unknown) => stack.json('/v1/key-requests', { key, body });
const post = (key: string, path: string, body?: unknown) => stack.json(path, { key, method: 'POST', ...(body ? { body } : {}) });

async function requestEvents(requestId: string): Promise<StoredEvent[]> {
  const page = await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200 });
  return page.items.filter((s) => s.event.type.startsWith('key_request.') && s.event.data.details.requestId === requestId).reverse();
}

describe('key request events', () => {
  it('requested, approved, claimed, denied and expired: each once, naming requester and decider, never a key value', async () => {
    const asker = await viewer('event asker');
    const approvedId = (await ask(asker.secret, { name: 'evented', type: 'viewer', reason: 'the dashboards' })).body.id as string;
    const deniedId = (await ask(asker.secret, { name: 'refused', reason: 'more power' })).body.id as string;
    const idleId = (await ask(asker.secret, { name: 'idle', reason: 'someday' })).body.id as string;
    const approved = await post(stack.adminKey, `/v1/key-requests/${approvedId}/approve`);
    expect(approved.status).toBe(200);
    expect((await post(stack.adminKey, `/v1/key-requests/${deniedId}/deny`, { reason: 'use a viewer key' })).status).toBe(200);
    const claimed = await post(asker.secret, `/v1/key-requests/${approvedId}/claim`);
    expect(claimed.status).toBe(200);
    stack.clock.advance(7 * DAY_MS);

    const first = await stack.services.eventSweep.run();
    expect(first.keyRequests).toBeGreaterThanOrEqual(1);
    expect((await stack.services.eventSweep.run()).keyRequests).toBe(0);

    const admin = approved.body.decidedBy as string;
    const approvedEvents = await requestEvents(approvedId);
    expect(approvedEvents.map((s) => s.event.type)).toEqual(['key_request.requested', 'key_request.approved', 'key_request.claimed']);
    const [requested, approval, claim] = approvedEvents.map((s) => s.event);
    expect(requested!.data).toMatchObject({ actor: { id: `key:${asker.id}` }, details: { requester: `key:${asker.id}`, name: 'evented', reason: 'the dashboards' } });
    expect(approval!.data).toMatchObject({ actor: { id: admin }, key: { id: approved.body.keyId, start: approved.body.keyStart }, details: { requester: `key:${asker.id}`, approver: admin } });
    expect(claim!.data).toMatchObject({ actor: { id: `key:${asker.id}` }, details: { approver: admin } });

    const [, denial] = (await requestEvents(deniedId)).map((s) => s.event);
    expect(denial).toMatchObject({ type: 'key_request.denied', data: { details: { denier: admin, denyReason: 'use a viewer key' } } });
    expect(denial!.data.key).toBeUndefined();
    expect((await requestEvents(idleId)).map((s) => s.event.type)).toEqual(['key_request.requested', 'key_request.expired']);

    const all = JSON.stringify(await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200 }));
    expect(all).not.toContain(claimed.body.key);
    expect(findKeysInText(all)).toEqual([]);
  });

  it('an approved key nobody collected within 7 days is revoked by the sweep, once, and the audit says why', async () => {
    // The stack's own sweep, as wired in services-core.ts (the scheduled job and `reminders run` use it).
    const { store, eventSweep: sweep } = stack.services;
    const asker = await viewer('forgetful asker');
    const id = (await ask(asker.secret, { name: 'never collected', type: 'viewer', reason: 'r' })).body.id as string;
    const approved = await post(stack.adminKey, `/v1/key-requests/${id}/approve`);
    stack.clock.advance(7 * DAY_MS - 60_000);
    expect((await sweep.run()).keysWithdrawn).toBe(0);
    stack.clock.advance(60_000);
    expect((await sweep.run()).keysWithdrawn).toBe(1);
    expect((await sweep.run()).keysWithdrawn).toBe(0);
    expect(await store.getKey(approved.body.keyId)).toMatchObject({ status: 'revoked' });
    expect((await store.getKeyRequest(id))?.sealedKey).toBeUndefined();
    const audit = (await stack.json(`/v1/audit?keyId=${approved.body.keyId}`, { key: stack.adminKey })).body.data as any[];
    expect(audit.find((r) => r.action === 'key_request.withdraw')).toMatchObject({ actor: 'system', reason: expect.stringContaining('not collected'), details: expect.objectContaining({ requestId: id }) });
    expect(audit.find((r) => r.action === 'key.revoke')).toMatchObject({ actor: 'system' });
  });
});
