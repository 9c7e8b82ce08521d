import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { KEY_USAGE_SHARDS, partition, sortKey, TABLE_SCHEMA, usageShard } from '../../lambdas/adapters/store/table';
import { loadConfig } from '../../lambdas/config';
import { KeywardenError } from '../../lambdas/core/errors';
import type { UsageRecord } from '../../lambdas/core/types';
import { buildServices, type Services } from '../../lambdas/services';

/**
 * A key's usage records over KEY_USAGE_SHARDS partitions of gsi1 (issue 23 point 2: a key busier
 * than one index partition's 1,000 writes a second), against dynalite: each record's index entry
 * in its request's key shard, the entries written before the shards still read, and the key's
 * listing an exact merge — newest first, each once, pages full but the last — going on from a
 * cursor handed out before the shards; a cursor of another key is a 400.
 */
let dynalite: DynaliteServer;
let services: Services;
let doc: DynamoDBDocumentClient;
const TABLE = 'key-usage-shards-test';
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'x' } });

beforeAll(async () => {
  dynalite = await startDynalite();
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, TABLE);
  services = buildServices(loadConfig({ TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: dynalite.endpoint }), { dynamo, secrets });
  doc = DynamoDBDocumentClient.from(dynamo);
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

const BASE = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(BASE + ms).toISOString();
const fresh = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
const usage = (projectId: string, keyId: string, requestId: string, when: string): UsageRecord => ({
  requestId,
  at: when,
  projectId,
  accountId: 'acct_keyshards',
  keyId,
  route: 'POST /v1/responses',
  status: 200,
  credits: 0.001,
});
const newestFirst = (a: UsageRecord, b: UsageRecord) => Buffer.compare(Buffer.from(sortKey.timeline(b.at, b.requestId)), Buffer.from(sortKey.timeline(a.at, a.requestId)));

/** A record's index entry as written before the shards: under the key's one gsi1 partition. */
function putUnsharded(r: UsageRecord): Promise<unknown> {
  const order = sortKey.timeline(r.at, r.requestId);
  return doc.send(
    new PutCommand({ TableName: TABLE, Item: { pk: partition.projectUsageUnsharded(r.projectId), sk: order, gsi1pk: partition.keyUsageUnsharded(r.keyId), gsi1sk: order, ...r } }),
  );
}

async function listKey(projectId: string, keyId: string, sizes: number[], since?: string) {
  const ids: string[] = [];
  const pages: { size: number; got: number; next: boolean }[] = [];
  let cursor: string | undefined;
  do {
    const size = sizes[pages.length % sizes.length]!;
    const page = await services.store.queryUsage({ projectId, keyId, since, cursor, limit: size });
    ids.push(...page.items.map((r) => r.requestId));
    pages.push({ size, got: page.items.length, next: page.nextCursor !== undefined });
    cursor = page.nextCursor;
    if (pages.length > 500) throw new Error('the listing does not end');
  } while (cursor);
  return { ids, pages };
}

describe('a key’s usage records over its index shards', () => {
  it('an entry lands in its request’s key shard (its project shard mod KEY_USAGE_SHARDS)', async () => {
    const projectId = fresh('proj');
    const keyId = fresh('key');
    const records = Array.from({ length: 24 }, (_, i) => usage(projectId, keyId, `req_${i}abc`, at(i)));
    await Promise.all(records.map((r) => services.store.putUsage(r)));
    for (let k = 0; k < KEY_USAGE_SHARDS; k++) {
      const out = await doc.send(
        new QueryCommand({ TableName: TABLE, IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition.keyUsage(keyId, k) } }),
      );
      const want = records.filter((r) => usageShard(r.requestId) % KEY_USAGE_SHARDS === k).map((r) => r.requestId).sort();
      expect((out.Items ?? []).map((i) => i.requestId as string).sort()).toEqual(want);
    }
    expect(new Set(records.map((r) => usageShard(r.requestId) % KEY_USAGE_SHARDS)).size).toBeGreaterThan(1);
  });

  it('lists every record of the key, sharded and unsharded, newest first, each once, pages full but the last (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({ id: fc.stringMatching(/^[0-9A-Za-z]{1,10}$/), ms: fc.constantFrom(0, 1, 1000, 2000, 2001), where: fc.constantFrom('shard', 'shard', 'unsharded', 'both'), mine: fc.boolean() }),
          { selector: (r) => r.id, maxLength: 60 },
        ),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.constantFrom(1, 1000, 2001), { nil: undefined }),
        async (specs, sizes, sinceMs) => {
          const projectId = fresh('proj');
          const keyId = fresh('key');
          const other = fresh('key');
          const records = specs.map((s) => ({ ...usage(projectId, s.mine ? keyId : other, `req_${s.id}`, at(s.ms)), where: s.where }));
          await Promise.all(
            records.map(async ({ where, ...r }) => {
              if (where !== 'unsharded') await services.store.putUsage(r);
              if (where !== 'shard') await putUnsharded(r);
            }),
          );
          const since = sinceMs === undefined ? undefined : at(sinceMs);
          const expected = records.filter((r) => r.keyId === keyId && (since === undefined || r.at >= since)).sort(newestFirst);
          const { ids, pages } = await listKey(projectId, keyId, sizes, since);
          expect(ids).toEqual(expected.map((r) => r.requestId));
          for (const page of pages.filter((p) => p.next)) expect(page.got).toBe(page.size);
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('goes on from a cursor handed out before the shards; another key’s is a 400', async () => {
    const projectId = fresh('proj');
    const keyId = fresh('key');
    const old = [1, 2, 3].map((s) => usage(projectId, keyId, `req_old${s}`, at(s * 1000)));
    await Promise.all(old.map(putUnsharded));
    const now = [4, 5].map((s) => usage(projectId, keyId, `req_new${s}`, at(s * 1000 - 3500)));
    await Promise.all(now.map((r) => services.store.putUsage(r)));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const order = sortKey.timeline(old[2]!.at, old[2]!.requestId);
    // gsi1's LastEvaluatedKey after req_old3, as the listing handed it out before the shards.
    const cursor = b64({ pk: partition.projectUsageUnsharded(projectId), sk: order, gsi1pk: partition.keyUsageUnsharded(keyId), gsi1sk: order });
    const page = await services.store.queryUsage({ projectId, keyId, cursor, limit: 10 });
    expect(page.items.map((r) => r.requestId)).toEqual(['req_old2', 'req_new5', 'req_old1', 'req_new4']);
    const foreign = b64({ pk: partition.projectUsageUnsharded(projectId), sk: order, gsi1pk: partition.keyUsageUnsharded('key_someoneelse'), gsi1sk: order });
    const refused = await services.store.queryUsage({ projectId, keyId, cursor: foreign, limit: 10 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(KeywardenError);
    expect((refused as KeywardenError).code).toBe('invalid_request_error');
  });
});
