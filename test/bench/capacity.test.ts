import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dollarsPerMillion, unitsPerCall } from '../../bench/capacity';
import { startDynamoThrottle, type DynamoThrottle } from '../../bench/dynamo-throttle';
import { imageOf, indexWrites, itemBytes, shapeOf, writeUnits, type Item } from '../../bench/dynamo-units';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { TABLE_SCHEMA } from '../../lambdas/adapters/store/table';
import { startDynalite } from '../support/dynalite';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * The bench's unit counting (bench/capacity.ts) checked on one known call: a warm GET /v1/models
 * bills exactly the items it changed — its admission write on the key item, then the usage record
 * and the day counters after the answer — as computed here from the table read before and after.
 */
let stack: TestStack;
let proxy: DynamoThrottle;
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let store: string;

beforeAll(async () => {
  dynalite = await startDynalite();
  store = dynalite.endpoint;
  proxy = await startDynamoThrottle({ target: store, limits: false });
  stack = await startTestStack({ DYNAMODB_ENDPOINT: proxy.url });
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  await dynalite?.close();
});

/** Every item of the table, read directly from the store (not through the proxy). */
/** A new key `name`'s POST /v1/responses, warm (one call first opens its rate-limit window and takes its lease): units per call over three. */
async function warmResponseUnits(name: string): Promise<Awaited<ReturnType<typeof unitsPerCall>>> {
  const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer' } });
  expect(created.status).toBe(201);
  const key = created.body.key as string;
  const call = async () => expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input: 'ping' } })).status).toBe(200);
  await call();
  await stack.idle();
  return unitsPerCall(proxy, () => stack.idle(), 3, call);
}

async function snapshot(): Promise<Map<string, Item>> {
  const client = createDynamoClient(store);
  const items = new Map<string, Item>();
  try {
    let start: Record<string, any> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: 'keywarden', ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of (page.Items ?? []) as unknown as Item[]) items.set(JSON.stringify([item.pk, item.sk]), item);
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return items;
}

describe('bench: DynamoDB units per call', () => {
  it('a warm GET /v1/models costs exactly the writes of the items it changed, its admission write first', async () => {
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'capacity probe', type: 'viewer' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const models = async () => expect((await stack.call('/v1/models', { key })).status).toBe(200);
    await models(); // opens the key's rate-limit window
    await stack.idle();

    const before = await snapshot();
    const figures = await unitsPerCall(proxy, () => stack.idle(), 1, models);
    const after = await snapshot();

    const shape = shapeOf({
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [TABLE_SCHEMA.gsi1, TABLE_SCHEMA.gsi2].map((g) => ({
        IndexName: g.name,
        KeySchema: [
          { AttributeName: g.partitionKey, KeyType: 'HASH' },
          { AttributeName: g.sortKey, KeyType: 'RANGE' },
        ],
      })),
    });
    let table = 0;
    let index = 0;
    const changed: string[] = [];
    for (const [id, item] of after) {
      const old = before.get(id);
      if (old && JSON.stringify(old) === JSON.stringify(item)) continue;
      changed.push(String(item.pk!.S));
      table += writeUnits(Math.max(itemBytes(old), itemBytes(item)));
      index += indexWrites('keywarden', shape, old && imageOf(shape, old), imageOf(shape, item)).reduce((sum, w) => sum + w.units, 0);
    }
    expect([...before.keys()].filter((id) => !after.has(id))).toEqual([]);
    expect(changed.some((pk) => /^KEY#[^#]+$/.test(pk))).toBe(true);
    expect({ writeUnits: figures.writeUnits, indexWriteUnits: figures.indexWriteUnits }).toEqual({ writeUnits: table, indexWriteUnits: index });
    expect(figures.requests).toBe(changed.length);

    // The admission: one write on the key's own partition, of the key item's size.
    const keyId = changed.find((pk) => /^KEY#[^#]+$/.test(pk))!;
    const keyItem = [...after.values()].find((item) => item.pk!.S === keyId && item.sk!.S === 'KEY')!;
    expect(proxy.partitions.get(`keywarden|${JSON.stringify({ S: keyId })}`)?.writeUnits).toBe(writeUnits(itemBytes(keyItem)));
    expect(figures.dollarsPerMillion).toBe(dollarsPerMillion(figures));
  }, 60_000);

  it('a warm GET /v1/models counts its key’s day in its admission: one key item write, no day item, 3 WRU with its usage record', async () => {
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'capacity admitted', type: 'viewer' } });
    const key = created.body.key as string;
    const models = async () => expect((await stack.call('/v1/models', { key })).status).toBe(200);
    await models();
    await stack.idle();
    const figures = await unitsPerCall(proxy, () => stack.idle(), 3, models);
    const families = figures.writesByFamily;
    expect(families['KEY#…#USAGEDAY']).toBeUndefined();
    expect(families['ACCOUNT#…#KEYDAYS (gsi2)']).toBeUndefined();
    expect(families['ACCOUNT#…#USAGEDAY']).toBeUndefined();
    const keyItem = [...(await snapshot()).values()].find((item) => item.sk!.S === 'KEY' && item.name?.S === 'capacity admitted')!;
    expect(keyItem[Object.keys(keyItem).find((name) => /^ud[0-9a-z]{3,4}r$/.test(name))!]).toEqual({ N: '4' });
    expect(families['KEY#…']).toBe(writeUnits(itemBytes(keyItem)));
    expect(figures.operations).toBe('UpdateItem ×1, BatchWriteItem ×1');
    expect(figures.writeUnits + figures.indexWriteUnits).toBe(3);
  }, 60_000);

  it('a warm POST /v1/responses counts its key’s day in its settlement: two key item writes, no key day item, no account day item (summed from its keys’)', async () => {
    const figures = await warmResponseUnits('capacity settled');
    const families = figures.writesByFamily;
    expect(families['KEY#…#USAGEDAY']).toBeUndefined();
    expect(families['ACCOUNT#…#USAGEDAY']).toBeUndefined();
    expect(families['ACCOUNT#…#KEYDAYS (gsi2)']).toBeUndefined();
    // The admission and the release (settlement, tokens, the day's counters): the key item's size each.
    const keyItem = [...(await snapshot()).values()].find((item) => item.sk!.S === 'KEY' && item.name?.S === 'capacity settled')!;
    expect(families['KEY#…']).toBe(2 * writeUnits(itemBytes(keyItem)));
    expect(figures.writeUnits + figures.indexWriteUnits).toBe(Object.values(families).reduce((sum, u) => sum + u, 0));
  }, 60_000);

  it('a warm POST /v1/responses: its timed request id spares the usage record a request index entry, and the record shares one BatchWriteItem with the response’s owner record', async () => {
    const figures = await warmResponseUnits('capacity owed');
    // The admission and the settlement on the key item, one batch after the answer (was two; the account's day is summed from its keys').
    expect(figures.operations).toBe('UpdateItem ×2, BatchWriteItem ×1');
    expect(figures.requests).toBe(3);
    const families = figures.writesByFamily;
    expect(families['RESPONSE#…']).toBe(1);
    expect(families['PROJECT#…#USAGE#…']).toBe(1);
    expect(families['KEY#…#USAGE#… (gsi1)']).toBe(1);
    expect(Object.keys(families).filter((family) => family.includes('(gsi2)'))).toEqual([]);
    expect(figures.writeUnits + figures.indexWriteUnits).toBe(5);
  }, 60_000);
});
