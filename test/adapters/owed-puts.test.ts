/**
 * Puts owed after the answer share BatchWriteItems (store/table-access.ts `putOwed`): a model
 * call's usage record and the owner record of the response it stored, asked for in one turn, are
 * one DynamoDB call; those asked for while a batch is in flight go out together in the next.
 * Against a real dynalite, every call of the lean transport counted as it leaves: both records
 * are stored and read back; an item DynamoDB refuses fails its own caller only; one record put
 * twice in a turn (a retry) lands once, the later last.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store';
import { DynamoWire } from '../../lambdas/adapters/dynamodb-wire';
import type { OwnershipRecord } from '../../lambdas/core/ports';
import type { UsageRecord } from '../../lambdas/core/types';
import { OWED_BATCHES_IN_FLIGHT } from '../../lambdas/adapters/store/table-access';
import { createTable, startDynalite } from '../support/dynalite';

const TABLE = 'owed-puts-test';
const AT = Date.UTC(2026, 11, 7, 4, 0, 0);
let db: Awaited<ReturnType<typeof startDynalite>>;
let client: ReturnType<typeof createDynamoClient>;
let store: DynamoDbStore;
/** Each call of the lean transport: its operation and how many puts it carried. */
let sent: { operation: string; puts: number }[] = [];
/** Calls of the lean transport in flight now, and the most at once. */
let inFlight = 0;
let mostInFlight = 0;

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  client = createDynamoClient(db.endpoint);
  const wire = new DynamoWire(client);
  const send = wire.send.bind(wire);
  wire.send = ((operation, input, purpose) => {
    const requests = (input as { RequestItems?: Record<string, unknown[]> }).RequestItems?.[TABLE];
    sent.push({ operation, puts: requests?.length ?? 0 });
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    return send(operation, input, purpose).finally(() => inFlight--);
  }) as typeof wire.send;
  // Owner reads never wait to read a miss again here.
  store = new DynamoDbStore({ tableName: TABLE, client, wire, ownerRecheckMs: 0 });
});
beforeEach(() => {
  sent = [];
  mostInFlight = 0;
});
afterAll(async () => {
  client?.destroy();
  await db?.close();
});

const timedId = (ms: number, unique: string) => `req_${ms.toString(36).padStart(9, '0')}_${unique}`;

function usage(n: number, extra: Partial<UsageRecord> = {}): UsageRecord {
  return { requestId: timedId(AT + n, `owed${n}`), at: new Date(AT + n).toISOString(), projectId: 'proj_owed', accountId: 'acct_owed', keyId: 'key_owed', route: 'POST /v1/responses', status: 200, model: 'archibot', credits: 0.25, ...extra };
}

function owner(n: number, extra: Partial<OwnershipRecord> = {}): OwnershipRecord {
  return { kind: 'response', id: `resp_owed${n}`, projectId: 'proj_owed', accountId: 'acct_owed', keyId: 'key_owed', createdAt: new Date(AT + n).toISOString(), model: 'archibot', requestId: usage(n).requestId, ...extra };
}

const byRequest = async (record: UsageRecord) => (await store.queryUsage({ projectId: record.projectId, requestId: record.requestId, limit: 10 })).items;

it('a usage record and an owner record asked for in one turn: one BatchWriteItem, both stored', async () => {
  await Promise.all([store.recordOwnership(owner(1)), store.putUsage(usage(1))]);
  expect(sent).toEqual([{ operation: 'BatchWriteItem', puts: 2 }]);
  expect(await store.getOwnership('response', 'resp_owed1')).toEqual(owner(1));
  expect(await byRequest(usage(1))).toEqual([usage(1)]);
});

it('a few awaits apart in one turn still share the call; those asked for while it is in flight share the next', async () => {
  const first = store.recordOwnership(owner(2));
  await Promise.resolve();
  await Promise.resolve();
  const second = store.putUsage(usage(2));
  // The first batch is on its way: these wait for it and go out together.
  await new Promise((resolve) => setImmediate(resolve));
  const later = [3, 4, 5].map((n) => store.putUsage(usage(n)));
  await Promise.all([first, second, ...later]);
  expect(sent).toEqual([
    { operation: 'BatchWriteItem', puts: 2 },
    { operation: 'BatchWriteItem', puts: 3 },
  ]);
  for (const n of [2, 3, 4, 5]) expect(await byRequest(usage(n))).toEqual([usage(n)]);
});

it('an item DynamoDB refuses fails its own caller only: the batch it rode in is sent again item by item', async () => {
  // An item over 400 KB is refused, and with it the whole BatchWriteItem.
  const huge = owner(6, { model: 'x'.repeat(410_000) });
  const [refused, written] = await Promise.allSettled([store.recordOwnership(huge), store.putUsage(usage(6))]);
  expect(refused.status).toBe('rejected');
  expect(written.status).toBe('fulfilled');
  expect(sent).toEqual([
    { operation: 'BatchWriteItem', puts: 2 },
    { operation: 'BatchWriteItem', puts: 1 },
    { operation: 'BatchWriteItem', puts: 1 },
  ]);
  expect(await byRequest(usage(6))).toEqual([usage(6)]);
  expect(await store.getOwnership('response', 'resp_owed6')).toBeUndefined();
});

it('one record put twice in a turn (a retry) goes out in two calls, in order: one record, the later', async () => {
  const again = usage(7, { credits: 0.5 });
  await Promise.all([store.putUsage(usage(7)), store.putUsage(again), store.recordOwnership(owner(7))]);
  expect(sent).toEqual([
    { operation: 'BatchWriteItem', puts: 2 },
    { operation: 'BatchWriteItem', puts: 1 },
  ]);
  expect(await byRequest(usage(7))).toEqual([again]);
});

it('a backlog goes out in several batches side by side, so a busy server’s owed records cannot pile up faster than they leave', async () => {
  // 120 calls' records asked for at once (a busy server's after-answer work): 240 puts.
  const records = Array.from({ length: 120 }, (_, i) => 100 + i);
  await Promise.all(records.flatMap((n) => [store.putUsage(usage(n)), store.recordOwnership(owner(n))]));
  // Ten batches of 25 at most, up to OWED_BATCHES_IN_FLIGHT of them in flight at once: not one after another.
  expect(sent.reduce((sum, call) => sum + call.puts, 0)).toBe(240);
  expect(sent.every((call) => call.operation === 'BatchWriteItem' && call.puts <= 25)).toBe(true);
  expect(mostInFlight).toBeGreaterThan(1);
  expect(mostInFlight).toBeLessThanOrEqual(OWED_BATCHES_IN_FLIGHT);
  for (const n of [100, 160, 219]) {
    expect(await byRequest(usage(n))).toEqual([usage(n)]);
    expect(await store.getOwnership('response', `resp_owed${n}`)).toEqual(owner(n));
  }
});

it('side by side, one item is never in two batches at once: put three times in one turn, the last asked lands', async () => {
  const versions = [0.25, 0.5, 0.75].map((credits) => usage(300, { credits }));
  await Promise.all([...Array.from({ length: 60 }, (_, i) => store.putUsage(usage(400 + i))), ...versions.map((v) => store.putUsage(v))]);
  expect(await byRequest(usage(300))).toEqual([versions[2]]);
});
