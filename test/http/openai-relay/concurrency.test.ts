import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { itemKey } from '../../../lambdas/adapters/store/table';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance } from './stack-helpers';
import { fixedResponse, startStandInUpstream, type StandInUpstream } from './stand-in-upstream';

/**
 * SPEC §8 under concurrency: per-key rate limits exact, credits never overdrawn, expired keys
 * rejected before anything is counted, model discovery free. Outcomes are checked by counting,
 * never by timing.
 */
const BURST = 60;

let upstream: StandInUpstream;
let stack: TestStack;

/** No usage reported: each success costs exactly PRICE_PER_REQUEST (1), so counts and credits line up. */
const PER_REQUEST_BODY = JSON.stringify(fixedResponse({ usage: null }));

beforeAll(async () => {
  upstream = await startStandInUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(PER_REQUEST_BODY));
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

interface Outcome {
  status: number;
  headers: Headers;
  code?: string;
}

async function respond(key: string, body: Record<string, unknown> = { model: 'archibot', input: 'burst' }): Promise<Outcome> {
  const res = await fetch(`${stack.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const code = res.ok ? undefined : (JSON.parse(text) as { error: { code: string } }).error.code;
  return { status: res.status, headers: res.headers, code };
}

/** Fires `n` requests at once and, while they run, watches the balance for any dip below zero. */
async function burst(n: number, one: () => Promise<Outcome>): Promise<{ outcomes: Outcome[]; lowestBalance: number }> {
  let running = true;
  let lowestBalance = Infinity;
  const watcher = (async () => {
    // Read straight from the store, mid-burst (balance() would wait for the burst to settle).
    while (running) lowestBalance = Math.min(lowestBalance, (await stack.services.store.getAccount(stack.bootstrap.accountId))!.credits);
  })();
  const outcomes = await Promise.all(Array.from({ length: n }, one));
  running = false;
  await watcher;
  return { outcomes, lowestBalance: Math.min(lowestBalance, await balance(stack)) };
}

describe('rate limit under a burst', () => {
  it(`admits exactly the limit of ${BURST} simultaneous requests; every other one is a 429 with the headers`, async () => {
    const { key } = await createKey(stack, { name: 'limited', type: 'viewer', rateLimit: { limit: 5, windowSeconds: 60 } });
    await setBalance(stack, 100);
    const before = await balance(stack);
    const upstreamBefore = upstream.requests.length;

    const { outcomes } = await burst(BURST, () => respond(key));
    const admitted = outcomes.filter((o) => o.status === 200);
    const rejected = outcomes.filter((o) => o.status !== 200);

    expect(admitted).toHaveLength(5);
    expect(admitted.map((o) => o.headers.get('x-ratelimit-remaining')).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(rejected).toHaveLength(BURST - 5);
    for (const o of rejected) {
      expect(o.status).toBe(429);
      expect(o.code).toBe('rate_limit_exceeded');
      expect(Number(o.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(o.headers.get('x-ratelimit-limit')).toBe('5');
      expect(o.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(o.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
      expect(o.headers.get('x-archibot-credits-charged')).toBe('0');
    }
    // Only admitted requests reached the upstream or cost anything.
    expect(upstream.requests.length - upstreamBefore).toBe(5);
    expect(await balance(stack)).toBe(credits(before - 5));
  });

  it('counts /v1/models against the same per-key limit', async () => {
    const { key } = await createKey(stack, { name: 'limited models', type: 'viewer', rateLimit: { limit: 3, windowSeconds: 60 } });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  });
});

describe('credits under a burst', () => {
  it('never overdraws: with 3 credits at most 3 of 60 simultaneous requests succeed, the rest 429 insufficient_quota', async () => {
    const { key } = await createKey(stack, { name: 'unlimited', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    await setBalance(stack, 3);

    const { outcomes, lowestBalance } = await burst(BURST, () => respond(key));
    const ok = outcomes.filter((o) => o.status === 200);
    expect(ok.length).toBeLessThanOrEqual(3);
    expect(ok.length).toBe(3); // each success costs exactly 1 and nothing is refunded
    for (const o of outcomes.filter((x) => x.status !== 200)) {
      expect(o.status).toBe(429);
      expect(o.code).toBe('insufficient_quota');
      expect(o.headers.get('x-archibot-credits-charged')).toBe('0');
      expect(Number(o.headers.get('x-archibot-credits-remaining'))).toBeGreaterThanOrEqual(0);
    }
    for (const o of outcomes) expect(Number(o.headers.get('x-archibot-credits-remaining') ?? 0)).toBeGreaterThanOrEqual(0);
    expect(lowestBalance).toBeGreaterThanOrEqual(0);
    const charged = ok.reduce((sum, o) => sum + Number(o.headers.get('x-archibot-credits-charged')), 0);
    expect(credits(3 - (await balance(stack)))).toBe(credits(charged));
    expect(await balance(stack)).toBe(0);
  });

  it('usage beyond the balance is charged whole (debt, never forgiven): admitted calls are bounded by the reservations, every one charged its usage', async () => {
    // 10 000 tokens × 0.5 / 1k = 5 credits per answer, reserved 1 up front.
    const expensive = JSON.stringify(fixedResponse({ usage: { input_tokens: 6000, output_tokens: 4000 } }));
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(expensive));
    const { key } = await createKey(stack, { name: 'expensive', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    await setBalance(stack, 12);

    const { outcomes } = await burst(BURST, () => respond(key));
    await stack.idle();
    const ok = outcomes.filter((o) => o.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    // Over-service bound: only calls whose reservation the balance covered were served.
    expect(ok.length).toBeLessThanOrEqual(12);
    expect(outcomes.every((o) => o.status === 200 || (o.status === 429 && o.code === 'insufficient_quota'))).toBe(true);
    const final = await balance(stack);
    // Every credit that left the account is explained by a usage record, and every record is the
    // call's whole price: nothing forgiven under contention.
    const records = await Promise.all(
      ok.map(async (o) => (await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId: o.headers.get('x-request-id')!, limit: 1 })).items[0]!),
    );
    expect(records.map((r) => r.credits)).toEqual(ok.map(() => 5));
    expect(ok.map((o) => Number(o.headers.get('x-archibot-credits-charged')))).toEqual(ok.map(() => 5));
    expect(final).toBe(credits(12 - 5 * ok.length));
  });
});

describe('nothing counted for an expired key or model discovery', () => {
  it('an expired key gets 401 key_expired, before any usage is counted', async () => {
    await setBalance(stack, 100);
    const created = await createKey(stack, { name: 'short-lived', type: 'viewer', expiresIn: '1s' });
    stack.clock.advance(1100);
    const before = await balance(stack);
    const upstreamBefore = upstream.requests.length;

    const responses = await respond(created.key);
    expect(responses.status).toBe(401);
    expect(responses.code).toBe('key_expired');
    const models = await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } });
    expect(models.status).toBe(401);
    expect(((await models.json()) as { error: { code: string } }).error.code).toBe('key_expired');

    expect(await balance(stack)).toBe(before);
    expect(upstream.requests.length).toBe(upstreamBefore);
    const record = await stack.services.store.getKey(created.id);
    expect(record?.lastUsedAt).toBeUndefined();
    // The rate-limit counter lives on the key item (see store/table.ts): never started.
    const raw = await stack.services.dynamo.send(
      new GetItemCommand({ TableName: stack.services.config.tableName, Key: marshall(itemKey.key(created.id)), ConsistentRead: true }),
    );
    expect(raw.Item?.rlCount).toBeUndefined();
  });

  it('/v1/models never draws credits, even at zero balance', async () => {
    const { key } = await createKey(stack, { name: 'discovery', type: 'viewer' });
    await setBalance(stack, 50);
    const before = await balance(stack);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await balance(stack)).toBe(before);

    await stack.services.operator.adjustCredits(stack.bootstrap.accountId, -before);
    const broke = await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(broke.status).toBe(200);
    expect(await balance(stack)).toBe(0);
  });
});
