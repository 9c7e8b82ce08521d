/**
 * A project's key list (store/keys.ts listKeys) through listing entries: the key item itself is in
 * no index, so the write every call makes on it (admission) rewrites no index entry. Against a
 * real dynalite: keys written before listing entries existed (in gsi1 themselves) and new ones
 * page together newest first, none lost or repeated; an entry whose key item is gone lists
 * nothing; a cursor after any key resumes right after it.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store';
import { itemKey, partition, sortKey } from '../../lambdas/adapters/store/table';
import type { KeyRecord } from '../../lambdas/core/types';
import { createTable, startDynalite } from '../support/dynalite';
import { numberedKey } from '../support/numbered-key';

const TABLE = 'key-listing-test';
let db: Awaited<ReturnType<typeof startDynalite>>;
let client: ReturnType<typeof createDynamoClient>;
let store: DynamoDbStore;

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  client = createDynamoClient(db.endpoint);
  store = new DynamoDbStore({ tableName: TABLE, client });
});
afterAll(async () => {
  client?.destroy();
  await db?.close();
});

const key = (n: number, projectId = 'proj_list') => numberedKey(n, { idStem: 'key_list', projectId, accountId: 'acct_list' });

/** A key as it was written before listing entries: the key item itself in gsi1. */
async function putLegacy(k: KeyRecord): Promise<void> {
  const item = { ...itemKey.key(k.id), gsi1pk: partition.projectKeys(k.projectId), gsi1sk: sortKey.timeline(k.createdAt, k.id), ...k, expiresAt: undefined, rlMax: 60, rlWindowMs: 60_000 };
  await client.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item, { removeUndefinedValues: true }) }));
}

async function all(projectId: string, limit: number, cursor?: string): Promise<string[]> {
  const ids: string[] = [];
  do {
    const page = await store.listKeys(projectId, { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((k) => k.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

it('pages old and new keys together, newest first, none lost or repeated; the key item is in no index', async () => {
  const keys = Array.from({ length: 11 }, (_, i) => key(i));
  for (const k of keys) {
    if (k.id.endsWith('0') || k.id.endsWith('3') || k.id.endsWith('7')) await putLegacy(k);
    else {
      await store.listKey(k);
      expect(await store.putKey(k)).toBe(true);
    }
  }
  // Another project's keys never show up.
  await store.listKey(key(50, 'proj_other'));
  await store.putKey(key(50, 'proj_other'));
  const newestFirst = keys.map((k) => k.id).reverse();
  for (const limit of [1, 2, 3, 100]) expect(await all('proj_list', limit)).toEqual(newestFirst);
  // A key moved while a listing is open (both of its index entries present) is listed once.
  const moving = keys[3]!;
  await putLegacy(moving);
  for (const limit of [1, 2, 100]) expect(await all('proj_list', limit)).toEqual(newestFirst);
  // Every key item is out of the index now: the new ones were never in it, the old ones were
  // moved to a listing entry by the first listing that met them.
  for (const k of keys) {
    const { Item: item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: marshall(itemKey.key(k.id)) }));
    expect(item?.gsi1pk, k.id).toBeUndefined();
    expect(item?.gsi1sk, k.id).toBeUndefined();
    expect(item?.name?.S).toBe(k.name);
  }
  // Another key under the same id (another secret) is refused; the same key put again (its own
  // resend after a lost answer looks just so) is the key already there. Either way it lists once.
  expect(await store.putKey({ ...keys[1]!, hash: 'another secret', name: 'squatter' })).toBe(false);
  expect(await store.putKey(keys[1]!)).toBe(true);
  expect(await all('proj_list', 4)).toEqual(newestFirst);
  const { Item: kept } = await client.send(new GetItemCommand({ TableName: TABLE, Key: marshall(itemKey.key(keys[1]!.id)) }));
  expect(kept?.name?.S).toBe(keys[1]!.name);
});

it('skips an entry whose key item is gone, and resumes after any key from its cursor', async () => {
  const ids = await all('proj_list', 100);
  await store.deleteKey(ids[2]!);
  // An entry left by a crash between the entry and the key item: lists nothing.
  await client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({ pk: partition.key('key_orphan'), sk: sortKey.keyListing, gsi1pk: partition.projectKeys('proj_list'), gsi1sk: sortKey.timeline('2026-01-01T00:00:05.500Z', 'key_orphan'), id: 'key_orphan', projectId: 'proj_list' }),
    }),
  );
  const left = ids.filter((_, i) => i !== 2);
  expect(await all('proj_list', 3)).toEqual(left);
  for (const [i, id] of left.entries()) {
    const after = store.keysCursorAfter((await store.getKey(id))!);
    expect(await all('proj_list', 2, after)).toEqual(left.slice(i + 1));
  }
  // A cursor that holds no list position is refused as a bad cursor (a 400 at the API), not a store error.
  for (const bad of [{ x: 1 }, { gsi1sk: 5 }, { gsi1sk: '' }]) {
    await expect(store.listKeys('proj_list', { limit: 2, cursor: Buffer.from(JSON.stringify(bad)).toString('base64url') })).rejects.toThrow('The cursor is not valid.');
  }
});
