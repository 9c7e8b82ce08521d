/**
 * Puts started side by side share one BatchWriteItem (store/table-access.ts `putTogether`): a key
 * change's pending event and its new key's listing entry cost one round trip. Against a real
 * dynalite, every DynamoDB request counted at the client: what is asked for in one turn goes out
 * together and is stored; a put alone is a PutItem; two puts of one item in a turn both land, the
 * later last; more than a batch holds goes out in as many batches; an item DynamoDB refuses fails
 * its own caller only.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store';
import { partition, sortKey } from '../../lambdas/adapters/store/table';
import type { StoredEvent } from '../../lambdas/core/events';
import { createTable, startDynalite } from '../support/dynalite';
import { numberedKey } from '../support/numbered-key';

const TABLE = 'puts-together-test';
let db: Awaited<ReturnType<typeof startDynalite>>;
let client: ReturnType<typeof createDynamoClient>;
let store: DynamoDbStore;
/** Every DynamoDB request the store made, by operation, in order. */
let sent: string[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  client = createDynamoClient(db.endpoint);
  client.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName).replace(/Command$/, '')), next(args)), { step: 'initialize', name: 'countRequests' });
  store = new DynamoDbStore({ tableName: TABLE, client });
});
beforeEach(() => {
  sent = [];
});
afterAll(async () => {
  client?.destroy();
  await db?.close();
});

const key = (n: number) => numberedKey(n, { idStem: 'key_together', projectId: 'proj_together', accountId: 'acct_together' });

function pending(id: string, keyId: string, due = Date.UTC(2026, 0, 1)): StoredEvent {
  return {
    event: { id, type: 'key.rotated', timestamp: new Date(due).toISOString(), data: { account: 'acct_together', project: 'proj_together', key: { id: keyId, name: 'k', start: 'archie_abcd', type: 'viewer' }, actor: { id: 'operator:test' }, details: {} } },
    state: 'pending',
    due,
    marker: { keyId, kind: 'marked' },
  };
}

async function listingEntry(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: partition.key(id) }, sk: { S: sortKey.keyListing } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

it('a pending event and a new key\'s listing entry started side by side: one BatchWriteItem, both stored', async () => {
  const k = key(1);
  const stored = pending('evt_together00000000001', k.id);
  const [put, listed] = await Promise.all([store.putEvent(stored), store.listKey(k)]);
  expect(put).toBe(true);
  expect(listed).toBeUndefined();
  expect(sent).toEqual(['BatchWriteItem']);
  expect(await store.getEvent(stored.event.id)).toEqual(stored);
  expect(await listingEntry(k.id)).toMatchObject({ id: k.id, projectId: k.projectId, gsi1pk: partition.projectKeys(k.projectId) });
  // The event is in the outbox (the relay finds it once due), the entry lists the key once it exists.
  expect((await store.dueEvents(stored.due! + 1, 100)).map((s) => s.event.id)).toContain(stored.event.id);
  expect(await store.putKey(k)).toBe(true);
  expect((await store.listKeys(k.projectId, { limit: 10 })).items.map((x) => x.id)).toEqual([k.id]);
});

it('a put alone goes out as a PutItem; a unique event is a conditional create of its own', async () => {
  await store.listKey(key(2));
  expect(sent).toEqual(['PutItem']);
  sent = [];
  const stored = pending('evt_together00000000002', key(2).id);
  const [first] = await Promise.all([store.putEvent({ ...stored, state: 'ready' }, { unique: true }), store.listKey(key(3))]);
  expect(first).toBe(true);
  expect(sent.sort()).toEqual(['PutItem', 'PutItem']);
  expect(await store.putEvent({ ...stored, state: 'ready' }, { unique: true })).toBe(false);
});

it('two puts of one item in one turn both land, the later last; more than 25 go out in as many batches', async () => {
  const id = 'evt_together00000000003';
  await Promise.all([store.putEvent(pending(id, key(4).id, 1_000)), store.putEvent(pending(id, key(4).id, 2_000)), store.listKey(key(4))]);
  expect(sent).toEqual(['BatchWriteItem', 'PutItem']);
  expect((await store.getEvent(id))?.due).toBe(2_000);

  sent = [];
  const many = Array.from({ length: 30 }, (_, i) => key(100 + i));
  await Promise.all(many.map((k) => store.listKey(k)));
  expect(sent).toEqual(['BatchWriteItem', 'BatchWriteItem']);
  for (const k of many) expect(await listingEntry(k.id), k.id).toMatchObject({ id: k.id });
});

it('an item DynamoDB refuses fails its own caller only: the batch it rode in is sent again item by item', async () => {
  // An item over 400 KB is refused, and with it the whole BatchWriteItem.
  const k = key(5);
  const base = pending('evt_together00000000005', k.id);
  const huge: StoredEvent = { ...base, event: { ...base.event, data: { ...base.event.data, details: { note: 'x'.repeat(410_000) } } } };
  const [event, listed] = await Promise.allSettled([store.putEvent(huge), store.listKey(k)]);
  expect(event.status).toBe('rejected');
  expect(listed.status).toBe('fulfilled');
  expect(sent).toEqual(['BatchWriteItem', 'PutItem', 'PutItem']);
  expect(await listingEntry(k.id)).toMatchObject({ id: k.id });
  expect(await store.getEvent('evt_together00000000005')).toBeUndefined();
});
