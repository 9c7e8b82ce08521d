/**
 * The lanes and stamps behind a key item's exactly-once writes (store/stamp-lanes.ts), against a
 * real dynalite: at most LANES writes of one item in flight here at once, none lost; a stamp left
 * stale by a writer that went away is removed by a later write, but never one its writer has just
 * written again (the retry of that writer's write needs it).
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { LANES, STALE_STAMP_MS, StampLanes, stampParts, type Stamp } from '../../lambdas/adapters/store/stamp-lanes';
import { createTable, startDynalite } from '../support/dynalite';

const TABLE = 'stamp-lanes-test';
let db: Awaited<ReturnType<typeof startDynalite>>;
let client: ReturnType<typeof createDynamoClient>;
const key = { pk: { S: 'KEY#k1' }, sk: { S: 'KEY' } };

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  client = createDynamoClient(db.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await db?.close();
});

/** A counter increment under `stamp`, as an admission writes it. */
function increment(stamp: Stamp) {
  const st = stampParts(stamp);
  return client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: key,
      UpdateExpression: `SET n = n + :one, ${st.set}${st.remove.length ? ` REMOVE ${st.remove.join(', ')}` : ''}`,
      ConditionExpression: `attribute_exists(pk) AND ${st.condition}`,
      ExpressionAttributeNames: st.names,
      ExpressionAttributeValues: { ':one': { N: '1' }, ...st.values },
      ReturnValues: 'ALL_NEW',
    }),
  );
}

const item = async () => (await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item!;

it(`runs at most ${LANES} writes of one item at once, each with its lane's stamp, none lost`, async () => {
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, n: { N: '0' } } }));
  const lanes = new StampLanes();
  let inFlight = 0;
  let most = 0;
  const names = new Set<string>();
  await Promise.all(
    Array.from({ length: 40 }, () =>
      lanes.run('k1', async (stamp) => {
        inFlight++;
        most = Math.max(most, inFlight);
        names.add(stamp.name);
        await new Promise((r) => setTimeout(r, 5));
        const out = await increment(stamp);
        expect(lanes.landed(Object.fromEntries(Object.entries(out.Attributes!).map(([k, v]) => [k, Number(v.N ?? 0)])), stamp)).toBe(true);
        inFlight--;
      }),
    ),
  );
  expect(most).toBe(LANES);
  expect(names.size).toBe(LANES);
  expect((await item()).n?.N).toBe('40');
  // A retry of a write that landed fails on its own stamp and changes nothing.
  const once: Stamp = { name: `${lanes.writer}_0`, seq: Date.now() * 1000 + 10_000_000, removed: [] };
  await increment(once);
  await expect(increment(once)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  expect((await item()).n?.N).toBe('41');
});

it('removes a stale stamp of another writer, but not one that writer has just written again', async () => {
  await client.send(new DeleteItemCommand({ TableName: TABLE, Key: key }));
  const old = String((Date.now() - STALE_STAMP_MS - 60_000) * 1000);
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, n: { N: '0' }, w_AAAAAAAA_0: { N: old }, w_BBBBBBBB_3: { N: old } } }));
  const lanes = new StampLanes();
  const seen = Object.fromEntries(Object.entries(await item()).map(([k, v]) => [k, v.N ?? v.S]));
  lanes.noteStale('k1', seen);
  // Writer B comes back and writes on its lane before our write lands.
  await client.send(
    new UpdateItemCommand({ TableName: TABLE, Key: key, UpdateExpression: 'SET w_BBBBBBBB_3 = :now', ExpressionAttributeValues: { ':now': { N: String(Date.now() * 1000) } } }),
  );
  // Our write would remove both: refused, since B's stamp is fresh again; nothing changed.
  await expect(lanes.run('k1', (stamp) => increment(stamp))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  expect((await item()).n?.N).toBe('0');
  // Seen again: only A's is stale now, and the next write removes it.
  lanes.noteStale('k1', Object.fromEntries(Object.entries(await item()).map(([k, v]) => [k, v.N ?? v.S])));
  await lanes.run('k1', (stamp) => increment(stamp));
  const after = await item();
  expect(after.n?.N).toBe('1');
  expect(after.w_AAAAAAAA_0).toBeUndefined();
  expect(after.w_BBBBBBBB_3).toBeDefined();
  expect(Object.keys(after).filter((k) => k.startsWith(lanes.writer))).toEqual([`${lanes.writer}_0`]);
});
