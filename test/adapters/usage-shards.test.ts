import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { firstFetch } from '../../lambdas/adapters/store/project-usage';
import { partition, sortKey, USAGE_SHARDS, usageShard } from '../../lambdas/adapters/store/table';
import { loadConfig } from '../../lambdas/config';
import { KeywardenError } from '../../lambdas/core/errors';
import type { UsageRecord } from '../../lambdas/core/types';
import { buildServices, type Services } from '../../lambdas/services';

/**
 * A project's usage records over USAGE_SHARDS partitions (issue 23 point 2, hot partitions),
 * against dynalite: each record in its request's shard, the records written before the shards
 * still read from the unsharded partition, and the project's listing an exact merge of all of
 * them — newest first, every page full but the last, nothing lost or served twice — whatever the
 * times (ties included), the page sizes and `since`; a cursor the listing did not hand out is a
 * 400, never a query DynamoDB refuses.
 */
let dynalite: DynaliteServer;
let services: Services;
let doc: DynamoDBDocumentClient;
const TABLE = 'usage-shards-test';
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

const BASE = Date.parse('2026-11-02T10:00:00.000Z');
let projects = 0;
const freshProject = () => `proj_shard${++projects}${randomUUID().slice(0, 8)}`;

function usage(projectId: string, requestId: string, at: string, keyId = 'key_shards0000000000000000'): UsageRecord {
  return { requestId, at, projectId, accountId: 'acct_shards', keyId, route: 'POST /v1/responses', status: 200, credits: 0.001 };
}

/** A record as the store wrote it before the shards: in the project's one usage partition. */
function putUnsharded(record: UsageRecord): Promise<unknown> {
  const order = sortKey.timeline(record.at, record.requestId);
  return doc.send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        pk: partition.projectUsageUnsharded(record.projectId),
        sk: order,
        gsi1pk: partition.keyUsageUnsharded(record.keyId),
        gsi1sk: order,
        gsi2pk: partition.requestUsage(record.projectId, record.requestId),
        gsi2sk: sortKey.requestUsage,
        ...record,
      },
    }),
  );
}

/** DynamoDB's order: sort keys by their UTF-8 bytes, newest (greatest) first. */
const newestFirst = (a: UsageRecord, b: UsageRecord) => Buffer.compare(Buffer.from(sortKey.timeline(b.at, b.requestId)), Buffer.from(sortKey.timeline(a.at, a.requestId)));

async function pageThrough(projectId: string, sizes: number[], since?: string): Promise<{ ids: string[]; pages: { size: number; got: number; next: boolean }[] }> {
  const ids: string[] = [];
  const pages: { size: number; got: number; next: boolean }[] = [];
  let cursor: string | undefined;
  do {
    const size = sizes[pages.length % sizes.length]!;
    const page = await services.store.queryUsage({ projectId, since, cursor, limit: size });
    ids.push(...page.items.map((r) => r.requestId));
    pages.push({ size, got: page.items.length, next: page.nextCursor !== undefined });
    cursor = page.nextCursor;
    if (pages.length > 500) throw new Error('the listing does not end');
  } while (cursor);
  return { ids, pages };
}

describe('usage records spread over the shards', () => {
  it('a record lands in its request id’s shard, the same record sent twice is one item, and request ids spread evenly', async () => {
    const projectId = freshProject();
    const record = usage(projectId, 'req_0123456789abcdef0123456789abcdef', new Date(BASE).toISOString());
    await services.store.putUsage(record);
    await services.store.putUsage({ ...record, credits: 0.5 });
    const shard = usageShard(record.requestId);
    const stored = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: partition.projectUsage(projectId, shard), sk: sortKey.timeline(record.at, record.requestId) } }));
    expect(stored.Item?.credits).toBe(0.5);
    expect((await services.store.queryUsage({ projectId, limit: 10 })).items).toEqual([{ ...record, credits: 0.5 }]);
    // The request-id lookup (gsi2) and the key's listing (gsi1) are unchanged.
    expect((await services.store.queryUsage({ projectId, requestId: record.requestId, limit: 1 })).items).toHaveLength(1);
    expect((await services.store.queryUsage({ projectId, keyId: record.keyId, limit: 10 })).items).toHaveLength(1);

    const counts = new Array<number>(USAGE_SHARDS).fill(0);
    for (let i = 0; i < 8000; i++) counts[usageShard(`req_${randomUUID().replace(/-/g, '')}`)]! += 1;
    for (const n of counts) expect(n).toBeGreaterThan(850);
    for (const n of counts) expect(n).toBeLessThan(1150);
    expect(usageShard(record.requestId)).toBe(shard);
  });

  it('pages through every record, sharded and unsharded, newest first, each once, every page full but the last (fuzzed)', async () => {
    const recordSpec = fc.record({
      id: fc.stringMatching(/^[0-9A-Za-z]{1,12}$/),
      // Few distinct times, so many records share one (ordered then by request id).
      second: fc.integer({ min: 0, max: 6 }),
      millis: fc.constantFrom(0, 0, 0, 1, 999),
      where: fc.constantFrom('shard', 'shard', 'shard', 'unsharded', 'both'),
      key: fc.constantFrom('key_shardsA000000000000000', 'key_shardsB000000000000000'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(recordSpec, { selector: (r) => r.id, maxLength: 90, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.option(fc.record({ second: fc.integer({ min: 0, max: 7 }), millis: fc.constantFrom(0, 1, 500) }), { nil: undefined }),
        // Sometimes every sharded record in one or two shards: a page then needs more of a shard than its first share.
        fc.option(fc.subarray([...Array(USAGE_SHARDS).keys()], { minLength: 1, maxLength: 2 }), { nil: undefined }),
        async (specs, sizes, sinceSpec, skew) => {
          const projectId = freshProject();
          const requestIds = new Set<string>();
          const records = specs
            .map((s) => {
              let requestId = `req_${s.id}`;
              for (let n = 0; skew && !skew.includes(usageShard(requestId)); n++) requestId = `req_${s.id}x${n}`;
              return { ...usage(projectId, requestId, new Date(BASE + s.second * 1000 + s.millis).toISOString(), s.key), where: s.where };
            })
            .filter((r) => !requestIds.has(r.requestId) && requestIds.add(r.requestId));
          await Promise.all(
            records.map(async ({ where, ...r }) => {
              if (where !== 'unsharded') await services.store.putUsage(r);
              if (where !== 'shard') await putUnsharded(r);
            }),
          );
          const since = sinceSpec && new Date(BASE + sinceSpec.second * 1000 + sinceSpec.millis).toISOString();
          const expected = records.filter((r) => since === undefined || r.at >= since).sort(newestFirst);

          const { ids, pages } = await pageThrough(projectId, sizes, since);
          expect(ids).toEqual(expected.map((r) => r.requestId));
          for (const page of pages) expect(page.got).toBeLessThanOrEqual(page.size);
          for (const page of pages.filter((p) => p.next)) expect(page.got).toBe(page.size);

          // One key's listing (gsi1, unchanged) finds its records in both layouts, newest first.
          const keyId = 'key_shardsA000000000000000';
          const ofKey: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await services.store.queryUsage({ projectId, keyId, since, cursor, limit: 9 });
            ofKey.push(...page.items.map((r) => r.requestId));
            cursor = page.nextCursor;
          } while (cursor);
          // A record written in both layouts is two index entries there: the key's listing was never deduplicated.
          expect([...new Set(ofKey)]).toEqual(expected.filter((r) => r.keyId === keyId).map((r) => r.requestId));
        },
      ),
      { numRuns: 80 },
    );
  }, 240_000);

  it('a full page reads about its own size, not nine times it', () => {
    expect(firstFetch(1)).toBe(1);
    expect(firstFetch(50) * (USAGE_SHARDS + 1)).toBeLessThan(50 * 3);
    expect(firstFetch(200) * (USAGE_SHARDS + 1)).toBeLessThan(200 * 2);
    expect(firstFetch(1000) * (USAGE_SHARDS + 1)).toBeLessThan(1000 * 1.5);
  });

  it('a page that needs more than a shard’s first share asks that shard again, and stays exact', async () => {
    const projectId = freshProject();
    // Every record in one shard: the page must come from it alone, over several asks.
    const records: UsageRecord[] = [];
    for (let i = 0; records.length < 60; i++) {
      const requestId = `req_skew${i}`;
      if (usageShard(requestId) === 3) records.push(usage(projectId, requestId, new Date(BASE + (i % 5) * 1000).toISOString()));
    }
    await Promise.all(records.map((r) => services.store.putUsage(r)));
    const { ids, pages } = await pageThrough(projectId, [50]);
    expect(ids).toEqual([...records].sort(newestFirst).map((r) => r.requestId));
    expect(pages[0]).toEqual({ size: 50, got: 50, next: true });
  });
});

describe('the project listing’s cursor', () => {
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const at = (s: number) => new Date(BASE + s * 1000).toISOString();

  it('is refused (invalid_request_error, the 400) when it is not one this listing hands out, never sent on to DynamoDB', async () => {
    const projectId = freshProject();
    await Promise.all([1, 2, 3].map((s) => services.store.putUsage(usage(projectId, `req_cur${s}`, at(s)))));
    const tampered = [
      '%%%',
      b64('not json'),
      b64([]),
      b64({}),
      b64({ after: '' }),
      b64({ after: 7 }),
      b64({ after: `${at(2)}#req_cur2`, extra: 1 }),
      b64({ after: 'x'.repeat(1025) }),
      b64({ after: 'é'.repeat(513) }),
      b64({ after: '!' }), // below the key condition (sk >= '0')
      b64({ pk: partition.projectUsageUnsharded('proj_someoneelse'), sk: `${at(2)}#req_cur2` }),
      b64({ pk: partition.projectUsage(projectId, 0), sk: `${at(2)}#req_cur2` }),
    ];
    for (const cursor of tampered) {
      const failure = await services.store.queryUsage({ projectId, cursor, limit: 2 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure, cursor).toBeInstanceOf(KeywardenError);
      expect((failure as KeywardenError).code).toBe('invalid_request_error');
    }
    // Before `since` (a cursor of a listing from an earlier time): outside the key condition, refused.
    const first = await services.store.queryUsage({ projectId, limit: 2 });
    const refused = await services.store.queryUsage({ projectId, since: at(3), cursor: first.nextCursor, limit: 2 }).catch((err: unknown) => err);
    expect((refused as KeywardenError).code).toBe('invalid_request_error');
  });

  it('goes on from a cursor handed out before the shards (the unsharded partition’s start key)', async () => {
    const projectId = freshProject();
    const old = [1, 2, 3].map((s) => usage(projectId, `req_old${s}`, at(s)));
    await Promise.all(old.map(putUnsharded));
    const fresh = [4, 5].map((s) => usage(projectId, `req_new${s}`, at(s - 3.5)));
    await Promise.all(fresh.map((r) => services.store.putUsage(r)));
    // What the listing handed out before: the unsharded partition's LastEvaluatedKey after req_old3.
    const cursor = b64({ pk: partition.projectUsageUnsharded(projectId), sk: sortKey.timeline(old[2]!.at, old[2]!.requestId) });
    const page = await services.store.queryUsage({ projectId, cursor, limit: 10 });
    expect(page.items.map((r) => r.requestId)).toEqual(['req_old2', 'req_new5', 'req_old1', 'req_new4']);
    expect(page.nextCursor).toBeUndefined();
  });
});
