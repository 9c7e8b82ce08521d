import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../lambdas/adapters/store/table-access';
import { partition, sortKey } from '../../lambdas/adapters/store/table';
import { listingCursors } from '../../lambdas/core/cursor';
import type { UsageRecord } from '../../lambdas/core/types';
import { UsageListSchema } from '../../lambdas/http/routes/usage.contract';
import { expectApiError } from '../support/api-error';
import { startTestStack, type TestStack } from '../support/local-stack';
import { storedItems } from '../support/stored-items';
import { createKey } from '../http/openai-relay/stack-helpers';

/**
 * The project's usage listing over the shards, through the real stack (GET /v1/usage, sealed
 * cursors): records written by calls (in their shards) and records written before the shards (in
 * the unsharded partition) come out newest first, each once, in pages of the size asked; a cursor
 * handed out before the shards goes on; a tampered cursor is the documented 400.
 */
let stack: TestStack;
let projectId: string;

beforeAll(async () => {
  stack = await startTestStack();
  projectId = stack.bootstrap.projectId;
});
afterAll(async () => stack?.stop());

/** Every usage record of the project as stored (a scan: not the listing under test), newest first. */
async function storedUsage(): Promise<UsageRecord[]> {
  const items = (await storedItems(stack.services)).map((i) => unmarshall(i as never));
  return items
    .filter((i) => typeof i.pk === 'string' && partition.projectUsageAll(projectId).includes(i.pk))
    .sort((a, b) => Buffer.compare(Buffer.from(b.sk as string), Buffer.from(a.sk as string)))
    .map((i) => i as UsageRecord);
}

async function putUnsharded(record: UsageRecord): Promise<void> {
  const order = sortKey.timeline(record.at, record.requestId);
  await DynamoDBDocumentClient.from(stack.services.dynamo).send(
    new PutCommand({
      TableName: stack.services.config.tableName,
      Item: { pk: partition.projectUsageUnsharded(projectId), sk: order, gsi1pk: partition.keyUsageUnsharded(record.keyId), gsi1sk: order, ...record },
    }),
  );
}

describe('GET /v1/usage over the shards', () => {
  it('lists sharded and unsharded records newest first, each once, pages full but the last', async () => {
    const { id, key } = await createKey(stack, { name: 'sharded calls' });
    for (let i = 0; i < 14; i++) expect((await stack.call('/v1/models', { key })).status).toBe(200);
    const base = Date.now() - 60_000;
    for (let i = 0; i < 6; i++) {
      const at = new Date(base + Math.floor(i / 2) * 1000).toISOString();
      await putUnsharded({ requestId: `req_before${i}`, at, projectId, accountId: stack.bootstrap.accountId, keyId: id, route: 'GET /v1/models', status: 200, credits: 0 });
    }
    await stack.idle();
    const expected = await storedUsage();
    expect(expected.filter((r) => r.keyId === id)).toHaveLength(20);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await stack.json(`/v1/usage?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: stack.adminKey });
      expect(res.status).toBe(200);
      UsageListSchema.parse(res.body);
      seen.push(...res.body.data.map((r: UsageRecord) => r.requestId));
      sizes.push(res.body.data.length);
      cursor = res.body.nextCursor;
    } while (cursor);
    // The listing's own calls write records after its first page: newer than it, never in a later page.
    expect(seen).toEqual(expected.map((r) => r.requestId));
    expect(sizes.slice(0, -1).every((n) => n === 4)).toBe(true);
    expect(sizes.at(-1)).toBeLessThanOrEqual(4);
  });

  it('goes on from a cursor sealed before the shards, and answers a tampered one with the documented 400', async () => {
    await stack.idle();
    const all = await storedUsage();
    const third = all[2]!;
    const cursors = await listingCursors(stack.services.secrets, ['usage', projectId, '', '', '']);
    const before = cursors.seal(encodeCursor({ pk: partition.projectUsageUnsharded(projectId), sk: sortKey.timeline(third.at, third.requestId) }))!;
    const res = await stack.json(`/v1/usage?limit=3&cursor=${encodeURIComponent(before)}`, { key: stack.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((r: UsageRecord) => r.requestId)).toEqual(all.slice(3, 6).map((r) => r.requestId));

    const next: string = res.body.nextCursor;
    const flipped = `${next.slice(0, 5)}${next[5] === 'A' ? 'B' : 'A'}${next.slice(6)}`;
    expectApiError(await stack.json(`/v1/usage?cursor=${encodeURIComponent(flipped)}`, { key: stack.adminKey }), 400, 'invalid_request_error');
    // Sealed by the listing but not a position it hands out (below every key): still a 400, never a 5xx.
    const malformed = cursors.seal(encodeCursor({ after: '!' }))!;
    expectApiError(await stack.json(`/v1/usage?cursor=${encodeURIComponent(malformed)}`, { key: stack.adminKey }), 400, 'invalid_request_error');
  });
});
