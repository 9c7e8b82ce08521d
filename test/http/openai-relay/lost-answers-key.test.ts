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

  /**
   * 160 GET /v1/models of a new key (rate limit `limit` an hour), `concurrency` at a time, with the
   * answer of every `dropEvery`-th write lost after it landed: the key's day must count its usage
   * records, each once (a 503, a store that kept failing, admitted and recorded nothing).
   */
  async function daysUnderLostAnswers(name: string, limit: number, concurrency: number, dropEvery: number): Promise<number[]> {
    const { stack, proxy } = env();
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer', rateLimit: { limit, windowSeconds: 3600 } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = created.body.key as string;
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % dropEvery === 0 ? 'drop-answer' : 'forward'));
    const statuses: number[] = [];
    const jobs = Array.from({ length: 160 }, (_, i) => i);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (jobs.pop() !== undefined) statuses.push((await stack.call('/v1/models', { key })).status);
    }));
    await stack.idle();
    proxy.setPolicy(() => 'forward');
    const { records } = await usageOf(stack, created.body.id);
    expect(records).toBe(statuses.filter((s) => s !== 503).length);
    const day = await stack.json(`/v1/usage/daily?keyId=${created.body.id}&days=1`, { key: stack.adminKey });
    expect(day.body.data[0].requests).toBe(records);
    return statuses;
  }

  it('calls that are not model calls: each counted once in its key’s day by its admission, as many as its usage records', async () => {
    const statuses = await daysUnderLostAnswers('admitted days', 6000, 8, 8);
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBeGreaterThan(150);
  });

  it('calls its rate limit refused: each counted once in its key’s day item, whose ADD a lost answer would otherwise apply twice', async () => {
    const statuses = await daysUnderLostAnswers('refused days', 20, 4, 4);
    expect(statuses.filter((s) => s === 429).length, JSON.stringify(statuses)).toBeGreaterThan(100);
    expect(env().proxy.counts.UpdateItem?.dropped ?? 0).toBeGreaterThan(10);
  });

  it('an edit, a rotation and an exposure report whose answers were lost after they landed each answer as having landed', async () => {
    const { stack, proxy } = env();
    const made = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'edited', type: 'viewer' } });
    expect(made.status).toBe(201);
    const loseFirst = (marker: string) => {
      let dropped = 0;
      proxy.setPolicy((target, body) => (target === 'UpdateItem' && body.includes(marker) && dropped++ === 0 ? 'drop-answer' : 'forward'));
      return () => dropped;
    };
    // The SDK sends each write again after its answer was lost; the resend fails the write's own condition.
    let dropped = loseFirst(':next');
    const edit = await stack.json(`/v1/keys/${made.body.id}`, { key: stack.adminKey, method: 'PATCH', body: { name: 'edited, renamed' } });
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    expect(edit.body.name).toBe('edited, renamed');

    dropped = loseFirst('replacedBy');
    const rotated = await stack.json(`/v1/keys/${made.body.id}/rotate`, { key: stack.adminKey, body: {} });
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect((await stack.call('/v1/models', { key: rotated.body.key })).status).toBe(200);
    const old = await stack.json(`/v1/keys/${made.body.id}`, { key: stack.adminKey });
    expect(old.body.replacedBy).toBe(rotated.body.id);

    dropped = loseFirst('exposure');
    const reported = await stack.json(`/v1/keys/${rotated.body.id}/report-exposed`, { key: stack.adminKey, body: { location: 'a paste site' } });
    proxy.setPolicy(() => 'forward');
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(reported.status, JSON.stringify(reported.body)).toBeLessThan(300);
    expect((await stack.json(`/v1/keys/${rotated.body.id}`, { key: stack.adminKey })).body.exposure?.location).toBe('a paste site');
  });

  it('a key created while the answer of its put was lost is created once, and works', async () => {
    const { stack, proxy } = env();
    const before = (await stack.json('/v1/keys?limit=100', { key: stack.adminKey })).body.data.length as number;
    let dropped = 0;
    proxy.setPolicy((target, body) => (target === 'PutItem' && body.includes('created once') && body.includes('"hash"') && dropped++ === 0 ? 'drop-answer' : 'forward'));
    const made = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'created once', type: 'viewer' } });
    proxy.setPolicy(() => 'forward');
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await stack.call('/v1/models', { key: made.body.key })).status).toBe(200);
    const listed = (await stack.json('/v1/keys?limit=100', { key: stack.adminKey })).body.data as Array<{ name: string }>;
    expect(listed.filter((k) => k.name === 'created once')).toHaveLength(1);
    expect(listed.length).toBe(before + 1);
  });
});
