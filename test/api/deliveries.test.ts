import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { storedItems } from '../support/stored-items';

/** POST /v1/deliveries: the single-use claim bots take before acting on a platform request or sending a notice once. */
let stack: TestStack;
let viewerKey: string;

beforeAll(async () => {
  stack = await startTestStack();
  viewerKey = stack.secrets.botViewerKeys!.slack;
});
afterAll(async () => stack?.stop());

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

async function claimTtl(id: string): Promise<number> {
  const items = (await storedItems(stack.services)) as { pk?: { S?: string }; ttl?: { N?: string } }[];
  const item = items.find((i) => i.pk?.S === `NONCE#delivery:${stack.bootstrap.projectId}:${id}`);
  if (!item?.ttl?.N) throw new Error('no claim stored');
  return Number(item.ttl.N);
}

describe('POST /v1/deliveries', () => {
  it('claims once; a second claim of the same id is 409 conflict', async () => {
    const id = digest('delivery once');
    expect((await stack.json('/v1/deliveries', { key: viewerKey, body: { id } })).status).toBe(200);
    const again = await stack.json('/v1/deliveries', { key: viewerKey, body: { id } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('holds a claim 10 minutes by default, or keepForSeconds (a notice sent once per key and threshold)', async () => {
    const now = Math.floor(stack.clock.now() / 1000);
    const short = digest('default hold');
    await stack.json('/v1/deliveries', { key: viewerKey, body: { id: short } });
    expect(await claimTtl(short)).toBeGreaterThanOrEqual(now + 600);
    expect(await claimTtl(short)).toBeLessThan(now + 600 + 120);
    const long = digest('reminder: key, 14 days, admin');
    expect((await stack.json('/v1/deliveries', { key: viewerKey, body: { id: long, keepForSeconds: 30 * 86_400 } })).status).toBe(200);
    expect(await claimTtl(long)).toBeGreaterThanOrEqual(now + 30 * 86_400);
  });

  it('refuses a malformed id or hold with a 400, never a 5xx', async () => {
    for (const body of [{ id: 'x' }, { id: digest('a'), keepForSeconds: 10 }, { id: digest('b'), keepForSeconds: 365 * 86_400 }, { id: digest('c'), keepForSeconds: '60' }]) {
      const res = await stack.json('/v1/deliveries', { key: viewerKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
