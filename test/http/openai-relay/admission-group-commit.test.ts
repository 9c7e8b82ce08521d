/**
 * Issue 23 point 2: a busy key's admissions group-commit (store/key-admission.ts). While a key's
 * lanes are all in flight, the calls that arrive share the next write — so one key item carries
 * far more calls than writes, and every limit stays exact: the rate-limit window admits exactly
 * its limit however many calls race for it, with or without the store's answers being lost.
 * The whole stack on an external store behind the fault proxy, which counts the writes it sees.
 */
import { describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/local-stack';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { credits, setBalance } from './stack-helpers';

const env = useStackOnFaultyStore();

/** `calls` GET /v1/models with `key`, `concurrency` at a time: the statuses. */
async function listModels(stack: TestStack, key: string, calls: number, concurrency: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let left = calls;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const res = await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30_000) });
        await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

/** Counts the admission writes on key `id`'s item while `run` runs (the proxy sees each request). */
async function keyWrites<T>(env: ReturnType<typeof useStackOnFaultyStore>, id: string, drop: boolean, run: () => Promise<T>): Promise<{ result: T; writes: number }> {
  const { proxy } = env();
  let writes = 0;
  proxy.setPolicy((target, body, n) => {
    if (target !== 'UpdateItem' || !body.includes(`"KEY#${id}"`)) return 'forward';
    writes++;
    return drop && n % 8 === 0 ? 'drop-answer' : 'forward';
  });
  try {
    return { result: await run(), writes };
  } finally {
    proxy.setPolicy(() => 'forward');
  }
}

describe('admissions of one busy key, group-committed', { timeout: 180_000 }, () => {
  it('300 calls at 64 at once on a 100-a-minute key: exactly 100 admitted, in far fewer writes than calls', async () => {
    const { stack } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'busy', type: 'viewer', rateLimit: { limit: 100, windowSeconds: 60 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { result: statuses, writes } = await keyWrites(env, created.body.id, false, () => listModels(stack, created.body.key, 300, 64));
    expect(statuses).toEqual({ 200: 100, 429: 200 });
    // Alone, each call is a write (and a refused one a write too): 300. Shared, far fewer.
    expect(writes).toBeLessThan(150);
  });

  it('calls beyond a full window cost reads, not writes; a revoke, a raised limit each show on the very next call', async () => {
    const { stack, proxy } = env();
    const make = async (name: string) => {
      const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer', rateLimit: { limit: 10, windowSeconds: 3600 } } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body as { id: string; key: string };
    };
    const reads = { n: 0 };
    const one = async (key: string) => (await stack.json('/v1/models', { key })).status;
    for (const [k, key] of [await make('flooded'), await make('raised')].entries()) {
      expect(await one(key.key)).toBe(200);
      // Warm: each admission is one write.
      const { result: filled, writes: admissions } = await keyWrites(env, key.id, false, async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 9; i++) statuses.push(await one(key.key));
        return statuses;
      });
      expect(filled).toEqual(Array.from({ length: 9 }, () => 200));
      expect(admissions).toBe(9);
      let writes = 0;
      reads.n = 0;
      proxy.setPolicy((target, body) => {
        if (body.includes(`"KEY#${key.id}"`) && target === 'GetItem') reads.n++;
        if (body.includes(`"KEY#${key.id}"`) && target === 'UpdateItem') writes++;
        return 'forward';
      });
      const refused: number[] = [];
      try {
        for (let i = 0; i < 20; i++) refused.push(await one(key.key));
        refused.push(...(await Promise.all(Array.from({ length: 20 }, () => one(key.key)))));
      } finally {
        proxy.setPolicy(() => 'forward');
      }
      expect(refused).toEqual(Array.from({ length: 40 }, () => 429));
      // Not one write for the 40 refused calls: each was decided by a consistent read of the key item.
      expect(writes).toBe(0);
      expect(reads.n).toBeGreaterThanOrEqual(20);
      if (k === 0) {
        expect((await stack.json(`/v1/keys/${key.id}/revoke`, { key: stack.adminKey, body: {} })).status).toBe(200);
        expect(await one(key.key)).toBe(401);
      } else {
        const raised = await stack.json(`/v1/keys/${key.id}`, { method: 'PATCH', key: stack.adminKey, body: { rateLimit: { limit: 11, windowSeconds: 3600 } } });
        expect(raised.status, JSON.stringify(raised.body)).toBe(200);
        expect(await one(key.key)).toBe(200);
        expect(await one(key.key)).toBe(429);
      }
    }
  });

  it('with 1 write answer in 8 lost after it landed: still no more than the limit, each admission counted once', async () => {
    const { stack } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'busy lossy', type: 'viewer', rateLimit: { limit: 100, windowSeconds: 60 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { result: statuses } = await keyWrites(env, created.body.id, true, () => listModels(stack, created.body.key, 300, 64));
    const { 200: ok = 0, 429: limited = 0, 503: unavailable = 0, ...other } = statuses;
    expect(other, JSON.stringify(statuses)).toEqual({});
    expect(ok + limited + unavailable).toBe(300);
    expect(ok, JSON.stringify(statuses)).toBeLessThanOrEqual(100);
    expect(ok, JSON.stringify(statuses)).toBeGreaterThanOrEqual(100 - unavailable);
    // The window is full, as counted: the next call is refused.
    const after = await stack.json('/v1/models', { key: created.body.key });
    expect(after.status).toBe(429);
  });

  it('model calls of a budgeted key at 32 at once: the budget spent is what the usage records charged', async () => {
    const { stack } = env();
    await setBalance(stack, 10_000);
    const created = await stack.json('/v1/keys', {
      key: stack.adminKey,
      body: { name: 'busy budget', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 }, budget: { credits: 5000, period: 'month' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { result, writes } = await keyWrites(env, created.body.id, true, () => modelCalls(stack, created.body.key, 200, 32));
    expect(result.statuses[200] ?? 0, JSON.stringify(result.statuses)).toBeGreaterThan(190);
    const { charged } = await usageOf(stack, created.body.id);
    const key = await stack.json(`/v1/keys/${created.body.id}`, { key: stack.adminKey });
    expect(credits(key.body.budget.spent)).toBe(credits(charged));
    // Admission and release are a write each alone (400); shared, fewer.
    expect(writes).toBeLessThan(400);
  });
});
