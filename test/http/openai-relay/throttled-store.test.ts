/**
 * Issue 23 point 5, bounded: the store throttles. The whole stack runs on an external store (a
 * real dynalite behind the fault proxy), which answers a share of the requests with DynamoDB's
 * `ProvisionedThroughputExceededException` without forwarding them. Every call is answered — its
 * success, or 503 with Retry-After — none hangs or fails with a 5xx of another kind, a key's rate
 * limit is never exceeded, and the balance went down by exactly what the usage records charged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, startDynalite } from '../../support/dynalite';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance } from './stack-helpers';
import { startStandInUpstream, type StandInUpstream } from './stand-in-upstream';

let db: Awaited<ReturnType<typeof startDynalite>>;
let proxy: DynamoFaultProxy;
let upstream: StandInUpstream;
let stack: TestStack;

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, 'keywarden');
  proxy = await startDynamoFaultProxy({ upstream: db.endpoint });
  upstream = await startStandInUpstream();
  stack = await startTestStack({ DYNAMODB_ENDPOINT: proxy.endpoint, UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
  await proxy?.close();
  await db?.close();
});

describe('a throttled store', { timeout: 180_000 }, () => {
  it('400 calls with 2 requests in 5 throttled: each answered 200 or 503 + Retry-After in time, the rate limit held, the money exact', async () => {
    const LIMIT = 250;
    const caller = await createKey(stack, { name: 'throttled', type: 'viewer', rateLimit: { limit: LIMIT, windowSeconds: 3600 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    // A deterministic 40 %: requests 2 and 4 of every 5, reads and writes alike.
    proxy.setPolicy((_target, _body, n) => (n % 5 === 2 || n % 5 === 4 ? 'throttle' : 'forward'));
    const statuses: Record<number, number> = {};
    let slowest = 0;
    let retryAfterMissing = 0;
    const jobs = Array.from({ length: 400 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = jobs.shift(); i !== undefined; i = jobs.shift()) {
          const started = performance.now();
          const res = await fetch(`${stack.url}/v1/responses`, {
            method: 'POST',
            headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'archibot', input: `call ${i}` }),
            signal: AbortSignal.timeout(30_000),
          });
          await res.text();
          slowest = Math.max(slowest, performance.now() - started);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 503 && !(Number(res.headers.get('retry-after')) > 0)) retryAfterMissing++;
        }
      }),
    );
    await stack.idle();
    proxy.setPolicy(() => 'forward');
    const throttled = Object.values(proxy.counts).reduce((sum, c) => sum + c.failed, 0);
    expect(throttled).toBeGreaterThan(100);
    // Answered: success, the rate limit's 429, or 503 with Retry-After — nothing else.
    expect(Object.keys(statuses).map(Number).filter((s) => ![200, 429, 503].includes(s))).toEqual([]);
    expect(retryAfterMissing).toBe(0);
    expect(statuses[200] ?? 0).toBeGreaterThan(0);
    expect(statuses[200] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(slowest).toBeLessThan(30_000);

    let charged = 0;
    let records = 0;
    let cursor: string | undefined;
    do {
      const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, keyId: caller.id, limit: 200, cursor });
      for (const r of page.items) charged += r.credits ?? 0;
      records += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(records).toBe((statuses[200] ?? 0) + (statuses[429] ?? 0));
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
  });
});
