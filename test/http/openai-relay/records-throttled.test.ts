/**
 * Records owed after the answer while the store will not take them (store/table-access.ts
 * `putOwed`): a usage record DynamoDB throttles is sent again until it lands, for as long as
 * RECORD_WAIT_MS allows, not dropped after a few tries; and a process holds at most
 * MAX_PENDING_RECORDS of them — past it, new calls are answered 503 with Retry-After before they
 * are admitted, until the records drain. The whole stack on a real dynalite behind the fault
 * proxy, which throttles every BatchWriteItem (the records' call) for a few seconds.
 */
import { describe, expect, it } from 'vitest';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { balance, createKey, credits, setBalance } from './stack-helpers';

const env = useStackOnFaultyStore({ MAX_PENDING_RECORDS: '40' });

/** Throttles every BatchWriteItem (the records) and every write of a day item for `ms` from now; every other request is forwarded. */
function recordsRefusedFor(proxy: ReturnType<typeof env>['proxy'], ms: number): void {
  const until = Date.now() + ms;
  proxy.setPolicy((target, body) => ((target.endsWith('BatchWriteItem') || (target.endsWith('UpdateItem') && body.includes('#USAGEDAY'))) && Date.now() < until ? 'throttle' : 'forward'));
}

describe('usage records the store will not take for a while', { timeout: 120_000 }, () => {
  it('are written once it takes them again: none lost, the money exact', async () => {
    const { stack, proxy } = env();
    const caller = await createKey(stack, { name: 'records held', type: 'viewer', rateLimit: { limit: 600, windowSeconds: 60 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    // Longer than a few tries' backoff (8 rounds: about 2.5 s), below MAX_PENDING_RECORDS: no back-pressure.
    recordsRefusedFor(proxy, 5_000);
    // Calls that are not model calls add to the key's day item (model calls count on the key's item).
    for (let i = 0; i < 6; i++) expect((await stack.call('/v1/models', { key: caller.key })).status).toBe(200);
    const { statuses } = await modelCalls(stack, caller.key, 12, 1);
    expect(statuses).toEqual({ 200: 12 });
    proxy.setPolicy(() => 'forward');
    const throttled = Object.values(proxy.counts).reduce((sum, c) => sum + c.failed, 0);
    expect(throttled).toBeGreaterThan(10);
    const { records, charged } = await usageOf(stack, caller.id);
    expect(records).toBe(18);
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
    const daily = await stack.json(`/v1/usage/daily?keyId=${caller.id}&days=1`, { key: stack.adminKey });
    expect(daily.body.data[0].requests).toBe(18);
  });

  it('past MAX_PENDING_RECORDS, calls are refused 503 + Retry-After before admission; every call answered otherwise has its record', async () => {
    const { stack, proxy } = env();
    const caller = await createKey(stack, { name: 'records backlog', type: 'viewer', rateLimit: { limit: 600, windowSeconds: 60 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    recordsRefusedFor(proxy, 3_000);
    const { statuses, retryAfterMissing, slowestMs } = await modelCalls(stack, caller.key, 300, 16);
    proxy.setPolicy(() => 'forward');
    expect(Object.keys(statuses).map(Number).filter((s) => ![200, 503].includes(s))).toEqual([]);
    expect(statuses[503] ?? 0).toBeGreaterThan(0);
    expect(retryAfterMissing).toBe(0);
    expect(slowestMs).toBeLessThan(30_000);
    const { records, charged } = await usageOf(stack, caller.id);
    // A call refused for the backlog was never admitted: no record, no charge.
    expect(records).toBe(statuses[200] ?? 0);
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
  });
});
