/**
 * Leased credits (issue 23 point 1) from the outside, with answers lost: the whole stack on an
 * external store (a real dynalite behind the fault proxy) that lets every write land and drops
 * the answer of 1 in 10. Several keys of one account take leases, spend them, and give them back
 * when the sweep finds them idle, round after round — every lease write among the dropped ones.
 * After it all, the balance (`/v1/me` and the store's view alike) went down by exactly what the
 * usage records charged, and with every lease back, the account's unleased credits say the same.
 */
import { describe, expect, it } from 'vitest';
import { itemKey } from '../../../lambdas/adapters/store/table';
import { modelCalls, usageOf, useStackOnFaultyStore } from './faulty-store';
import { balance, createKey, credits, revokeKey, setBalance } from './stack-helpers';

const env = useStackOnFaultyStore();

describe('leased credits with answers lost', { timeout: 180_000 }, () => {
  it('4 keys, 4 rounds of lease, spend and return with 1 write answer in 10 dropped: the balance and the usage records agree to the credit', async () => {
    const { stack, proxy } = env();
    const keys = await Promise.all(
      Array.from({ length: 4 }, (_, i) => createKey(stack, { name: `leasing ${i}`, type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } })),
    );
    await setBalance(stack, 60);
    const before = await balance(stack);
    const writes = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem', 'DeleteItem']);
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 10 === 0 ? 'drop-answer' : 'forward'));
    let ok = 0;
    const statuses: string[] = [];
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(keys.map((k) => modelCalls(stack, k.key, 40, 4)));
      ok += results.reduce((sum, r) => sum + (r.statuses[200] ?? 0), 0);
      statuses.push(...results.map((r) => JSON.stringify(r.statuses)));
      // Shown exact while the leases are out.
      const { charged } = await spent(keys.map((k) => k.id));
      expect(credits(before - (await balance(stack)))).toBe(credits(charged));
      // Idle past IDLE_LEASE_MS: the sweep gives every lease back (its writes among the dropped too).
      stack.clock.advance(11 * 60_000);
      await stack.services.eventSweep.run();
    }
    // A revoked key's lease goes back at once.
    await modelCalls(stack, keys[0]!.key, 10, 2);
    await revokeKey(stack, keys[0]!.id);
    proxy.setPolicy(() => 'forward');
    const dropped = Object.values(proxy.counts).reduce((sum, c) => sum + c.dropped, 0);
    expect(dropped).toBeGreaterThanOrEqual(60);
    console.log(`statuses: ${statuses.join(" ")}`);
    expect(ok, statuses.join(" ")).toBeGreaterThan(4 * 4 * 40 * 0.9);
    const { records, charged } = await spent(keys.map((k) => k.id));
    expect(records).toBeGreaterThanOrEqual(ok);
    const shown = await balance(stack);
    expect(credits(before - shown)).toBe(credits(charged));
    const me = await stack.json<{ account: { credits: number } }>('/v1/me', { key: keys[1]!.key });
    expect(me.body.account.credits).toBe(shown);
    // Once every lease is back, the account's own credits are the whole balance.
    stack.clock.advance(11 * 60_000);
    await stack.services.eventSweep.run();
    const item = await stack.services.store.getAccount(stack.bootstrap.accountId);
    expect(item?.credits).toBe(shown);
    const raw = await rawCredits(stack, stack.bootstrap.accountId);
    expect(raw).toBe(shown);
  });

  async function spent(ids: string[]): Promise<{ records: number; charged: number }> {
    const { stack } = env();
    let records = 0;
    let charged = 0;
    for (const id of ids) {
      const used = await usageOf(stack, id);
      records += used.records;
      charged += used.charged;
    }
    return { records, charged };
  }
});

/** The account item's own `credits` (unleased), read directly. */
async function rawCredits(stack: ReturnType<ReturnType<typeof useStackOnFaultyStore>>['stack'], accountId: string): Promise<number> {
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const doc = DynamoDBDocumentClient.from(stack.services.dynamo);
  const out = await doc.send(new GetCommand({ TableName: stack.services.config.tableName, Key: itemKey.account(accountId), ConsistentRead: true }));
  return Number(out.Item?.credits);
}
