import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../../lambdas/core/usage';
import { DailyUsageSchema } from '../../../lambdas/http/routes/usage.contract';
import { expectApiError } from '../../support/api-error';
import { captureOutput } from '../../support/capture';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * GET /v1/usage/daily against the local stack (dynalite, the real router): the daily counters
 * every authenticated call adds to after its answer, per key and per account, read back as one
 * entry per UTC day with the empty days as zeros; a key of another project is 404.
 */
let stack: TestStack;
/** A key of a project of another account, with calls of its own. */
let foreign: { id: string; secret: string; accountId: string };

beforeAll(async () => {
  stack = await startTestStack();
  const { operator } = stack.services;
  const account = await operator.createAccount({ name: 'elsewhere', apiAccess: true, credits: 100 });
  const { automator } = await operator.createProject({ accountId: account.id, name: 'elsewhere', actor: 'cli:test' });
  foreign = { id: automator.key.id, secret: automator.secret, accountId: account.id };
  expect((await stack.json('/v1/models', { key: foreign.secret })).status).toBe(200);
});
afterAll(async () => stack?.stop());

const DAY = 86_400_000;
type Daily = { object: string; keyId: string | null; accountId: string | null; data: { date: string; requests: number; tokens: number; credits: number }[] };

/** The daily answer, once every call answered so far has been counted (counters go out after the answer). */
async function daily(query: string, key = stack.adminKey): Promise<{ status: number; body: any }> {
  await stack.idle();
  const res = await stack.json(`/v1/usage/daily${query}`, { key });
  if (res.status === 200) DailyUsageSchema.parse(res.body);
  return res;
}

/** The days ending today (by the stack's clock), oldest first. */
function lastDays(n: number): string[] {
  const now = stack.clock.now();
  return Array.from({ length: n }, (_, i) => utcDay(now - (n - 1 - i) * DAY));
}

const zero = (date: string) => ({ date, requests: 0, tokens: 0, credits: 0 });

describe('GET /v1/usage/daily', () => {
  it('counts every authenticated call of a key on its UTC day: requests are its usage records (429s included), tokens and credits their sums', async () => {
    const { id, key } = await createKey(stack, { name: 'counted', rateLimit: { limit: 4, windowSeconds: 3_600 } });
    for (const input of ['one', 'two']) expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input } })).status).toBe(200);
    expect((await stack.json('/v1/models', { key })).status).toBe(200);
    expect((await stack.json('/v1/chat/completions', { key, body: { model: 'archibot', messages: [{ role: 'user', content: 'three' }] } })).status).toBe(200);
    // Over its limit: refused, charged nothing, and still a call of the key.
    for (let i = 0; i < 2; i++) expect((await stack.json('/v1/models', { key })).status).toBe(429);

    const res = await daily(`?keyId=${id}&days=7`);
    expect(res.status).toBe(200);
    const body = res.body as Daily;
    expect(body).toMatchObject({ object: 'usage.daily', keyId: id, accountId: null });
    expect(body.data.map((d) => d.date)).toEqual(lastDays(7));
    expect(body.data.slice(0, 6)).toEqual(lastDays(7).slice(0, 6).map(zero));

    // The same calls as the usage log holds them, one record each.
    const log = await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey });
    expect(log.body.data).toHaveLength(6);
    const [totals] = log.body.totals as { requests: number; totalTokens: number; credits: number }[];
    expect(totals!.totalTokens).toBeGreaterThan(0);
    expect(totals!.credits).toBeGreaterThan(0);
    expect(body.data[6]).toEqual({ date: utcDay(stack.clock.now()), requests: 6, tokens: totals!.totalTokens, credits: totals!.credits });
  });

  it('without keyId: the totals of the account of the caller’s project, every key of it, nothing of another account', async () => {
    const { key } = await createKey(stack, { name: 'account share' });
    for (let i = 0; i < 3; i++) expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input: `call ${i}` } })).status).toBe(200);
    const before = await daily('?days=1', foreign.secret);

    const res = await daily('?days=3');
    expect(res.status).toBe(200);
    const body = res.body as Daily;
    expect(body).toMatchObject({ object: 'usage.daily', keyId: null, accountId: stack.bootstrap.accountId });
    expect(body.data.map((d) => d.date)).toEqual(lastDays(3));

    // Every record of the account's one project, the daily read itself now among them: it was
    // counted by its own admission, before it read (a call that is not a model call).
    await stack.idle();
    const log = await stack.json('/v1/usage?limit=1', { key: stack.adminKey });
    const totals = log.body.totals as { requests: number; totalTokens: number; credits: number }[];
    expect(log.body.totalsComplete).toBe(true);
    const sum = (pick: (t: (typeof totals)[number]) => number) => totals.reduce((s, t) => s + pick(t), 0);
    expect(body.data[2]!.requests).toBe(sum((t) => t.requests));
    expect(body.data[2]!.tokens).toBe(sum((t) => t.totalTokens));
    expect(body.data[2]!.credits).toBeCloseTo(sum((t) => t.credits), 6);

    // The other account counted its own calls only: the daily read made with its key, and nothing of ours.
    const after = await daily('?days=1', foreign.secret);
    expect(after.body.accountId).toBe(foreign.accountId);
    expect(after.body.data[0].requests).toBe(before.body.data[0].requests + 1);
  });

  it('a key of another project is 404 not_found, answered exactly like a key that does not exist', async () => {
    const res = await daily(`?keyId=${foreign.id}`);
    expectApiError(res, 404, 'not_found');
    const missing = await daily('?keyId=key_0000000000000000000000');
    expectApiError(missing, 404, 'not_found');
    expect(res.body.error.message.replace(foreign.id, '<id>')).toBe(missing.body.error.message.replace('key_0000000000000000000000', '<id>'));
    expect(JSON.stringify(res.body)).not.toContain(foreign.accountId);
    // Its owner reads it.
    expect((await daily(`?keyId=${foreign.id}`, foreign.secret)).status).toBe(200);
  });

  it('covers 30 days unless asked, 1 to 90; anything else is 400 naming days', async () => {
    const { id } = await createKey(stack, { name: 'quiet' });
    expect((await daily(`?keyId=${id}`)).body.data).toEqual(lastDays(30).map(zero));
    expect((await daily(`?keyId=${id}&days=1`)).body.data).toEqual([zero(utcDay(stack.clock.now()))]);
    const ninety = await daily(`?keyId=${id}&days=90`);
    expect(ninety.body.data.map((d: { date: string }) => d.date)).toEqual(lastDays(90));
    for (const days of ['0', '91', '-1', '1.5', 'week']) {
      const res = await daily(`?keyId=${id}&days=${days}`);
      expectApiError(res, 400, 'invalid_request_error');
      expect(res.body.error.param, days).toBe('days');
    }
    expectApiError(await daily('?keyId=not-a-key'), 400, 'invalid_request_error');
  });

  it('a counter write that fails is logged after the answer, never sent to the caller: the answer and the usage record stand', async () => {
    // A call its rate limit refused is counted by its usage record's counter write (an admitted
    // call that is not a model call is counted by its admission; a model call, by its settlement).
    const { id, key } = await createKey(stack, { name: 'uncounted', rateLimit: { limit: 1, windowSeconds: 3_600 } });
    expect((await stack.json('/v1/models', { key })).status).toBe(200);
    await stack.idle();
    // DynamoDB failing the counters' writes (only they are UpdateItems for `usage`): a failure dynalite cannot show.
    let failing = true;
    stack.services.dynamoWire.intercept((call, next) => {
      if (failing && call.operation === 'UpdateItem' && call.purpose === 'usage') return Promise.reject(new Error('ProvisionedThroughputExceededException'));
      return next();
    });
    const output = captureOutput({ loggers: [stack.services.logger] });
    try {
      expect((await stack.json('/v1/models', { key })).status).toBe(429);
      await stack.idle();
    } finally {
      failing = false;
      output.stop();
    }
    expect(output.text()).toContain('daily usage counters not written');
    expect(output.text()).not.toContain('usage record not written');
    expect((await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey })).body.data).toHaveLength(2);
    expect((await daily(`?keyId=${id}&days=1`)).body.data[0].requests).toBe(1);
  });

  it('a usage record the store will not take is logged whole, with what it charged: the charge it explains is not lost', async () => {
    const { id, key } = await createKey(stack, { name: 'unrecorded' });
    // DynamoDB refusing the records' batch for good (a failure dynalite cannot show).
    let failing = true;
    stack.services.dynamoWire.intercept((call, next) => {
      if (failing && call.operation === 'BatchWriteItem' && call.purpose === 'usage') return Promise.reject(new Error('ValidationException'));
      return next();
    });
    const output = captureOutput({ loggers: [stack.services.logger] });
    let answer: Awaited<ReturnType<typeof stack.json>>;
    try {
      answer = await stack.json('/v1/responses', { key, body: { model: 'archibot', input: 'lost record' } });
      expect(answer.status).toBe(200);
      await stack.idle();
    } finally {
      failing = false;
      output.stop();
    }
    const requestId = answer.headers.get('x-request-id')!;
    const charged = Number(answer.headers.get('x-archibot-credits-charged'));
    expect(charged).toBeGreaterThan(0);
    const line = output.text().split('\n').find((l) => l.includes('usage record not written'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!).record;
    expect(logged).toMatchObject({ requestId, keyId: id, projectId: stack.bootstrap.projectId, route: 'POST /v1/responses', status: 200, model: 'archibot' });
    expect(logged.credits).toBeCloseTo(charged, 6);
    expect(logged.usage.totalTokens).toBeGreaterThan(0);
    expect(line).not.toContain(key);
    expect((await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey })).body.data).toHaveLength(0);
  });

  // Last: it moves the stack's clock (forward only) across a UTC midnight.
  it('a call is counted on the UTC day it was made: across midnight, each side in its own day', async () => {
    const { id, key } = await createKey(stack, { name: 'midnight' });
    const now = stack.clock.now();
    // The next UTC midnight at least 15 s away: the clock only moves forward.
    let midnight = (Math.floor(now / DAY) + 1) * DAY;
    if (midnight - now < 15_000) midnight += DAY;
    stack.clock.advance(midnight - now - 10_000);
    const before = utcDay(stack.clock.now());
    for (let i = 0; i < 2; i++) expect((await stack.json('/v1/models', { key })).status).toBe(200);
    await stack.idle();
    stack.clock.advance(20_000);
    const after = utcDay(stack.clock.now());
    expect(after).not.toBe(before);
    for (let i = 0; i < 3; i++) expect((await stack.json('/v1/models', { key })).status).toBe(200);

    const res = await daily(`?keyId=${id}&days=2`);
    expect(res.body.data.map((d: { date: string; requests: number }) => [d.date, d.requests])).toEqual([
      [before, 2],
      [after, 3],
    ]);
  });
});
