import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beforeAnswer, countRoundTrips, type RoundTripCounter } from '../../../bench/round-trips';
import { utcDay } from '../../../lambdas/core/usage';
import type { UsageRecord } from '../../../lambdas/core/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * Issue 21 "aggregates, not scans": the 30-day chart of a key with 100,000 calls renders from at
 * most 31 reads. The calls are counted through the services' own counting path (UsageLog.count,
 * what every usage record's writing calls), in bursts as a busy gateway makes them, spread over
 * the last 30 days; the chart is then asked for over HTTP and every DynamoDB command counted
 * where it leaves the process (bench/round-trips.ts, the SDK and the hot path's transport alike).
 */
const CALLS = 100_000;
const BURST = 5_000;
const DAY = 86_400_000;
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

let stack: TestStack;
let counter: RoundTripCounter;
beforeAll(async () => {
  stack = await startTestStack();
  counter = countRoundTrips(stack.services);
});
afterAll(async () => stack?.stop());

describe('the 30-day chart of a key with 100,000 calls', () => {
  it('renders from ≤ 31 reads (one query for a key), its totals exact', { timeout: 60_000 }, async () => {
    const { id } = await createKey(stack, { name: 'busy' });
    const { projectId, accountId } = stack.bootstrap;
    const now = stack.clock.now();
    const dates = Array.from({ length: 30 }, (_, i) => utcDay(now - (29 - i) * DAY));
    // Expected per day, credits in millionths (integers: exact).
    const expected = new Map(dates.map((date) => [date, { requests: 0, tokens: 0, micro: 0 }]));
    const call = (i: number): UsageRecord => {
      const at = new Date(now - (i % 30) * DAY).toISOString();
      const tokens = 1 + (i % 97);
      const micro = 1 + ((i * 7919) % 4999);
      const day = expected.get(at.slice(0, 10))!;
      day.requests += 1;
      day.tokens += tokens;
      day.micro += micro;
      return {
        requestId: `req_busy${i}`,
        at,
        projectId,
        accountId,
        keyId: id,
        route: 'POST /v1/responses',
        status: 200,
        model: 'archibot',
        usage: { inputTokens: tokens - 1, outputTokens: 1, totalTokens: tokens },
        credits: micro / 1e6,
      };
    };
    counter.reset();
    for (let from = 0; from < CALLS; from += BURST) {
      // The key's days are summed into its account's (a key the store wrote: KeyRecord.accountDaysSummed).
      await Promise.all(Array.from({ length: BURST }, (_, j) => stack.services.usage.count(call(from + j), { summed: true })));
    }
    // Group commit: a burst on one day's item shares writes (1 item per call: the key's day; the account's is summed from it).
    const writes = counter.commands.filter((c) => c === 'UpdateItem').length;
    expect(writes).toBeGreaterThanOrEqual(CALLS / BURST);
    expect(writes).toBeLessThan(CALLS / 10);

    counter.reset();
    const res = await stack.json(`/v1/usage/daily?keyId=${id}&days=30`, { key: stack.adminKey });
    expect(res.status).toBe(200);
    // Before the answer: the key's admission, then the asked key, its days and the days its item
    // still counts (model calls' settlements count there: store/usage-days.ts) side by side.
    const answered = beforeAnswer(counter);
    await stack.idle();
    const reads = counter.commands.filter((c) => READS.has(c));
    expect(reads.length, counter.commands.join(', ')).toBeLessThanOrEqual(31);
    expect(reads.filter((c) => c === 'Query')).toHaveLength(1);
    expect(answered, counter.commands.join(', ')).toBeLessThanOrEqual(4);

    expect(res.body.data).toEqual(
      dates.map((date) => {
        const day = expected.get(date)!;
        return { date, requests: day.requests, tokens: day.tokens, credits: day.micro / 1e6 };
      }),
    );
    const total = (pick: (d: { requests: number }) => number) => res.body.data.reduce((s: number, d: { requests: number }) => s + pick(d), 0);
    expect(total((d) => d.requests)).toBe(CALLS);

    // The account's chart alike: the same 100,000 calls (and the reads made since, today), from its
    // own days, its keys' days (one query of gsi2), its projects and their keys (one query each) and
    // the days its keys' items still count (one batch) — whatever the traffic.
    await stack.idle();
    const projects = (await stack.services.store.listProjects(accountId)).length;
    expect(projects).toBe(1);
    counter.reset();
    const account = await stack.json('/v1/usage/daily?days=30', { key: stack.adminKey });
    expect(counter.commands.filter((c) => READS.has(c)).length).toBeLessThanOrEqual(31);
    expect(counter.commands.filter((c) => c === 'Query')).toHaveLength(3 + projects);
    expect(counter.commands.filter((c) => c === 'BatchGetItem')).toHaveLength(1);
    expect(account.body.data.slice(0, 29).map((d: { requests: number }) => d.requests)).toEqual(dates.slice(0, 29).map((date) => expected.get(date)!.requests));
    expect(account.body.data[29].requests).toBeGreaterThan(expected.get(dates[29]!)!.requests);
  });
});
