/**
 * Issue 23 point 5, bounded: the store throttles. The whole stack runs on an external store (a
 * real dynalite behind the fault proxy), which answers a share of the requests with DynamoDB's
 * throttling error without forwarding them. Every call is answered — its success, or 503 with
 * Retry-After — none hangs or fails with a 5xx of another kind, a key's rate limit is never
 * exceeded, and the balance went down by exactly what the usage records charged.
 */
import { describe, expect, it } from 'vitest';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { balance, createKey, credits, setBalance } from './stack-helpers';

const env = useStackOnFaultyStore();

describe('a throttled store', { timeout: 180_000 }, () => {
  it('400 calls with 2 requests in 5 throttled: each answered 200 or 503 + Retry-After in time, the rate limit held, the money exact', async () => {
    const { stack, proxy } = env();
    const LIMIT = 250;
    const caller = await createKey(stack, { name: 'throttled', type: 'viewer', rateLimit: { limit: LIMIT, windowSeconds: 3600 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    // A deterministic 40 %: requests 2 and 4 of every 5, reads and writes alike.
    proxy.setPolicy((_target, _body, n) => (n % 5 === 2 || n % 5 === 4 ? 'throttle' : 'forward'));
    const { statuses, slowestMs, retryAfterMissing } = await modelCalls(stack, caller.key, 400, 16);
    proxy.setPolicy(() => 'forward');
    const throttled = Object.values(proxy.counts).reduce((sum, c) => sum + c.failed, 0);
    expect(throttled).toBeGreaterThan(100);
    // Answered: success, the rate limit's 429, or 503 with Retry-After — nothing else.
    expect(Object.keys(statuses).map(Number).filter((s) => ![200, 429, 503].includes(s))).toEqual([]);
    expect(retryAfterMissing).toBe(0);
    expect(statuses[200] ?? 0).toBeGreaterThan(0);
    expect(statuses[200] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(slowestMs).toBeLessThan(30_000);
    const { records, charged } = await usageOf(stack, caller.id);
    expect(records).toBe((statuses[200] ?? 0) + (statuses[429] ?? 0));
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
  });
});
