import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../lambdas/core/duration';
import type { Principal } from '../../../lambdas/core/principal';
import { KeyRequestSchema } from '../../../lambdas/http/routes/key-requests.contract';
import { IssuedKeySchema } from '../../../lambdas/http/routes/keys.contract';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Issue 25 point 1 through the real local stack: a viewer key asks, an admin approves, the
 * requester collects the key once and it works; the approver never sees it, nor does the audit
 * trail, an event or the table; a request is decided once, however many approvals race; a denial
 * carries its reason; a request expires after 7 days; one pending request per requester and name.
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
const act = (key: string, id: string, action: 'approve' | 'claim') => stack.json(`/v1/key-requests/${id}/${action}`, { key, method: 'POST' });
const deny = (key: string, id: string, reason: string) => stack.json(`/v1/key-requests/${id}/deny`, { key, body: { reason } });

async function keysNamed(name: string) {
  return (await stack.services.store.listKeys(stack.bootstrap.projectId, { limit: 200 })).items.filter((k) => k.name === name);
}

describe('ask, approve, collect', () => {
  it('a viewer asks, an admin approves without seeing the key, the requester collects it once and it works', async () => {
    const asker = await viewer('asker');
    const asked = await ask(asker.secret, {
      name: 'ci deploy',
      type: 'privileged',
      scopes: ['models:read', 'responses:write', 'keys:read'],
      expiresIn: '30d',
      budget: { credits: 20, period: 'month' },
      reason: 'the nightly deploy job',
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      object: 'key_request',
      status: 'pending',
      requester: `key:${asker.id}`,
      reason: 'the nightly deploy job',
      key: { name: 'ci deploy', type: 'privileged', scopes: ['models:read', 'responses:write', 'keys:read'], expiresInSeconds: 30 * 86_400, budget: { credits: 20, period: 'month' } },
      keyId: null,
      claimed: false,
    });
    const id = asked.body.id as string;

    // The admin sees it among the pending ones; the asker sees their own.
    const pending = await stack.json('/v1/key-requests?status=pending', { key: stack.adminKey });
    expect(pending.body.data.map((r: { id: string }) => r.id)).toContain(id);
    expect((await stack.json('/v1/key-requests', { key: asker.secret })).body.data.map((r: { id: string }) => r.id)).toEqual([id]);

    const approved = await act(stack.adminKey, id, 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: `key:${stack.bootstrap.adminKeyId}`, claimed: false });
    expect(approved.body.keyId).toMatch(/^key_/);
    expect(approved.body).not.toHaveProperty('key.key');
    expect(Object.keys(approved.body)).not.toContain('secret');

    // Held sealed until collected: the table has no usable key.
    const stored = await stack.services.store.getKeyRequest(id);
    expect(stored?.sealedKey).toMatch(/^v1\./);

    const claimed = await act(asker.secret, id, 'claim');
    expect(claimed.status).toBe(200);
    expect(claimed.headers.get('cache-control')).toBe('no-store');
    // Each answer is what the contract declares.
    for (const answer of [asked.body, approved.body, ...pending.body.data]) KeyRequestSchema.parse(answer);
    IssuedKeySchema.parse(claimed.body);
    const raw = claimed.body.key as string;
    expect(claimed.body).toMatchObject({ id: approved.body.keyId, name: 'ci deploy', type: 'privileged', scopes: ['models:read', 'responses:write', 'keys:read'] });
    expect(claimed.body.budget).toMatchObject({ credits: 20, period: 'month' });
    expect(claimed.body.setupScript).toContain(raw);
    expect(JSON.stringify(approved.body)).not.toContain(raw);
    expect(JSON.stringify(stored)).not.toContain(raw);

    // It works, and it is the key that was approved.
    const me = await stack.json('/v1/me', { key: raw });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: approved.body.keyId, createdBy: `key:${stack.bootstrap.adminKeyId}` });

    // Once: a second claim finds nothing, and the sealed value is gone.
    expectApiError(await act(asker.secret, id, 'claim'), 409, 'conflict');
    const after = await stack.services.store.getKeyRequest(id);
    expect(after?.sealedKey).toBeUndefined();
    expect(after?.claimedAt).toBeDefined();
    expect((await stack.json('/v1/key-requests', { key: asker.secret })).body.data[0]).toMatchObject({ claimed: true, claimUntil: null });

    // The audit names requester and approver and never carries the key; nor does any event.
    const audit = await stack.services.audit.query(operator, {});
    const mine = audit.items.filter((r) => r.details?.requestId === id || r.keyId === approved.body.keyId);
    expect(mine.map((r) => [r.action, r.outcome, r.actor])).toEqual(
      expect.arrayContaining([
        ['key_request.create', 'success', `key:${asker.id}`],
        ['key.create', 'success', `key:${stack.bootstrap.adminKeyId}`],
        ['key_request.approve', 'success', `key:${stack.bootstrap.adminKeyId}`],
        ['key_request.claim', 'success', `key:${asker.id}`],
      ]),
    );
    for (const r of mine.filter((r) => r.action.startsWith('key_request.') && r.action !== 'key_request.create')) {
      expect(r.details).toMatchObject({ requester: `key:${asker.id}`, approver: `key:${stack.bootstrap.adminKeyId}` });
    }
    const body = raw.slice(raw.indexOf('_') + 1);
    expect(JSON.stringify(audit.items)).not.toContain(body);
    const events = await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200 });
    expect(events.items.map((e) => e.event.type)).toContain('key.created');
    expect(JSON.stringify(events.items)).not.toContain(body);
  });

  it('a request is approved once: a second approval, or any number racing, mints one key and the rest are 409', async () => {
    const asker = await viewer('racer');
    const id = (await ask(asker.secret, { name: 'raced', type: 'viewer', reason: 'r' })).body.id as string;
    const answers = await Promise.all(Array.from({ length: 5 }, () => act(stack.adminKey, id, 'approve')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const a of answers.filter((a) => a.status === 409)) expectApiError(a, 409, 'conflict');
    expectApiError(await act(stack.adminKey, id, 'approve'), 409, 'conflict');
    expect(await keysNamed('raced')).toHaveLength(1);
    // Denying an approved request changes nothing.
    expectApiError(await deny(stack.adminKey, id, 'too late'), 409, 'conflict');
    expect((await stack.services.store.getKeyRequest(id))?.status).toBe('approved');
  });

  it('a denial carries its reason to the requester; nothing is minted, nothing can be collected', async () => {
    const asker = await viewer('denied');
    const id = (await ask(asker.secret, { name: 'wish', reason: 'please' })).body.id as string;
    const denied = await deny(stack.adminKey, id, 'use the shared staging key');
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied', denyReason: 'use the shared staging key', keyId: null });
    const seen = (await stack.json('/v1/key-requests?status=denied', { key: asker.secret })).body.data;
    expect(seen).toEqual([expect.objectContaining({ id, denyReason: 'use the shared staging key', decidedBy: `key:${stack.bootstrap.adminKeyId}` })]);
    expectApiError(await act(asker.secret, id, 'claim'), 409, 'conflict');
    expectApiError(await act(stack.adminKey, id, 'approve'), 409, 'conflict');
    expect(await keysNamed('wish')).toEqual([]);
    const audit = await stack.services.audit.query(operator, { actor: `key:${stack.bootstrap.adminKeyId}` });
    expect(audit.items.find((r) => r.action === 'key_request.deny' && r.details?.requestId === id)).toMatchObject({
      outcome: 'success',
      reason: 'use the shared staging key',
      details: { requester: `key:${asker.id}`, denier: `key:${stack.bootstrap.adminKeyId}` },
    });
    // Decided: the same name may be asked for again.
    expect((await ask(asker.secret, { name: 'wish', reason: 'please, again' })).status).toBe(201);
  });

  it('one pending request per requester and name (names compared case-insensitively); another requester may ask for the same name', async () => {
    const a = await viewer('one');
    const b = await viewer('two');
    const first = await ask(a.secret, { name: 'Reports', reason: 'r' });
    expect(first.status).toBe(201);
    const again = await ask(a.secret, { name: ' reports ', reason: 'r' });
    expectApiError(again, 409, 'conflict');
    expect(again.body.error.message).toContain(first.body.id);
    expect((await ask(b.secret, { name: 'Reports', reason: 'r' })).status).toBe(201);
    expect((await ask(a.secret, { name: 'Reports 2', reason: 'r' })).status).toBe(201);
  });

  it('a request expires after 7 days: it cannot be decided, and its name may be asked for again', async () => {
    const asker = await viewer('patient');
    const id = (await ask(asker.secret, { name: 'slow', reason: 'r' })).body.id as string;
    stack.clock.advance(7 * DAY_MS - 60_000);
    expect((await stack.json('/v1/key-requests?status=pending', { key: asker.secret })).body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    stack.clock.advance(60_000);
    expect((await stack.json('/v1/key-requests?status=expired', { key: asker.secret })).body.data).toEqual([expect.objectContaining({ id, status: 'expired' })]);
    expectApiError(await act(stack.adminKey, id, 'approve'), 409, 'conflict');
    expectApiError(await deny(stack.adminKey, id, 'no'), 409, 'conflict');
    expect(await keysNamed('slow')).toEqual([]);
    expect((await ask(asker.secret, { name: 'slow', reason: 'again' })).status).toBe(201);
  });

  it('an approved key not collected within 7 days can no longer be, and its sealed value is dropped', async () => {
    const asker = await viewer('forgetful');
    const id = (await ask(asker.secret, { name: 'forgotten', type: 'viewer', reason: 'r' })).body.id as string;
    expect((await act(stack.adminKey, id, 'approve')).status).toBe(200);
    stack.clock.advance(7 * DAY_MS);
    const late = await act(asker.secret, id, 'claim');
    expectApiError(late, 409, 'conflict');
    expect(late.body.error.message).toContain('7 days');
    expect((await stack.services.store.getKeyRequest(id))?.sealedKey).toBeUndefined();
  });

  it('the listing pages with sealed cursors', async () => {
    const asker = await viewer('pager');
    for (const n of [1, 2, 3]) expect((await ask(asker.secret, { name: `page ${n}`, reason: 'r' })).status).toBe(201);
    const first = await stack.json('/v1/key-requests?limit=2', { key: asker.secret });
    expect(first.body.data.map((r: { key: { name: string } }) => r.key.name)).toEqual(['page 3', 'page 2']);
    const second = await stack.json(`/v1/key-requests?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: asker.secret });
    expect(second.body.data.map((r: { key: { name: string } }) => r.key.name)).toEqual(['page 1']);
    // Another caller's cursor is not theirs to use.
    expectApiError(await stack.json(`/v1/key-requests?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: stack.adminKey }), 400, 'invalid_request_error');
  });
});
