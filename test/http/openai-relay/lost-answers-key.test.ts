/**
 * Issue 23 point 4, the key item's half: what a key's admission and release write (its rate-limit
 * window, its budget, its token window, its concurrency slots) is applied once when the store's
 * answer is lost after the write landed, as the account's money writes are (lost-answers.test.ts).
 * The whole stack on an external store behind the fault proxy, which drops the answer of 1 write
 * in 8; the shipped transport retries those, as the SDK does.
 */
import { describe, expect, it } from 'vitest';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { credits, setBalance } from './stack-helpers';

const env = useStackOnFaultyStore();
const writes = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem']);

describe('a key’s own writes, with answers lost after they landed', { timeout: 180_000 }, () => {
  it('a rate limit of 120 a minute admits exactly 120 of 200 calls', async () => {
    const { stack, proxy } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'rate', type: 'viewer', rateLimit: { limit: 120, windowSeconds: 60 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 8 === 0 ? 'drop-answer' : 'forward'));
    const { statuses } = await modelCalls(stack, created.body.key, 200, 8);
    proxy.setPolicy(() => 'forward');
    // Every call answered 200, 429, or (a store that kept failing) 503 + Retry-After; the window
    // counted each admission once: 120 answered, or fewer only by calls that failed after theirs.
    const { 200: ok = 0, 429: limited = 0, 503: unavailable = 0, ...other } = statuses;
    expect(other, JSON.stringify(statuses)).toEqual({});
    expect(ok + limited + unavailable).toBe(200);
    expect(ok, JSON.stringify(statuses)).toBeLessThanOrEqual(120);
    expect(ok, JSON.stringify(statuses)).toBeGreaterThanOrEqual(120 - unavailable);
    expect(unavailable, JSON.stringify(statuses)).toBeLessThanOrEqual(3);
  });

  it('a budget and a concurrency cap: spent is what the usage records charged, and no slot is left held', async () => {
    const { stack, proxy } = env();
    await setBalance(stack, 10_000);
    const created = await stack.json('/v1/keys', {
      key: stack.adminKey,
      body: { name: 'budget', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 }, budget: { credits: 5000, period: 'month' }, maxConcurrent: 8 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 8 === 0 ? 'drop-answer' : 'forward'));
    const { statuses } = await modelCalls(stack, created.body.key, 300, 4);
    proxy.setPolicy(() => 'forward');
    expect(statuses[200] ?? 0, JSON.stringify(statuses)).toBeGreaterThan(270);
    const { charged } = await usageOf(stack, created.body.id);
    const key = await stack.json(`/v1/keys/${created.body.id}`, { key: stack.adminKey });
    expect(credits(key.body.budget.spent)).toBe(credits(charged));
    const item = await stack.services.store.getKey(created.body.id);
    const held = Object.entries(item as object).filter(([name, lease]) => /^slot\d+$/.test(name) && lease !== undefined);
    expect(held).toEqual([]);
    // The writers' stamps are the store's own: never handed out with the key, by the store or the API.
    expect(Object.keys(item as object).filter((name) => name.startsWith('w_'))).toEqual([]);
    expect(Object.keys(key.body).filter((name) => name.startsWith('w_'))).toEqual([]);
  });

  it('calls that are not model calls: each counted once in its key’s day by its admission, as many as its usage records', async () => {
    const { stack, proxy } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'admitted days', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = created.body.key as string;
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 8 === 0 ? 'drop-answer' : 'forward'));
    const statuses: number[] = [];
    const jobs = Array.from({ length: 160 }, (_, i) => i);
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (jobs.pop() !== undefined) statuses.push((await stack.call('/v1/models', { key })).status);
    }));
    proxy.setPolicy(() => 'forward');
    await stack.idle();
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBeGreaterThan(150);
    const { records } = await usageOf(stack, created.body.id);
    // A 503 (a store that kept failing) admitted nothing and records nothing.
    expect(records).toBe(statuses.filter((s) => s !== 503).length);
    const day = await stack.json(`/v1/usage/daily?keyId=${created.body.id}&days=1`, { key: stack.adminKey });
    expect(day.body.data[0].requests).toBe(records);
  });

  it('calls its rate limit refused: each counted once in its key’s day item, whose ADD a lost answer would otherwise apply twice', async () => {
    const { stack, proxy } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'refused days', type: 'viewer', rateLimit: { limit: 20, windowSeconds: 3600 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = created.body.key as string;
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 4 === 0 ? 'drop-answer' : 'forward'));
    const statuses: number[] = [];
    const jobs = Array.from({ length: 160 }, (_, i) => i);
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (jobs.pop() !== undefined) statuses.push((await stack.call('/v1/models', { key })).status);
    }));
    await stack.idle();
    proxy.setPolicy(() => 'forward');
    expect(statuses.filter((s) => s === 429).length, JSON.stringify(statuses)).toBeGreaterThan(100);
    expect(proxy.counts.UpdateItem?.dropped ?? 0).toBeGreaterThan(10);
    const { records } = await usageOf(stack, created.body.id);
    expect(records).toBe(statuses.filter((s) => s !== 503).length);
    const day = await stack.json(`/v1/usage/daily?keyId=${created.body.id}&days=1`, { key: stack.adminKey });
    expect(day.body.data[0].requests).toBe(records);
  });
});
