import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../../lambdas/core/usage';
import { itemKey, keyDayAttributes } from '../../../lambdas/adapters/store/table';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * A settled model call is counted in its key's UTC day by its settlement (the key item's release
 * write), an admitted call that is not a model call by its admission, not by a write of the key's
 * day item (issue 23: write units per call); every other call (refused, or a model call that did
 * not settle an answer) still adds to the day item. Read from outside: GET /v1/usage/daily and the usage log agree, the
 * stored items show where each count went, a finished day is filed onto its day item and leaves
 * the key item, and a day item the previous version wrote (every call added there) adds up with
 * the key item's counters.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const DAY = 86_400_000;

async function item(key: { pk: string; sk: string }): Promise<Record<string, any> | undefined> {
  const { services } = stack;
  const out = await services.dynamo.send(new GetItemCommand({ TableName: services.config.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

/** The key's days as the API answers them, and its usage log's totals per UTC day of `at`. */
async function daysAndLog(id: string, days: number): Promise<{ daily: Map<string, { requests: number; tokens: number; credits: number }>; log: Map<string, { requests: number; tokens: number; credits: number }> }> {
  await stack.idle();
  const res = await stack.json(`/v1/usage/daily?keyId=${id}&days=${days}`, { key: stack.adminKey });
  expect(res.status).toBe(200);
  const daily = new Map<string, { requests: number; tokens: number; credits: number }>();
  for (const d of res.body.data as { date: string; requests: number; tokens: number; credits: number }[]) if (d.requests > 0) daily.set(d.date, { requests: d.requests, tokens: d.tokens, credits: d.credits });
  const listed = await stack.json(`/v1/usage?keyId=${id}&limit=100`, { key: stack.adminKey });
  expect(listed.status).toBe(200);
  const log = new Map<string, { requests: number; tokens: number; micro: number }>();
  for (const r of listed.body.data as { at: string; usage?: { totalTokens: number }; credits: number }[]) {
    const day = log.get(r.at.slice(0, 10)) ?? { requests: 0, tokens: 0, micro: 0 };
    day.requests += 1;
    day.tokens += r.usage?.totalTokens ?? 0;
    day.micro += Math.round(r.credits * 1e6);
    log.set(r.at.slice(0, 10), day);
  }
  return { daily, log: new Map([...log].map(([date, d]) => [date, { requests: d.requests, tokens: d.tokens, credits: d.micro / 1e6 }])) };
}

describe('a key’s days, counted by its model calls’ settlements', () => {
  it('model calls count on the key item by their settlements, other admitted calls by their admissions; a refused call on the day item; the answer sums both and equals the usage log', async () => {
    const { id, key } = await createKey(stack, { name: 'settled days', rateLimit: { limit: 6, windowSeconds: 3_600 } });
    for (const input of ['one', 'two', 'three']) expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input } })).status).toBe(200);
    expect((await stack.json('/v1/chat/completions', { key, body: { model: 'archibot', messages: [{ role: 'user', content: 'four' }] } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await stack.json('/v1/models', { key })).status).toBe(200);
    // Over its rate limit: refused, so no admission counted it; its usage record's counter write does.
    expect((await stack.json('/v1/models', { key })).status).toBe(429);
    await stack.idle();

    const today = utcDay(stack.clock.now());
    const keyItem = await item(itemKey.key(id));
    expect(keyItem?.[keyDayAttributes(today).requests]).toBe(6);
    expect(keyItem?.[keyDayAttributes(today).tokens]).toBeGreaterThan(0);
    expect((await item(itemKey.usageDay({ keyId: id }, today)))?.requests).toBe(1);
    // The counters are the store's own: a key as the store hands it out carries none of them.
    const handedOut = (await stack.services.store.getKey(id)) as unknown as Record<string, unknown>;
    expect(Object.keys(handedOut).filter((name) => /^ud[0-9a-z]{3,4}[rtc]$/.test(name))).toEqual([]);
    // The account's day item counts none of them: the account's days are summed from its keys'
    // (the key's day item is in gsi2 under its account), and its answer has all seven.
    expect(keyItem?.accountDaysSummed).toBe(true);
    expect((await item(itemKey.usageDay({ keyId: id }, today)))?.gsi2pk).toBe(`ACCOUNT#${stack.bootstrap.accountId}#KEYDAYS`);
    expect(await item(itemKey.usageDay({ accountId: stack.bootstrap.accountId }, today))).toBeUndefined();
    const account = await stack.json('/v1/usage/daily?days=1', { key: stack.adminKey });
    expect(account.body.data[0].requests).toBeGreaterThanOrEqual(7);

    const { daily, log } = await daysAndLog(id, 3);
    expect(daily.get(today)?.requests).toBe(7);
    expect(daily).toEqual(log);
  });

  it('a call that is not a model call writes no day item of its key: its admission counted it', async () => {
    const { id, key } = await createKey(stack, { name: 'admitted days' });
    for (let i = 0; i < 3; i++) expect((await stack.json('/v1/models', { key })).status).toBe(200);
    expect((await stack.json('/v1/chat/completions', { key, body: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] } })).status).toBe(404);
    await stack.idle();
    const today = utcDay(stack.clock.now());
    expect((await item(itemKey.key(id)))?.[keyDayAttributes(today).requests]).toBe(4);
    expect(await item(itemKey.usageDay({ keyId: id }, today))).toBeUndefined();
    const { daily, log } = await daysAndLog(id, 1);
    expect(daily.get(today)?.requests).toBe(4);
    expect(daily).toEqual(log);
  });

  it('calls racing on one key (their admissions and releases sharing writes) are each counted once', async () => {
    const { id, key } = await createKey(stack, { name: 'racing days', rateLimit: { limit: 1_000, windowSeconds: 3_600 } });
    const answers = await Promise.all(
      Array.from({ length: 48 }, (_, i) => (i % 2 ? stack.json('/v1/models', { key }) : stack.json('/v1/responses', { key, body: { model: 'archibot', input: `race ${i}` } }))),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    await stack.idle();
    expect(await item(itemKey.usageDay({ keyId: id }, utcDay(stack.clock.now())))).toBeUndefined();
    const { daily, log } = await daysAndLog(id, 1);
    expect(daily.get(utcDay(stack.clock.now()))?.requests).toBe(48);
    expect(daily).toEqual(log);
  });

  it('a finished day is filed onto its day item and leaves the key item; every day still equals the log', async () => {
    const { id, key } = await createKey(stack, { name: 'filed days' });
    const call = async (input: string) => expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input } })).status).toBe(200);
    await call('first day');
    await call('first day again');
    expect((await stack.json('/v1/models', { key })).status).toBe(200);
    const first = utcDay(stack.clock.now());
    stack.clock.advance(DAY);
    await call('second day');
    await stack.idle();
    // Yesterday is not finished yet (a settlement of another instance may still count there): kept.
    expect((await item(itemKey.key(id)))?.[keyDayAttributes(first).requests]).toBe(3);

    stack.clock.advance(DAY);
    await call('third day');
    await stack.idle();
    const second = utcDay(stack.clock.now() - DAY);
    const keyItem = await item(itemKey.key(id));
    expect(Object.values(keyDayAttributes(first)).filter((name) => keyItem?.[name] !== undefined)).toEqual([]);
    expect(keyItem?.[keyDayAttributes(second).requests]).toBe(1);
    const filed = await item(itemKey.usageDay({ keyId: id }, first));
    expect(filed).toMatchObject({ kr: 3 });
    expect(filed?.requests).toBeUndefined();

    const { daily, log } = await daysAndLog(id, 5);
    expect([...daily.keys()]).toEqual([first, second, utcDay(stack.clock.now())]);
    expect(daily.get(first)?.requests).toBe(3);
    expect(daily).toEqual(log);
  });

  it('a day item the previous version wrote (every call added there) adds up with the key item’s counters', async () => {
    const { id, key } = await createKey(stack, { name: 'upgraded' });
    const { projectId, accountId } = stack.bootstrap;
    const at = new Date(stack.clock.now()).toISOString();
    // What the previous version wrote for a settled call: its key's day item, added to.
    await stack.services.usage.count({ requestId: 'req_before', at, projectId, accountId, keyId: id, route: 'POST /v1/responses', status: 200, model: 'archibot', usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, credits: 0.25 });
    expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input: 'after' } })).status).toBe(200);
    await stack.idle();

    const today = utcDay(stack.clock.now());
    const res = await stack.json(`/v1/usage/daily?keyId=${id}&days=1`, { key: stack.adminKey });
    const listed = await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey });
    const after = (listed.body.data as { usage?: { totalTokens: number }; credits: number }[])[0]!;
    expect(res.body.data).toEqual([{ date: today, requests: 2, tokens: 7 + (after.usage?.totalTokens ?? 0), credits: Math.round((0.25 + after.credits) * 1e6) / 1e6 }]);
  });
});
