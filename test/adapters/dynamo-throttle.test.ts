import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, DescribeTableCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoThrottle, sustainedRate, type DynamoThrottle } from '../../bench/dynamo-throttle';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoWire } from '../../lambdas/adapters/dynamodb-wire';
import { createTable, startDynalite } from '../support/dynalite';

/**
 * The throttling layer (bench/dynamo-throttle.ts) against dynalite: DynamoDB's units and its
 * per-partition limits, measured with the proxy's own counters (units taken over a run), never
 * by timing the code under test.
 */
const HOT = 'hot'; // pk + sk, no index
const INDEXED = 'indexed'; // the service's own schema (two global secondary indexes)
const padded = (bytes: number) => 'x'.repeat(bytes);

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let proxy: DynamoThrottle;
let client: DynamoDBClient;

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, INDEXED);
  const direct = createDynamoClient(dynalite.endpoint);
  await direct.send(
    new CreateTableCommand({
      TableName: HOT,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  for (let i = 0; i < 100 && (await direct.send(new DescribeTableCommand({ TableName: HOT }))).Table?.TableStatus !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 20));
  direct.destroy();
  proxy = await startDynamoThrottle({ target: dynalite.endpoint });
  client = createDynamoClient(proxy.url);
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await dynalite?.close();
});

const partition = (table: string, pk: string, index?: string) => proxy.partitions.get(`${table}${index ? `#${index}` : ''}|${JSON.stringify({ S: pk })}`);

/**
 * Writes `count` items of `units` write units each under `pk`, `concurrency` at a time; a call the
 * SDK gave up on (its 3 attempts all refused) is sent again, and counted.
 */
async function hammer(pk: string, count: number, concurrency: number, units = 1, via = client): Promise<{ gaveUp: number }> {
  const body: Record<string, { S: string }> = units > 1 ? { body: { S: padded(units * 1024 - 100) } } : {};
  let next = 0;
  let gaveUp = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      for (;;) {
        try {
          await via.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: pk }, sk: { S: `item-${i}` }, n: { N: String(i) }, ...body } }));
          break;
        } catch (err) {
          if ((err as Error).name !== 'ProvisionedThroughputExceededException') throw err;
          gaveUp++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { gaveUp };
}

describe('dynamo-throttle: units as DynamoDB bills them', () => {
  it('an item of 3 KB costs 3 write units, and reads are counted in 4 KB units (half when eventually consistent)', async () => {
    proxy.reset();
    const item = { pk: { S: 'sized' }, sk: { S: 'three' }, body: { S: padded(3 * 1024 - 20) } };
    await client.send(new PutItemCommand({ TableName: HOT, Item: item }));
    expect(proxy.total.writeUnits).toBe(3);
    proxy.reset();
    await client.send(new GetItemCommand({ TableName: HOT, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }));
    expect(proxy.total.readUnits).toBe(1);
    await client.send(new GetItemCommand({ TableName: HOT, Key: { pk: item.pk, sk: item.sk } }));
    expect(proxy.total.readUnits).toBe(1.5);
    proxy.reset();
    const nine = { pk: { S: 'sized' }, sk: { S: 'nine' }, body: { S: padded(9 * 1024) } };
    await client.send(new PutItemCommand({ TableName: HOT, Item: nine }));
    expect(proxy.total.writeUnits).toBe(10);
    await client.send(new GetItemCommand({ TableName: HOT, Key: { pk: nine.pk, sk: nine.sk }, ConsistentRead: true }));
    expect(proxy.total.readUnits).toBe(3);
    // A query reads the partition's items together, in 4 KB units: 3 KB + 9 KB and their keys.
    proxy.reset();
    await client.send(new QueryCommand({ TableName: HOT, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'sized' } }, ConsistentRead: true }));
    expect(proxy.total.readUnits).toBe(4);
    expect(partition(HOT, 'sized')?.readUnits).toBe(4);
  });

  it('counts index writes: entering an index, moving within it, and a failed condition billed on the item', async () => {
    proxy.reset();
    const key = { pk: { S: 'KEY#k1' }, sk: { S: 'KEY' } };
    await client.send(new PutItemCommand({ TableName: INDEXED, Item: { ...key, gsi1pk: { S: 'PROJECT#p#KEYS' }, gsi1sk: { S: '1#k1' } } }));
    expect(proxy.total).toMatchObject({ writeUnits: 1, indexWriteUnits: 1 });
    // The index's sort key changes: the old entry is deleted, a new one written.
    await client.send(new UpdateItemCommand({ TableName: INDEXED, Key: key, UpdateExpression: 'SET gsi1sk = :s', ExpressionAttributeValues: { ':s': { S: '2#k1' } } }));
    expect(proxy.total).toMatchObject({ writeUnits: 2, indexWriteUnits: 3 });
    expect(partition(INDEXED, 'PROJECT#p#KEYS', 'gsi1')?.writeUnits).toBe(3);
    const failed = client.send(new UpdateItemCommand({ TableName: INDEXED, Key: key, UpdateExpression: 'SET n = :n', ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeValues: { ':n': { N: '1' } } }));
    await expect(failed).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(proxy.total).toMatchObject({ writeUnits: 3, indexWriteUnits: 3 });
  });

  it('answers as DynamoDB: ConsumedCapacity only when asked, the 400 KB item limit, control-plane throttling', async () => {
    const put = await client.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: 'plain' }, sk: { S: '1' } } }));
    expect(put.ConsumedCapacity).toBeUndefined();
    const asked = await client.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: 'plain' }, sk: { S: '2' } }, ReturnConsumedCapacity: 'TOTAL' }));
    expect(asked.ConsumedCapacity).toEqual({ TableName: HOT, CapacityUnits: 1 });
    const huge = client.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: 'plain' }, sk: { S: '3' }, body: { S: padded(400 * 1024) } } }));
    await expect(huge).rejects.toMatchObject({ name: 'ValidationException' });

    const strict = await startDynamoThrottle({ target: dynalite.endpoint, limits: { writeUnitsPerSecond: 1000, readUnitsPerSecond: 3000, controlPlanePerSecond: 2, burstSeconds: 1 } });
    const once = new DynamoDBClient({ endpoint: strict.url, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    try {
      const answers = await Promise.allSettled(Array.from({ length: 4 }, () => once.send(new DescribeTableCommand({ TableName: HOT }))));
      expect(answers.filter((a) => a.status === 'rejected').map((a) => (a as PromiseRejectedResult).reason.name)).toContain('ThrottlingException');
    } finally {
      once.destroy();
      await strict.close();
    }
  });
});

describe('dynamo-throttle: per-partition limits', () => {
  // dynalite on this machine takes a few hundred writes a second, so the hot partition is offered
  // more than 1,000 units a second with items of 40 units each (as DynamoDB bills: 1 KB a unit).
  it('holds one partition key written as fast as possible to ≈ 1,000 write units a second', async () => {
    proxy.reset();
    const { gaveUp } = await hammer('HOT', 125, 32, 40);
    const hot = partition(HOT, 'HOT')!;
    expect(hot.writeUnits).toBe(5000);
    expect(hot.throttled).toBeGreaterThan(0);
    const rate = sustainedRate(hot)!;
    // From the first refusal on (the bucket's one second of burst spent): a generous band around 1,000.
    expect(rate).toBeGreaterThan(600);
    expect(rate).toBeLessThan(1500);
    expect(gaveUp).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('does not let partitions throttle each other', async () => {
    // The proxy's clock stands still until A has been refused, then runs: A's 4,000 units meet a
    // bucket of 1,000 whatever this machine's speed (on the wall clock alone, a machine slow
    // enough to take 3 s over them refilled A as fast as it wrote), and B's 200 fit its own bucket
    // with no refill at all — any refusal of B would be A's doing.
    let from: number | undefined;
    let own: DynamoThrottle | undefined;
    const at = (pk: string) => own?.partitions.get(`${HOT}|${JSON.stringify({ S: pk })}`);
    own = await startDynamoThrottle({
      target: dynalite.endpoint,
      now: () => {
        if (from === undefined && (at('A')?.throttled ?? 0) > 0) from = Date.now();
        return from === undefined ? 0 : Date.now() - from;
      },
    });
    const via = createDynamoClient(own.url);
    try {
      await Promise.all([hammer('A', 100, 16, 40, via), hammer('B', 200, 2, 1, via)]);
      expect(at('A')!.throttled).toBeGreaterThan(0);
      expect(at('B')!.throttled).toBe(0);
      expect(at('B')!.writeUnits).toBe(200);
    } finally {
      via.destroy();
      await own.close();
    }
  }, 60_000);

  it('a batch write at a spent partition and a free one: the free item written, the spent one returned unprocessed, as DynamoDB does', async () => {
    const frozen = await startDynamoThrottle({ target: dynalite.endpoint, now: () => 0 });
    const sdk = createDynamoClient(frozen.url);
    try {
      // Spend SPENT's bucket: three items of ≈ 390 units, the last passing the pre-check on what is left (the clock stands still: no refill).
      for (const i of [0, 1, 2]) await sdk.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: 'SPENT' }, sk: { S: `big-${i}` }, body: { S: padded(390 * 1024) } } }));
      const both = [
        { PutRequest: { Item: { pk: { S: 'SPENT' }, sk: { S: 'batched' } } } },
        { PutRequest: { Item: { pk: { S: 'FREE' }, sk: { S: 'batched' } } } },
      ];
      const out = await sdk.send(new BatchWriteItemCommand({ RequestItems: { [HOT]: both } }));
      expect(out.UnprocessedItems?.[HOT]).toEqual([both[0]]);
      expect(await sdk.send(new GetItemCommand({ TableName: HOT, Key: { pk: { S: 'FREE' }, sk: { S: 'batched' } }, ConsistentRead: true })).then((r) => r.Item)).toBeDefined();
      expect(await sdk.send(new GetItemCommand({ TableName: HOT, Key: { pk: { S: 'SPENT' }, sk: { S: 'batched' } }, ConsistentRead: true })).then((r) => r.Item)).toBeUndefined();
      // Every item at a spent partition: the whole batch refused.
      const refused = await sdk.send(new BatchWriteItemCommand({ RequestItems: { [HOT]: [both[0]!] } })).then(() => 'written', (err: Error) => err.name);
      expect(refused).toBe('ProvisionedThroughputExceededException');
    } finally {
      sdk.destroy();
      await frozen.close();
    }
  }, 60_000);

  it('is survived by the SDK and the lean transport: their own retries carry a burst on a spent partition', async () => {
    // The proxy's clock stands still until both bursts are being refused, then moves a second on —
    // at the refusal itself, inside the proxy, not when this test next gets to run (on a busy
    // machine that was late enough for the SDK's own three attempts all to be refused): the first
    // attempts are refused whatever the machine's speed, and only retries can succeed.
    let moved = false;
    let started: Awaited<ReturnType<typeof startDynamoThrottle>> | undefined;
    const frozen = await startDynamoThrottle({
      target: dynalite.endpoint,
      now: () => ((moved ||= refusals('R-sdk') > 0 && refusals('R-wire') > 0) ? 1000 : 0),
    });
    started = frozen;
    const sdk = createDynamoClient(frozen.url);
    const wire = new DynamoWire(sdk);
    function refusals(pk: string): number {
      return started?.partitions.get(`${HOT}|${JSON.stringify({ S: pk })}`)?.throttled ?? 0;
    }
    const refused = async (pk: string) => {
      while (refusals(pk) < 1) await new Promise((r) => setImmediate(r));
    };
    try {
      // Three items of ≈ 390 units pass the pre-check together: each bucket ends ≈ 170 units below zero.
      for (const pk of ['R-sdk', 'R-wire'])
        await Promise.all([0, 1, 2].map((i) => sdk.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: pk }, sk: { S: `big-${i}` }, body: { S: padded(390 * 1024) } } }))));
      frozen.reset();
      const sdkBurst = Promise.allSettled(Array.from({ length: 40 }, (_, i) => sdk.send(new PutItemCommand({ TableName: HOT, Item: { pk: { S: 'R-sdk' }, sk: { S: `sdk-${i}` } } }))));
      await refused('R-sdk');
      const wireBurst = Promise.allSettled(Array.from({ length: 40 }, (_, i) => wire.send('PutItem', { TableName: HOT, Item: { pk: { S: 'R-wire' }, sk: { S: `wire-${i}` } } }, 'usage')));
      await refused('R-wire');
      const burst = [...(await sdkBurst), ...(await wireBurst)];
      expect(burst.flatMap((b) => (b.status === 'rejected' ? [`${(b.reason as Error).name}: ${(b.reason as Error).message}`] : []))).toEqual([]);
      for (const pk of ['R-sdk', 'R-wire']) {
        const r = frozen.partitions.get(`${HOT}|${JSON.stringify({ S: pk })}`)!;
        expect(r.throttled).toBeGreaterThan(0);
        expect(r.writeUnits).toBe(40);
      }
    } finally {
      sdk.destroy();
      await frozen.close();
    }
  }, 60_000);
});
