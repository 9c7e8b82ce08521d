import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTime } from '../../../lambdas/core/ids';
import { partition, sortKey, usageShard } from '../../../lambdas/adapters/store/table';
import { utcDay } from '../../../lambdas/core/usage';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';
import { answerFixed, startStandInUpstream, type StandInUpstream } from '../openai-relay/stand-in-upstream';

/**
 * The edge mints request ids that carry their time (`req_<epoch ms, 9 base-36 digits>_<unique>`,
 * core/ids.ts `mintRequestId`), from the services' clock: a model call's usage record is
 * then keyed by that time, has no request index entry (a write unit less per call) and is read by
 * `GET /v1/usage?requestId=` through its own key; it bears that time as its `at`, so the listing's
 * order, `since` and the daily counters all use the time the call was made — a call settled
 * after midnight is counted in the day it was made. Ids of the shape minted before still work.
 */
let stack: TestStack;
let upstream: StandInUpstream;
beforeAll(async () => {
  upstream = await startStandInUpstream();
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-test' });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const TIMED = /^req_[0-9a-z]{9}_[0-9A-Za-z]+$/;

async function rawItem(key: { pk: string; sk: string }): Promise<Record<string, any> | undefined> {
  const { services } = stack;
  const out = await services.dynamo.send(new GetItemCommand({ TableName: services.config.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

async function respond(key: string, input: string): Promise<string> {
  const res = await stack.json('/v1/responses', { key, body: { model: 'archibot', input } });
  expect(res.status).toBe(200);
  const id = res.headers.get('x-archibot-request-id')!;
  expect(res.headers.get('x-request-id')).toBe(id);
  return id;
}

describe('request ids that carry their time', () => {
  it('a model call’s id carries the stack clock’s time; its record has no request index entry and is read by its id', async () => {
    const { id: keyId, key } = await createKey(stack, { name: 'timed ids' });
    const before = stack.clock.now();
    const requestId = await respond(key, 'hello');
    const after = stack.clock.now();
    await stack.idle();

    expect(requestId).toMatch(TIMED);
    const madeAt = Date.parse(requestTime(requestId)!);
    expect(madeAt).toBeGreaterThanOrEqual(before);
    expect(madeAt).toBeLessThanOrEqual(after);

    const { projectId } = stack.bootstrap;
    const stored = await rawItem({ pk: partition.projectUsage(projectId, usageShard(requestId)), sk: sortKey.timeline(new Date(madeAt).toISOString(), requestId) });
    expect(stored).toMatchObject({ requestId, keyId, status: 200, at: new Date(madeAt).toISOString() });
    expect(stored?.gsi1pk).toBeDefined();
    expect(stored?.gsi2pk).toBeUndefined();
    expect(stored?.gsi2sk).toBeUndefined();

    const found = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
    expect(found.status).toBe(200);
    expect(found.body.data).toHaveLength(1);
    expect(found.body.data[0]).toMatchObject({ requestId, keyId, route: 'POST /v1/responses', status: 200, model: 'archibot', at: new Date(madeAt).toISOString() });
    expect(found.body.data[0].credits).toBeGreaterThan(0);
  });

  it('GET /v1/models and a refused call are recorded by their timed ids too', async () => {
    const { key } = await createKey(stack, { name: 'timed models' });
    const models = await stack.call('/v1/models', { key });
    expect(models.status).toBe(200);
    const unknownModel = await stack.json('/v1/responses', { key, body: { model: 'no-such-model', input: 'x' } });
    expect(unknownModel.status).toBe(404);
    await stack.idle();
    for (const requestId of [models.headers.get('x-request-id')!, unknownModel.headers.get('x-request-id')!]) {
      expect(requestId).toMatch(TIMED);
      const found = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
      expect(found.body.data.map((r: { requestId: string; at: string }) => [r.requestId, r.at])).toEqual([[requestId, requestTime(requestId)]]);
    }
  });

  it('the listing is newest first by the time each call was made, `since` included, and each record bears that time', async () => {
    const { id: keyId, key } = await createKey(stack, { name: 'timed listing' });
    const ids: string[] = [];
    for (const input of ['one', 'two', 'three']) {
      ids.push(await respond(key, input));
      stack.clock.advance(1_000);
    }
    await stack.idle();
    const listed = await stack.json(`/v1/usage?keyId=${keyId}`, { key: stack.adminKey });
    expect(listed.body.data.map((r: { requestId: string }) => r.requestId)).toEqual([...ids].reverse());
    expect(listed.body.data.map((r: { at: string }) => r.at)).toEqual([...ids].reverse().map((id) => requestTime(id)));
    const since = await stack.json(`/v1/usage?keyId=${keyId}&since=${encodeURIComponent(requestTime(ids[1]!)!)}`, { key: stack.adminKey });
    expect(since.body.data.map((r: { requestId: string }) => r.requestId)).toEqual([ids[2], ids[1]]);
  });

  it('an id of the shape minted before (req_<32 hex>) is still accepted and found through the request index', async () => {
    const { id: keyId } = await createKey(stack, { name: 'old ids' });
    const { projectId, accountId } = stack.bootstrap;
    const requestId = 'req_0123456789abcdef0123456789abcdef';
    const record = { requestId, at: new Date(stack.clock.now()).toISOString(), projectId, accountId, keyId, route: 'GET /v1/models', status: 200, credits: 0 };
    await stack.services.store.putUsage(record);
    const found = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
    expect(found.status).toBe(200);
    expect(found.body.data).toEqual([record]);
    // Not a request id at all: refused by the route's check.
    expect((await stack.json('/v1/usage?requestId=req_a-b', { key: stack.adminKey })).status).toBe(400);
  });

  it('a call made before midnight and settled after it is dated and counted in the day it was made', async () => {
    const { id: keyId, key } = await createKey(stack, { name: 'midnight' });
    const toMidnight = 86_400_000 - (stack.clock.now() % 86_400_000);
    stack.clock.advance(toMidnight - 2_000);
    // The upstream answers 5 s later by the stack's clock: the settlement runs in the next day.
    upstream.handle((req, res) => {
      stack.clock.advance(5_000);
      answerFixed(req, res);
    });
    let requestId: string;
    try {
      requestId = await respond(key, 'late');
    } finally {
      upstream.reset();
    }
    await stack.idle();
    const madeAt = Date.parse(requestTime(requestId)!);
    const day = utcDay(madeAt);
    expect(utcDay(stack.clock.now())).not.toBe(day);

    const found = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
    expect(found.body.data[0].at).toBe(new Date(madeAt).toISOString());
    const daily = await stack.json(`/v1/usage/daily?keyId=${keyId}&days=2`, { key: stack.adminKey });
    expect(daily.body.data.map((d: { date: string; requests: number }) => [d.date, d.requests])).toEqual([
      [day, 1],
      [utcDay(stack.clock.now()), 0],
    ]);
  });
});
