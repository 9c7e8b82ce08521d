/**
 * The DynamoDB fault proxy (test/support/dynamo-fault-proxy.ts), against a real dynalite: what each
 * decision does to a write, read back directly from the store. The lost answer is the case issue 23
 * point 4 must make harmless: the SDK retries a write that already landed, so an ADD of 1 whose
 * first answer is lost is applied twice.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { createTable, startDynalite } from '../support/dynalite';
import { startDynamoFaultProxy, type DynamoFaultProxy, type FaultPolicy } from '../support/dynamo-fault-proxy';

const TABLE = 'fault-proxy-test';
let db: Awaited<ReturnType<typeof startDynalite>>;
let direct: DynamoDBClient;
const opened: { close(): unknown }[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  direct = createDynamoClient(db.endpoint);
});
afterAll(async () => {
  for (const thing of opened) await thing.close();
  direct?.destroy();
  await db?.close();
});

async function proxy(policy: FaultPolicy, drop?: 'reset' | 'silence'): Promise<DynamoFaultProxy> {
  const p = await startDynamoFaultProxy({ upstream: db.endpoint, policy, drop });
  opened.push(p);
  return p;
}

/** A client through the proxy: short timeouts so no wait is unbounded; the SDK's default retries unless told. */
function through(p: DynamoFaultProxy, maxAttempts?: number): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: p.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Without throwOnRequestTimeout this SDK only warns when requestTimeout passes.
    requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true, connectionTimeout: 1_000 },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  opened.push({ close: () => client.destroy() });
  return client;
}

const key = (id: string) => ({ pk: { S: `FAULT#${id}` }, sk: { S: 'ITEM' } });
const stored = async (id: string) => (await direct.send(new GetItemCommand({ TableName: TABLE, Key: key(id), ConsistentRead: true }))).Item;
const firstOf = (op: string): FaultPolicy => (target, _body, n) => (target === op && n === 1 ? 'drop-answer' : 'forward');
const addOne = (id: string) =>
  new UpdateItemCommand({ TableName: TABLE, Key: key(id), UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':one': { N: '1' } } });

describe('dynamo fault proxy', { timeout: 15_000 }, () => {
  it('forwards every operation and counts it per target', async () => {
    const p = await proxy(() => 'forward');
    const client = through(p);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key('plain'), v: { S: 'one' } } }));
    expect((await client.send(new GetItemCommand({ TableName: TABLE, Key: key('plain') }))).Item?.v?.S).toBe('one');
    expect(p.counts.PutItem).toEqual({ received: 1, forwarded: 1, dropped: 0, failed: 0 });
    expect(p.counts.GetItem).toEqual({ received: 1, forwarded: 1, dropped: 0, failed: 0 });
  });

  it('drop-answer: a PutItem whose answer is lost has landed; the client sees only an error', async () => {
    const p = await proxy(firstOf('PutItem'));
    const client = through(p, 1);
    const sent = client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key('lost'), v: { S: 'landed' } } }));
    await expect(sent).rejects.toThrow();
    expect((await stored('lost'))?.v?.S).toBe('landed');
    expect(p.counts.PutItem).toEqual({ received: 1, forwarded: 1, dropped: 1, failed: 0 });
  });

  for (const drop of ['reset', 'silence'] as const) {
    it(`drop-answer (${drop}): the SDK's default retries apply an ADD of 1 twice — the store holds 2`, async () => {
      const p = await proxy(firstOf('UpdateItem'), drop);
      const client = through(p);
      const id = `twice-${drop}`;
      const started = Date.now();
      await client.send(addOne(id)); // succeeds: the retry's answer arrives
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(p.counts.UpdateItem).toEqual({ received: 2, forwarded: 2, dropped: 1, failed: 0 });
      expect((await stored(id))?.n?.N).toBe('2');
    });
  }

  it('fail-before: a 500 is retried and nothing was applied twice', async () => {
    const p = await proxy((target, _body, n) => (target === 'UpdateItem' && n === 1 ? 'fail-before' : 'forward'));
    await through(p).send(addOne('once'));
    expect(p.counts.UpdateItem).toEqual({ received: 2, forwarded: 1, dropped: 0, failed: 1 });
    expect((await stored('once'))?.n?.N).toBe('1');
  });

  it('throttle: the client reads ThrottlingException; nothing reached the store', async () => {
    const p = await proxy((target) => (target === 'PutItem' ? 'throttle' : 'forward'));
    const sent = through(p, 2).send(new PutItemCommand({ TableName: TABLE, Item: { ...key('throttled'), v: { S: 'never' } } }));
    await expect(sent).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 2 } });
    expect(p.counts.PutItem).toEqual({ received: 2, forwarded: 0, dropped: 0, failed: 2 });
    expect(await stored('throttled')).toBeUndefined();
  });
});
