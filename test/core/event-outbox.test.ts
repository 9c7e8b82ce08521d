/**
 * A key change's event confirmation (core/event-outbox.ts) at an edge is written from the call's
 * after-answer work, not before its answer: against a real store on dynalite, a rotation made
 * inside `answering` leaves its event pending until `settled` runs (the after-answer work), then
 * ready; outside an edge it is ready when the call returns. The window this opens — the answer
 * out, the process gone before its after-answer work — is the one the outbox already covers: the
 * pending event's change landed (its marker is on the key), so the relay delivers it once the
 * grace period has passed. The pending event of a change that stores a new key (a rotation's
 * replacement) rides on that key's own put, with its listing, until the after-answer work (or,
 * for a writer gone first, the outbox sweep) writes their own items and takes them off the key.
 */
import { expect, it } from 'vitest';
import { PENDING_GRACE_MS, type StoredEvent } from '../../lambdas/core/events';
import { buildServices } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { carriedParts, clock, config, keys, listed, operator, projectId, rawKey, services, useOutboxStore } from '../support/outbox-store';
import { startReceiver } from '../support/webhook-receiver';

useOutboxStore('event-outbox-test');

/** The stored `key.rotated` event announcing the rotation of `keyId` (pending or not). */
async function rotatedEvent(keyId: string): Promise<StoredEvent | undefined> {
  const page = await services.store.listEvents(projectId, { limit: 200 });
  return page.items.find((s) => s.event.type === 'key.rotated' && s.event.data.key?.id === keyId);
}

it('inside an edge, the confirmation waits for the after-answer work; outside, it is written before the call returns', async () => {
  const atEdge = await services.keys.create(operator(), { name: 'rotated at an edge' });
  const rotated = await services.keys.rotate(services.events.answeringFor(operator()), atEdge.key.id);
  expect(rotated.replaced?.replacedBy).toBe(rotated.key.id);
  // The answer is ready; the change has landed, its event is still pending, carried by the
  // replacement with its listing: the key is listed, once, and its outbox place holds the event.
  expect(await rotatedEvent(atEdge.key.id)).toBeUndefined();
  const carrying = await rawKey(rotated.key.id);
  expect(carriedParts(carrying)).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev']);
  expect(carrying?.pev).toMatchObject({ state: 'pending', event: { type: 'key.rotated', data: { key: { id: atEdge.key.id } } } });
  expect(await listed(rotated.key.id)).toBe(1);
  expect((await services.store.getKey(rotated.key.id)) as unknown as Record<string, unknown>).not.toHaveProperty('pev');
  await services.events.settled();
  expect((await rotatedEvent(atEdge.key.id))?.state).toBe('ready');
  // Unpacked: the event and the listing are items of their own; the key item is in no index again.
  expect(carriedParts(await rawKey(rotated.key.id))).toEqual([]);
  expect(await listed(rotated.key.id)).toBe(1);

  const alone = await services.keys.create(operator(), { name: 'rotated by the core' });
  await services.keys.rotate(operator(), alone.key.id);
  expect((await rotatedEvent(alone.key.id))?.state).toBe('ready');
});

it('answered, then gone before the after-answer work: the event is delivered once the grace period has passed', async () => {
  const receiver = await startReceiver();
  // Another process on the same table: it answers, and dies before its after-answer work runs.
  const dying = buildServices(config(), { secrets: keys, clock: new OffsetClock() });
  try {
    const { secret } = await services.webhooks.create(operator(), { url: receiver.url, events: ['key.rotated'] });
    expect(secret).toBeTruthy();
    const issued = await services.keys.create(operator(), { name: 'rotated, writer gone' });
    const rotated = await dying.keys.rotate(dying.events.answeringFor(operator()), issued.key.id);
    dying.dynamo.destroy();
    // The event is carried by the replacement, pending; the key is listed by its own item.
    const stored = (await rawKey(rotated.key.id))!.pev as StoredEvent;
    expect(stored?.state).toBe('pending');
    expect(await rotatedEvent(issued.key.id)).toBeUndefined();
    expect((await services.store.getKey(issued.key.id))?.replacedBy).toBe(rotated.key.id);
    expect(await listed(rotated.key.id)).toBe(1);

    // Not yet due: the writer may still be confirming it.
    await services.relay.runDue();
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === stored!.event.id)).toHaveLength(0);
    clock.advance(PENDING_GRACE_MS + 1_000);
    for (let pass = 0; pass < 10 && !receiver.received.some((r) => r.headers['webhook-id'] === stored!.event.id); pass++) await services.relay.runDue();
    const delivered = receiver.received.filter((r) => r.headers['webhook-id'] === stored!.event.id);
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({ type: 'key.rotated', data: { key: { id: issued.key.id }, details: { replacement: rotated.key.id } } });
    // The sweep unpacked it: the key item is in no index, listed once through its own entry.
    expect(carriedParts(await rawKey(rotated.key.id))).toEqual([]);
    expect(await listed(rotated.key.id)).toBe(1);
  } finally {
    dying.dynamo.destroy();
    await receiver.close();
  }
});
