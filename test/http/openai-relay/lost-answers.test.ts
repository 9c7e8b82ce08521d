/**
 * Issue 23 point 4, from the outside: the whole stack on an external store (DYNAMODB_ENDPOINT, a
 * real dynalite behind the fault proxy), which lets every write land and drops the answer of 1
 * in 10 — the writes the shipped transport then retries, as the SDK does. After 1,000 model calls
 * the account's balance went down by exactly what the usage records say was charged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, startDynalite } from '../../support/dynalite';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance } from './stack-helpers';
import { startStandInUpstream, type StandInUpstream } from './stand-in-upstream';

const CALLS = 1000;
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

describe('answers lost after the write landed', { timeout: 180_000 }, () => {
  it(`${CALLS} model calls with 1 write answer in 10 dropped: the balance and the usage records agree to the credit`, async () => {
    const caller = await createKey(stack, { name: 'lost answers', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    await setBalance(stack, 10_000);
    const before = await balance(stack);
    const writes = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem']);
    proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 10 === 0 ? 'drop-answer' : 'forward'));
    let ok = 0;
    let other = 0;
    const jobs = Array.from({ length: CALLS }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = jobs.shift(); i !== undefined; i = jobs.shift()) {
          const res = await fetch(`${stack.url}/v1/responses`, {
            method: 'POST',
            headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'archibot', input: `call ${i}` }),
          });
          await res.text();
          if (res.status === 200) ok++;
          else other++;
        }
      }),
    );
    await stack.idle();
    proxy.setPolicy(() => 'forward');
    const dropped = Object.values(proxy.counts).reduce((sum, c) => sum + c.dropped, 0);
    expect(dropped).toBeGreaterThanOrEqual(100);
    expect(ok).toBeGreaterThan(CALLS * 0.9);

    // Every usage record of the project, read directly.
    let charged = 0;
    let records = 0;
    let cursor: string | undefined;
    do {
      const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, keyId: caller.id, limit: 200, cursor });
      for (const r of page.items) charged += r.credits ?? 0;
      records += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    // Every answered call is a usage record (a call refused before its key was known is none).
    expect(records, `${ok} answered 200, ${other} otherwise`).toBeGreaterThanOrEqual(ok);
    expect(credits(before - (await balance(stack)))).toBe(credits(charged));
  });
});
