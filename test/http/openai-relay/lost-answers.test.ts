/**
 * Issue 23 point 4, from the outside: the whole stack on an external store (DYNAMODB_ENDPOINT, a
 * real dynalite behind the fault proxy), which lets every write land and drops the answer of 1
 * in 10 — the writes the shipped transport then retries, as the SDK does. After 1,000 model calls
 * the account's balance went down by exactly what the usage records say was charged.
 */
import { describe, expect, it } from 'vitest';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { balance, createKey, credits, setBalance } from './stack-helpers';

const CALLS = 1000;
const env = useStackOnFaultyStore();

describe('answers lost after the write landed', { timeout: 180_000 }, () => {
  it(`${CALLS} model calls with 1 write answer in 10 dropped: the balance and the usage records agree to the credit`, async () => {
    const { stack, proxy } = env();
    const caller = await createKey(stack, { name: 'lost answers', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    const writes = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem']);
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 10 === 0 ? 'drop-answer' : 'forward'));
    const { statuses } = await modelCalls(stack, caller.key, CALLS, 16);
    proxy.setPolicy(() => 'forward');
    const dropped = Object.values(proxy.counts).reduce((sum, c) => sum + c.dropped, 0);
    expect(dropped).toBeGreaterThanOrEqual(100);
    const ok = statuses[200] ?? 0;
    expect(ok).toBeGreaterThan(CALLS * 0.9);
    const { records, charged } = await usageOf(stack, caller.id);
    // Every answered call is a usage record (a call refused before its key was known is none).
    expect(records, JSON.stringify(statuses)).toBeGreaterThanOrEqual(ok);
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
  });

  it('an operator’s grant and withdrawal whose answers were lost after they landed move the balance once each', async () => {
    const { stack, proxy } = env();
    await setBalance(stack, 1_000);
    const adjustments = (body: string) => body.includes('credits = credits + :d');
    for (const delta of [100, -30]) {
      let dropped = 0;
      // The first answer of the adjustment is lost; the SDK sends it again, as it does after a reset.
      proxy.setPolicy((target, body) => (target === 'UpdateItem' && adjustments(body) && dropped++ === 0 ? 'drop-answer' : 'forward'));
      const before = await balance(stack);
      const out = await stack.services.operator.adjustCredits(stack.bootstrap.accountId, delta);
      proxy.setPolicy(() => 'forward');
      expect(dropped).toBeGreaterThanOrEqual(2);
      expect(out).toBe(credits(before + delta));
      expect(await balance(stack)).toBe(credits(before + delta));
    }
  });

  it('a person’s one-time audit record whose answer was lost is its own put landing, not a replay; a true replay is still refused', async () => {
    const { stack, proxy } = env();
    const record = { id: 'aud_lostanswer', at: new Date().toISOString(), projectId: stack.bootstrap.projectId, action: 'key.rotate', outcome: 'success' as const, actor: 'slack:T1:U1' };
    let dropped = 0;
    proxy.setPolicy((target, body) => (target === 'PutItem' && body.includes('aud_lostanswer') && dropped++ === 0 ? 'drop-answer' : 'forward'));
    const first = await stack.services.store.putAudit(record, { unique: true });
    proxy.setPolicy(() => 'forward');
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(first).toBe(true);
    expect(await stack.services.store.putAudit(record, { unique: true })).toBe(false);
    const listed = await stack.services.store.queryAudit({ projectId: stack.bootstrap.projectId, limit: 100 });
    const mine = listed.items.filter((r) => r.id === 'aud_lostanswer');
    expect(mine).toHaveLength(1);
    expect(Object.keys(mine[0]!)).not.toContain('wr');
  });

  it('a one-time claim whose answer was lost is this claim landing; a second claim of the nonce is still refused', async () => {
    const { stack, proxy } = env();
    let dropped = 0;
    proxy.setPolicy((target, body) => (target === 'PutItem' && body.includes('lost-answer-nonce') && dropped++ === 0 ? 'drop-answer' : 'forward'));
    const first = await stack.services.store.claimNonce('lost-answer-nonce', Date.now() + 60_000);
    proxy.setPolicy(() => 'forward');
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(first).toBe(true);
    expect(await stack.services.store.claimNonce('lost-answer-nonce', Date.now() + 60_000)).toBe(false);
  });

  it('a console sign-in link whose spend lost its answer signs in this once (not "already used"); spent, it stays spent', async () => {
    const { stack, proxy } = env();
    const now = Date.now();
    const link = { kind: 'link' as const, hash: 'lost-answer-link', projectId: stack.bootstrap.projectId, keyId: 'key_x', issuedBy: 'cli:test', createdAt: now, expiresAt: now + 600_000 };
    let lost = 0;
    proxy.setPolicy((target, body) => (body.includes('lost-answer-link') && (target === 'PutItem' || target === 'UpdateItem') && lost++ % 2 === 0 ? 'drop-answer' : 'forward'));
    expect(await stack.services.store.putConsoleGrant(link)).toBe(true);
    const spent = await stack.services.store.spendConsoleLink('lost-answer-link', now + 1);
    proxy.setPolicy(() => 'forward');
    expect(lost).toBeGreaterThanOrEqual(4);
    expect(spent).toMatchObject({ hash: 'lost-answer-link', usedAt: now + 1 });
    expect(Object.keys(spent!)).not.toContain('wr');
    expect(await stack.services.store.spendConsoleLink('lost-answer-link', now + 2)).toBeUndefined();
  });
});
