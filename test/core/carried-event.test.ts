/**
 * A new key's put carries its change's pending event and its listing (Store.putKey's `carried`,
 * store/carried-event.ts `unpackCarried`), against a real store on dynalite: a creation whose writer dies after
 * answering is still listed, once, and still announced, once, after the grace period (the outbox
 * sweep finds the key itself and unpacks it), or its own next call well after its change (its
 * admission unpacks it); two rotations of one key racing leave one
 * replacement, one announcement and nothing carried.
 */
import { expect, it } from 'vitest';
import { PENDING_GRACE_MS, type StoredEvent } from '../../lambdas/core/events';
import { buildServices } from '../../lambdas/services';
import { CARRIED_UNPACK_AFTER_MS } from '../../lambdas/adapters/store/carried-event';
import { OffsetClock } from '../support/clock';
import { carriedParts, clock, config, keys, listed, operator, projectId, rawKey, services, storedEvents, useOutboxStore } from '../support/outbox-store';
import { startReceiver } from '../support/webhook-receiver';

useOutboxStore('carried-event-test');

/** After the grace period the relay delivers the key's creation, and another pass sends nothing more. */
async function expectAnnouncedOnce(receiver: { received: Array<{ body: string }> }, keyId: string): Promise<void> {
  clock.advance(PENDING_GRACE_MS + 1_000);
  for (let pass = 0; pass < 10 && receiver.received.length === 0; pass++) await services.relay.runDue();
  expect(receiver.received.map((r) => JSON.parse(r.body))).toMatchObject([{ type: 'key.created', data: { key: { id: keyId } } }]);
  clock.advance(PENDING_GRACE_MS + 1_000);
  await services.relay.runDue();
  expect(receiver.received).toHaveLength(1);
}

it('a key created by a writer gone before its after-answer work is listed once at every step and announced once after the grace period', async () => {
  const receiver = await startReceiver();
  const dying = buildServices(config(), { secrets: keys, clock: new OffsetClock() });
  try {
    await services.webhooks.create(operator(), { url: receiver.url, events: ['key.created'] });
    const created = await dying.keys.create(dying.events.answeringFor(operator()), { name: 'created, writer gone' });
    dying.dynamo.destroy();
    // The key carries its own creation's event (its marker too) and is listed by its item.
    const item = await rawKey(created.key.id);
    expect(carriedParts(item)).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev']);
    expect(item?.evts).toEqual(new Set([(item?.pev as StoredEvent).event.id]));
    expect(await listed(created.key.id)).toBe(1);
    expect(await storedEvents('key.created', created.key.id)).toEqual([]);

    await services.relay.runDue();
    expect(receiver.received).toHaveLength(0);
    await expectAnnouncedOnce(receiver, created.key.id);
    // Unpacked by the sweep: in no index, listed once by its own entry.
    expect(carriedParts(await rawKey(created.key.id))).toEqual([]);
    expect(await listed(created.key.id)).toBe(1);
    expect(await storedEvents('key.created', created.key.id)).toHaveLength(1);
  } finally {
    dying.dynamo.destroy();
    await receiver.close();
  }
});

it('two rotations of one key racing: one replacement stored, listed and announced; the loser leaves no key, listing or event', async () => {
  const old = await services.keys.create(operator(), { name: 'rotated twice at once' });
  const outcomes = await Promise.allSettled([0, 1].map(() => services.keys.rotate(services.events.answeringFor(operator()), old.key.id)));
  await services.events.settled();
  const won = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  expect(won).toHaveLength(1);
  expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
  const replacement = won[0]!.key.id;
  expect((await services.store.getKey(old.key.id))?.replacedBy).toBe(replacement);
  expect(carriedParts(await rawKey(replacement))).toEqual([]);
  const page = await services.store.listKeys(projectId, { limit: 200 });
  expect(page.items.filter((k) => k.rotatedFrom === old.key.id).map((k) => k.id)).toEqual([replacement]);
  expect((await storedEvents('key.rotated', old.key.id)).map((s) => s.event.data.details)).toMatchObject([{ replacement }]);
  // Nothing pending left behind for the sweep to find.
  clock.advance(PENDING_GRACE_MS + 1_000);
  await services.relay.runDue();
  expect((await storedEvents('key.rotated', old.key.id)).map((s) => s.event.data.details)).toMatchObject([{ replacement }]);
});

it('a key still carrying its event well after its change is unpacked by its own next call, once, and its event still delivered once', async () => {
  const receiver = await startReceiver();
  // The writer's clock is the stack's: the event's age is what the call's admission sees.
  const dying = buildServices(config(), { secrets: keys, clock });
  try {
    await services.webhooks.create(operator(), { url: receiver.url, events: ['key.created'] });
    const created = await dying.keys.create(dying.events.answeringFor(operator()), { name: 'carried, then used' });
    dying.dynamo.destroy();

    // Used at once: its writer's confirmation may still be on its way, so the call leaves it be.
    expect((await services.auth.authenticate(created.secret)).result).toBe('valid');
    await services.store.leasesSettled();
    expect(carriedParts(await rawKey(created.key.id))).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev']);

    // Past CARRIED_UNPACK_AFTER_MS: the next call's admission unpacks it beside the call.
    clock.advance(CARRIED_UNPACK_AFTER_MS);
    const used = await Promise.all([0, 1, 2].map(() => services.auth.authenticate(created.secret)));
    expect(used.map((u) => u.result)).toEqual(['valid', 'valid', 'valid']);
    await services.store.leasesSettled();
    expect(carriedParts(await rawKey(created.key.id))).toEqual([]);
    expect(await listed(created.key.id)).toBe(1);
    expect((await storedEvents('key.created', created.key.id)).map((s) => s.state)).toEqual(['pending']);

    // The event is the relay's to check and deliver after the grace period, once.
    await expectAnnouncedOnce(receiver, created.key.id);
  } finally {
    dying.dynamo.destroy();
    await receiver.close();
  }
});
