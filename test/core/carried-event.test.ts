/**
 * A new key's put carries its change's pending event and its listing (Store.putKey's `carried`,
 * store/events.ts `unpack`), against a real store on dynalite: a creation whose writer dies after
 * answering is still listed, once, and still announced, once, after the grace period (the outbox
 * sweep finds the key itself and unpacks it); two rotations of one key racing leave one
 * replacement, one announcement and nothing carried.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { PENDING_GRACE_MS, type StoredEvent } from '../../lambdas/core/events';
import type { Principal } from '../../lambdas/core/principal';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { createTable, startDynalite } from '../support/dynalite';
import { startReceiver } from '../support/webhook-receiver';

const TABLE = 'carried-event-test';
let dynalite: { endpoint: string; close(): Promise<void> };
let services: Services;
let clock: OffsetClock;
let projectId: string;
const keys = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'bot-secret' } });
const operator = (): Principal => ({ kind: 'operator', actor: 'cli:test', projectId });
const config = () => loadConfig({ TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: dynalite.endpoint, KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' });

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, TABLE);
  clock = new OffsetClock();
  services = buildServices(config(), { secrets: keys, clock });
  const accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' })).project.id;
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

async function rawKey(keyId: string): Promise<Record<string, unknown> | undefined> {
  const out = await services.dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `KEY#${keyId}` }, sk: { S: 'KEY' } }, ConsistentRead: true }));
  return out.Item && unmarshall(out.Item);
}
const carriedParts = (item: Record<string, unknown> | undefined) => ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev'].filter((name) => item && name in item);
async function listed(keyId: string): Promise<number> {
  const page = await services.store.listKeys(projectId, { limit: 200 });
  return page.items.filter((k) => k.id === keyId).length;
}
async function storedEvents(type: string, keyId: string): Promise<StoredEvent[]> {
  const page = await services.store.listEvents(projectId, { limit: 200 });
  return page.items.filter((s) => s.event.type === type && s.event.data.key?.id === keyId);
}

it('a key created by a writer gone before its after-answer work is listed once at every step and announced once after the grace period', async () => {
  const receiver = await startReceiver();
  const dying = buildServices(config(), { secrets: keys, clock: new OffsetClock() });
  try {
    await services.webhooks.create(operator(), { url: receiver.url, events: ['key.created'] });
    const created = await dying.events.answering(() => dying.keys.create(operator(), { name: 'created, writer gone' }));
    dying.dynamo.destroy();
    // The key carries its own creation's event (its marker too) and is listed by its item.
    const item = await rawKey(created.key.id);
    expect(carriedParts(item)).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev']);
    expect(item?.evts).toEqual(new Set([(item?.pev as StoredEvent).event.id]));
    expect(await listed(created.key.id)).toBe(1);
    expect(await storedEvents('key.created', created.key.id)).toEqual([]);

    await services.relay.runDue();
    expect(receiver.received).toHaveLength(0);
    clock.advance(PENDING_GRACE_MS + 1_000);
    for (let pass = 0; pass < 10 && receiver.received.length === 0; pass++) await services.relay.runDue();
    expect(receiver.received.map((r) => JSON.parse(r.body))).toMatchObject([{ type: 'key.created', data: { key: { id: created.key.id } } }]);
    // Unpacked by the sweep: in no index, listed once by its own entry; another pass sends nothing more.
    expect(carriedParts(await rawKey(created.key.id))).toEqual([]);
    expect(await listed(created.key.id)).toBe(1);
    expect(await storedEvents('key.created', created.key.id)).toHaveLength(1);
    clock.advance(PENDING_GRACE_MS + 1_000);
    await services.relay.runDue();
    expect(receiver.received).toHaveLength(1);
  } finally {
    dying.dynamo.destroy();
    await receiver.close();
  }
});

it('two rotations of one key racing: one replacement stored, listed and announced; the loser leaves no key, listing or event', async () => {
  const old = await services.keys.create(operator(), { name: 'rotated twice at once' });
  const outcomes = await Promise.allSettled([0, 1].map(() => services.events.answering(() => services.keys.rotate(operator(), old.key.id))));
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
