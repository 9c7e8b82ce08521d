import { afterAll, beforeAll } from 'vitest';
import { createTable, startDynalite } from '../../support/dynalite';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { startStandInUpstream, type StandInUpstream } from './stand-in-upstream';

/**
 * The whole stack on an external store (DYNAMODB_ENDPOINT): a real dynalite behind the fault
 * proxy, whose policy a test sets; a stand-in upstream on 127.0.0.1. Started before the file's
 * tests, stopped after.
 */
export function useStackOnFaultyStore(env: Record<string, string> = {}): () => { stack: TestStack; proxy: DynamoFaultProxy } {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let proxy: DynamoFaultProxy;
  let upstream: StandInUpstream;
  let stack: TestStack;
  beforeAll(async () => {
    db = await startDynalite();
    await createTable(db.endpoint, 'keywarden');
    proxy = await startDynamoFaultProxy({ upstream: db.endpoint });
    upstream = await startStandInUpstream();
    stack = await startTestStack({ DYNAMODB_ENDPOINT: proxy.endpoint, UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', ...env });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
    await proxy?.close();
    await db?.close();
  });
  return () => ({ stack, proxy });
}

/** `calls` model calls with `key`, `concurrency` at a time; each answer's status, and the slowest. */
export async function modelCalls(stack: TestStack, key: string, calls: number, concurrency: number): Promise<{ statuses: Record<number, number>; slowestMs: number; retryAfterMissing: number }> {
  const statuses: Record<number, number> = {};
  let slowestMs = 0;
  let retryAfterMissing = 0;
  const jobs = Array.from({ length: calls }, (_, i) => i);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = jobs.shift(); i !== undefined; i = jobs.shift()) {
        const started = performance.now();
        const res = await fetch(`${stack.url}/v1/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'archibot', input: `call ${i}` }),
          signal: AbortSignal.timeout(30_000),
        });
        await res.text();
        slowestMs = Math.max(slowestMs, performance.now() - started);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 503 && !(Number(res.headers.get('retry-after')) > 0)) retryAfterMissing++;
      }
    }),
  );
  await stack.idle();
  return { statuses, slowestMs, retryAfterMissing };
}

export { usageOf } from './stack-helpers';
