/**
 * The store's conditional writes beyond the money and the key's own (lost-answers*.test.ts in
 * test/http/openai-relay): key requests, rotated values held for their owner, the events outbox,
 * a rotation's undo, an account's creation, a deletion a person is told the outcome of — each applied once when
 * the store's answer is lost after the write landed (the SDK sends it again, and the resend fails
 * its own condition): the item then shows the write was this one. Most of all, a sealed value
 * whose collection lost its answer is still handed to its collector — a take that removed the
 * value in the same write lost it for good. The stack on an external store behind the fault proxy
 * (faulty-store.ts), driven through its own store.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../lambdas/core/events';
import type { KeyRequestRecord } from '../../lambdas/core/key-request-record';
import type { RotationDeliveryRecord } from '../../lambdas/core/rotation-delivery-port';
import type { FaultPolicy } from '../support/dynamo-fault-proxy';
import { useStackOnFaultyStore } from '../http/openai-relay/faulty-store';

// Loopback webhook targets allowed: the one webhook made over /v1 points at this machine (and is deleted at once).
const env = useStackOnFaultyStore({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' });

/** Drops the answer of the first `target` write whose body names `marker` (and lets its resends through); counts what it dropped. */
function dropFirst(target: string, marker: string): { policy: FaultPolicy; dropped: () => number } {
  let dropped = 0;
  return {
    policy: (t, body) => (t === target && body.includes(marker) && dropped++ === 0 ? 'drop-answer' : 'forward'),
    dropped: () => dropped,
  };
}

async function withLost<T>(target: string, marker: string, write: () => Promise<T>): Promise<T> {
  const { proxy } = env();
  const drop = dropFirst(target, marker);
  proxy.setPolicy(drop.policy);
  try {
    return await write();
  } finally {
    proxy.setPolicy(() => 'forward');
    // The answer was dropped, and the write was sent again.
    expect(drop.dropped()).toBeGreaterThanOrEqual(2);
  }
}

function request(projectId: string): KeyRequestRecord {
  const id = `kreq_${randomUUID().replaceAll('-', '')}`;
  return {
    id,
    projectId,
    requester: 'slack:T1:U1',
    key: { name: `lost ${id}`, type: 'viewer' },
    reason: 'a lost answer',
    status: 'pending',
    createdAt: new Date().toISOString(),
    expiresAt: Date.now() + 86_400_000,
  } as KeyRequestRecord;
}

describe('held values and key requests, with answers lost after the write landed', { timeout: 60_000 }, () => {
  it('a request, its slot, an approval’s lock and its decision are each this write landing', async () => {
    const { stack } = env();
    const store = stack.services.store;
    const r = request(stack.bootstrap.projectId);
    const now = Date.now();
    expect(await withLost('PutItem', r.id, () => store.putKeyRequest(r))).toBe(true);
    expect(await withLost('PutItem', r.id, () => store.takeKeyRequestSlot(r.projectId, `slot-${r.id}`, r.id, r.expiresAt, now))).toBe(true);
    expect(await store.keyRequestSlot(r.projectId, `slot-${r.id}`)).toEqual({ requestId: r.id, until: r.expiresAt });
    // Someone else's request for the slot is still refused, and a second lock of the request too.
    expect(await store.takeKeyRequestSlot(r.projectId, `slot-${r.id}`, 'kreq_other', r.expiresAt, now)).toBe(false);
    const holder = randomUUID();
    expect(await withLost('UpdateItem', holder, () => store.lockKeyRequest(r.id, holder, now + 60_000, now))).toBe(true);
    expect(await store.lockKeyRequest(r.id, randomUUID(), now + 60_000, now)).toBe(false);
    const decided = await withLost('UpdateItem', r.id, () =>
      store.decideKeyRequest(r.id, { status: 'approved', holder, decidedBy: 'slack:T1:U2', decidedAt: new Date(now).toISOString(), keyId: 'key_lost', keyStart: 'kw_lost', sealedKey: 'sealed-value', claimUntil: now + 600_000 }),
    );
    expect(decided).toMatchObject({ id: r.id, status: 'approved', keyId: 'key_lost', sealedKey: 'sealed-value' });
    expect(Object.keys(decided!)).not.toContain('wr');
  });

  it('a claimed key’s sealed value whose claim lost its answer reaches its requester, once; the value is gone from the item', async () => {
    const { stack } = env();
    const store = stack.services.store;
    const r = request(stack.bootstrap.projectId);
    const now = Date.now();
    const holder = randomUUID();
    await store.putKeyRequest(r);
    await store.lockKeyRequest(r.id, holder, now + 60_000, now);
    await store.decideKeyRequest(r.id, { status: 'approved', holder, decidedBy: 'slack:T1:U2', decidedAt: new Date(now).toISOString(), keyId: 'key_lost', keyStart: 'kw_lost', sealedKey: 'sealed-value', claimUntil: now + 600_000 });
    const claimedAt = new Date(now + 1).toISOString();
    const taken = await withLost('UpdateItem', claimedAt, () => store.takeKeyRequestValue(r.id, claimedAt, now + 1));
    expect(taken).toMatchObject({ id: r.id, sealedKey: 'sealed-value', claimedAt });
    expect(await store.takeKeyRequestValue(r.id, new Date(now + 2).toISOString(), now + 2)).toBeUndefined();
    const after = await store.getKeyRequest(r.id);
    expect(after).toMatchObject({ claimedAt });
    expect(after?.sealedKey).toBeUndefined();
  });

  it('a rotated value held for its owner: the hold and the collection that lost their answers are each this one, and the value reaches its owner once', async () => {
    const { stack } = env();
    const store = stack.services.store;
    const now = Date.now();
    const keyId = `key_${randomUUID().replaceAll('-', '')}`;
    const record: RotationDeliveryRecord = {
      projectId: stack.bootstrap.projectId,
      accountId: stack.bootstrap.accountId,
      keyId,
      keyName: 'rotated',
      keyStart: 'kw_rot',
      replacedKeyId: 'key_old',
      owner: 'slack:T1:U1',
      createdAt: new Date(now).toISOString(),
      claimUntil: now + 600_000,
      sealedKey: 'sealed-rotated',
    };
    expect(await withLost('PutItem', keyId, () => store.putRotationDelivery(record))).toBe(true);
    expect(await store.putRotationDelivery({ ...record, sealedKey: 'another' })).toBe(false);
    const claimedAt = new Date(now + 1).toISOString();
    // Not its owner: nothing handed out.
    expect(await store.takeRotationDeliveryValue(record.projectId, keyId, 'slack:T1:U9', claimedAt, now + 1)).toBeUndefined();
    const taken = await withLost('UpdateItem', claimedAt, () => store.takeRotationDeliveryValue(record.projectId, keyId, record.owner, claimedAt, now + 1));
    expect(taken).toMatchObject({ keyId, sealedKey: 'sealed-rotated', claimedAt });
    expect(await store.takeRotationDeliveryValue(record.projectId, keyId, record.owner, new Date(now + 2).toISOString(), now + 2)).toBeUndefined();
    const after = await store.getRotationDelivery(record.projectId, keyId);
    expect(after).toMatchObject({ claimedAt });
    expect(after?.sealedKey).toBeUndefined();
    expect(Object.keys(after!)).not.toContain('wr');
  });
});

describe('the outbox, a rotation’s undo and an account’s creation, with answers lost after the write landed', { timeout: 60_000 }, () => {
  function event(id: string, due: number): StoredEvent {
    return {
      event: { id, type: 'key.rotated', timestamp: new Date(due).toISOString(), data: { account: 'acct_lost', project: 'proj_lost', key: { id: 'key_lost', name: 'k', start: 'archie_abcd', type: 'viewer' }, actor: { id: 'operator:test' }, details: {} } },
      state: 'ready',
      due,
    };
  }

  it('an event stored once, claimed by this pass, saved by this pass: each is this write landing', async () => {
    const { stack } = env();
    const store = stack.services.store;
    const id = `evt_${randomUUID().replaceAll('-', '')}`;
    const due = Date.now();
    expect(await withLost('PutItem', id, () => store.putEvent(event(id, due), { unique: true }))).toBe(true);
    expect(await store.putEvent(event(id, due), { unique: true })).toBe(false);
    const until = due + 60_000;
    expect(await withLost('UpdateItem', id, () => store.claimEvent(id, due, until))).toBe(true);
    // Another pass that saw the event due before this claim does not take it.
    expect(await store.claimEvent(id, due, until + 1)).toBe(false);
    expect(await withLost('PutItem', id, () => store.saveEvent({ ...event(id, due), due: until + 5_000 }, until))).toBe(true);
    expect(await store.getEvent(id)).toMatchObject({ due: until + 5_000 });
    expect(Object.keys((await store.getEvent(id))!)).not.toContain('wr');
    // A pass whose claim has been overtaken does not save.
    expect(await store.saveEvent(event(id, due), until)).toBe(false);
  });

  it('a rotation undone whose answer was lost gives the old key back, and says so', async () => {
    const { stack } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: `undo ${randomUUID().slice(0, 8)}`, type: 'viewer' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const store = stack.services.store;
    expect(await store.markRotated(id, 'key_replacement', new Date().toISOString(), Date.now() + 3_600_000)).toBe(true);
    const failure = { at: new Date().toISOString(), reason: 'the secret could not be written' };
    const restored = await withLost('UpdateItem', 'key_replacement', () => store.undoRotation(id, 'key_replacement', failure));
    expect(restored).toMatchObject({ id, rotationFailure: failure });
    expect(restored?.replacedBy).toBeUndefined();
    // Undone, it is not undone again.
    expect(await store.undoRotation(id, 'key_replacement', failure)).toBeUndefined();
  });

  it('an account and a project created whose answers were lost are created, once', async () => {
    const { stack } = env();
    const account = await withLost('PutItem', 'lost answer account', () => stack.services.operator.createAccount({ name: 'lost answer account', credits: 5 }));
    expect(await stack.services.store.getAccount(account.id)).toMatchObject({ id: account.id, name: 'lost answer account', credits: 5 });
    const listed = (await stack.services.store.listAccounts()).filter((a) => a.id === account.id);
    expect(listed).toHaveLength(1);
    const { project } = await withLost('PutItem', 'lost answer project', () => stack.services.operator.createProject({ accountId: account.id, name: 'lost answer project', actor: 'cli:test' }));
    expect(await stack.services.store.getProject(project.id)).toMatchObject({ id: project.id, name: 'lost answer project' });
    const again = await stack.services.store.createProject(project).then(() => 'created', (err: Error) => err.message);
    expect(again).toMatch(/already exists/);
  });

  it('an admin removed, a channel ceiling cleared and a webhook deleted whose answers were lost are each told removed, and are gone', async () => {
    const { stack } = env();
    const store = stack.services.store;
    const projectId = stack.bootstrap.projectId;
    const identity = `slack:T1:ULOST${randomUUID().slice(0, 8)}`;
    await store.addAdmin(projectId, identity, 'cli:test');
    expect(await withLost('DeleteItem', identity, () => store.removeAdmin(projectId, identity))).toBe(true);
    expect(await store.listAdmins(projectId)).not.toContain(identity);
    expect(await store.removeAdmin(projectId, identity)).toBe(false);

    const channel = `slack:T1:CLOST${randomUUID().slice(0, 6).toUpperCase()}`;
    expect(await store.putKeyRequestCeiling({ projectId, channel, ceiling: { type: 'viewer' }, version: 1, setBy: 'cli:test', setAt: new Date().toISOString() }, 0)).toBe(true);
    expect(await withLost('DeleteItem', channel, () => store.deleteKeyRequestCeiling(projectId, channel))).toBe(true);
    expect(await store.getKeyRequestCeiling(projectId, channel)).toBeUndefined();
    expect(await store.deleteKeyRequestCeiling(projectId, channel)).toBe(false);

    const id = `wh_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await store.putWebhook({ id, projectId, url: 'https://hooks.example/lost', events: ['key.created'], sealedSecret: 'sealed', createdAt: new Date().toISOString(), createdBy: 'cli:test' });
    expect(await withLost('DeleteItem', id, () => store.deleteWebhook(projectId, id))).toBe(true);
    expect(await store.getWebhook(projectId, id)).toBeUndefined();
    expect(await store.deleteWebhook(projectId, id)).toBe(false);
  });

  it('over /v1: a channel ceiling cleared and a webhook deleted whose answers were lost answer 200 deleted, once; then 404', async () => {
    const { stack } = env();
    const admin = { key: stack.adminKey };
    const channel = `slack:T1:CHTTP${randomUUID().slice(0, 6).toUpperCase()}`;
    const query = `/v1/key-requests/ceilings?channel=${encodeURIComponent(channel)}`;
    const set = await stack.json('/v1/key-requests/ceilings', { ...admin, method: 'POST', body: { channel, ceiling: { type: 'viewer' } } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const cleared = await withLost('DeleteItem', channel, () => stack.json(query, { ...admin, method: 'DELETE' }));
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body).toEqual({ object: 'key_request_ceiling', channel, deleted: true });
    expect((await stack.json(query, admin)).status).toBe(404);
    expect((await stack.json(query, { ...admin, method: 'DELETE' })).status).toBe(404);

    const created = await stack.json('/v1/webhooks', { ...admin, method: 'POST', body: { url: 'http://127.0.0.1:9/lost-http', events: ['key.created'] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const deleted = await withLost('DeleteItem', id, () => stack.json(`/v1/webhooks/${id}`, { ...admin, method: 'DELETE' }));
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body).toEqual({ object: 'webhook', id, deleted: true });
    const listed = await stack.json('/v1/webhooks', admin);
    expect(listed.body.data.map((w: { id: string }) => w.id)).not.toContain(id);
    expect((await stack.json(`/v1/webhooks/${id}`, { ...admin, method: 'DELETE' })).status).toBe(404);
  });
});
