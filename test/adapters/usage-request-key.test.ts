import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoThrottle, type DynamoThrottle } from '../../bench/dynamo-throttle';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { requestTime } from '../../lambdas/core/ids';
import { loadConfig } from '../../lambdas/config';
import type { UsageRecord } from '../../lambdas/core/types';
import { buildServices, type Services } from '../../lambdas/services';

/**
 * A usage record whose request id carries its time (`req_<ms, 9 base-36 digits>_<unique>`) is
 * keyed by that time: found by its id alone through its own key, so it has no request index entry
 * — one item and its key listing's entry, 2 write units where an id without a time costs 3 —
 * counted by the bench's counting proxy in front of dynalite. Ids without a time, and the records
 * written before, are found through the request index as always; both kinds list alike by project
 * and by key.
 */
let dynalite: DynaliteServer;
let proxy: DynamoThrottle;
let services: Services;
const TABLE = 'usage-request-key-test';
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'x' } });

beforeAll(async () => {
  dynalite = await startDynalite();
  await ensureTable(createDynamoClient(dynalite.endpoint), TABLE);
  proxy = await startDynamoThrottle({ target: dynalite.endpoint, limits: false });
  const dynamo = createDynamoClient(proxy.url);
  services = buildServices(loadConfig({ TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: proxy.url }), { dynamo, secrets });
});
afterAll(async () => {
  services?.dynamo.destroy();
  await proxy?.close();
  await dynalite?.close();
});

const AT = Date.parse('2026-12-07T03:30:00.000Z');
const PROJECT = 'proj_requestkey0001';
const KEY = 'key_requestkey000000000001';
const timedId = (ms: number, unique: string) => `req_${ms.toString(36).padStart(9, '0')}_${unique}`;

function usage(requestId: string, at: number): UsageRecord {
  return { requestId, at: new Date(at).toISOString(), projectId: PROJECT, accountId: 'acct_requestkey', keyId: KEY, route: 'POST /v1/responses', status: 200, credits: 0.002 };
}

/** The write units the proxy counted for one put, table and index. */
async function unitsOf(record: UsageRecord): Promise<{ writeUnits: number; indexWriteUnits: number }> {
  proxy.reset();
  await services.store.putUsage(record);
  return { writeUnits: proxy.total.writeUnits, indexWriteUnits: proxy.total.indexWriteUnits };
}

describe('usage records found by their request id', () => {
  it('reads a request id’s time, and no time from an id without one', () => {
    expect(requestTime(timedId(AT, 'a1b2c3'))).toBe('2026-12-07T03:30:00.000Z');
    expect(requestTime('req_9c68c48f450042539a614780e17c5be1')).toBeUndefined();
    expect(requestTime('req_fuzz')).toBeUndefined();
    expect(requestTime('req_000000000_a')).toBeUndefined(); // no time at all
    expect(requestTime('req_m0abc_a')).toBeUndefined(); // not 9 digits
  });

  it('a request id with its time: 1 item + 1 index entry (no request index), found by its key; one without: 1 + 2, found by the index', async () => {
    const timed = usage(timedId(AT, 'f00dfeed'), AT + 250);
    const plain = usage('req_0123456789abcdef0123456789abcdef', AT + 500);
    expect(await unitsOf(timed)).toEqual({ writeUnits: 1, indexWriteUnits: 1 });
    expect(await unitsOf(plain)).toEqual({ writeUnits: 1, indexWriteUnits: 2 });

    proxy.reset();
    const found = await services.store.queryUsage({ projectId: PROJECT, requestId: timed.requestId, limit: 10 });
    expect(found.items).toEqual([timed]);
    expect([...proxy.byOperation.keys()]).toEqual(['GetItem']);
    expect((await services.store.queryUsage({ projectId: PROJECT, requestId: plain.requestId, limit: 10 })).items).toEqual([plain]);
    // Another project's lookup of the same id finds nothing.
    expect((await services.store.queryUsage({ projectId: 'proj_requestkey0002', requestId: timed.requestId, limit: 10 })).items).toEqual([]);
    // A timed id without a record: nothing, after the index was asked too.
    expect((await services.store.queryUsage({ projectId: PROJECT, requestId: timedId(AT, 'absent'), limit: 10 })).items).toEqual([]);

    // Listed alike, by project and by key, newest first (the timed record by its id's time).
    const byProject = await services.store.queryUsage({ projectId: PROJECT, limit: 10 });
    expect(byProject.items.map((r) => r.requestId)).toEqual([plain.requestId, timed.requestId]);
    const byKey = await services.store.queryUsage({ projectId: PROJECT, keyId: KEY, limit: 10 });
    expect(byKey.items.map((r) => r.requestId)).toEqual([plain.requestId, timed.requestId]);
  });

  it('a record written again (a retried batch) stays one record', async () => {
    const record = usage(timedId(AT + 1_000, 'again01'), AT + 1_200);
    await services.store.putUsage(record);
    await services.store.putUsage({ ...record, at: new Date(AT + 1_300).toISOString() });
    const found = await services.store.queryUsage({ projectId: PROJECT, requestId: record.requestId, limit: 10 });
    expect(found.items).toHaveLength(1);
    const listed = await services.store.queryUsage({ projectId: PROJECT, keyId: KEY, limit: 100 });
    expect(listed.items.filter((r) => r.requestId === record.requestId)).toHaveLength(1);
  });
});
