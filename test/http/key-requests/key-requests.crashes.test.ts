import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/core/principal';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * What a writer that died half-way leaves behind, through the real store: an approval that took a
 * request and never recorded its key holds it 30 s at most; a slot whose request was never written
 * does not block its requester.
 */
let stack: TestStack;
let operator: Principal;

beforeAll(async () => {
  stack = await startTestStack();
  operator = { kind: 'operator', actor: 'cli:test', projectId: stack.bootstrap.projectId };
});
afterAll(async () => stack?.stop());

async function viewer(name: string) {
  const issued = await stack.services.keys.create(operator, { name, type: 'viewer' });
  return { secret: issued.secret, id: issued.key.id };
}

describe('key requests after a crash', () => {
  it('an approval that died after taking the request holds it for 30 s; then another approves, and the dead one can no longer record a key', async () => {
    const asker = await viewer('asker');
    const id = (await stack.json('/v1/key-requests', { key: asker.secret, body: { name: 'held', type: 'viewer', reason: 'r' } })).body.id as string;
    const now = stack.clock.now();
    expect(await stack.services.store.lockKeyRequest(id, 'dead-approval', now + 30_000, now)).toBe(true);
    const busy = await stack.json(`/v1/key-requests/${id}/approve`, { key: stack.adminKey, method: 'POST' });
    expectApiError(busy, 409, 'conflict');
    expect(busy.body.error.message).toContain('being approved');
    expectApiError(await stack.json(`/v1/key-requests/${id}/deny`, { key: stack.adminKey, body: { reason: 'no' } }), 409, 'conflict');
    stack.clock.advance(30_001);
    expect((await stack.json(`/v1/key-requests/${id}/approve`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
    const late = await stack.services.store.decideKeyRequest(id, {
      status: 'approved',
      holder: 'dead-approval',
      decidedBy: 'key:nobody',
      decidedAt: new Date().toISOString(),
      keyId: 'key_0000000000000000000000',
      keyStart: 'archie_0000',
      sealedKey: 'v1.x.y',
      claimUntil: stack.clock.now() + 1000,
    });
    expect(late).toBeUndefined();
    expect((await stack.services.store.getKeyRequest(id))?.decidedBy).toBe(`key:${stack.bootstrap.adminKeyId}`);
  });

  it('a slot whose request was never written (its writer died) does not keep its requester from asking', async () => {
    const asker = await viewer('unlucky');
    const slot = createHash('sha256').update(`key:${asker.id}\0orphan`).digest('base64url');
    const now = stack.clock.now();
    expect(await stack.services.store.takeKeyRequestSlot(stack.bootstrap.projectId, slot, 'kreq_0000000000000000', now + 7 * 86_400_000, now)).toBe(true);
    const asked = await stack.json('/v1/key-requests', { key: asker.secret, body: { name: 'Orphan', reason: 'r' } });
    expect(asked.status).toBe(201);
    expect((await stack.services.store.keyRequestSlot(stack.bootstrap.projectId, slot))?.requestId).toBe(asked.body.id);
    expectApiError(await stack.json('/v1/key-requests', { key: asker.secret, body: { name: 'orphan', reason: 'r' } }), 409, 'conflict');
  });
});
