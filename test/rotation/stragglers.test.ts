import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * Issue 25 point 4: during a rotation's overlap, the straggler report names who still calls with
 * the old key (address, user agent, route, count, last seen: from the usage records), and
 * `revokeWhenIdle` ends the old key once it has had no call for that long, before the overlap
 * does — checked by the daily job (the same run as the scheduled rotations), on the test clock.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const MIN = 60_000;
const run = () => keyRotationSchedule(stack.services).run();
const works = async (key: string) => (await stack.json('/v1/models', { key })).status;

async function created(name: string) {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, scopes: ['models:read', 'keys:read'] } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

describe('stragglers of a rotation', { timeout: 60_000 }, () => {
  it('names the caller still on the old key (address, user agent, route, count, last seen), from the old or the new key id', async () => {
    const old = await created('nightly-export');
    // Before the rotation: not a straggler.
    await stack.json('/v1/models', { key: old.key, headers: { 'user-agent': 'before-rotation/1.0' } });
    const rotated = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: { overlap: '1h' } });
    expect(rotated.status).toBe(201);
    stack.clock.advance(1000);
    for (let i = 0; i < 3; i++) expect((await stack.json('/v1/models', { key: old.key, headers: { 'user-agent': 'legacy-cron/2.0' } })).status).toBe(200);
    await stack.json('/v1/models', { key: rotated.body.key, headers: { 'user-agent': 'migrated/3.0' } });
    await stack.idle();

    for (const id of [old.id, rotated.body.id]) {
      const report = await stack.json(`/v1/keys/${id}/stragglers`, { key: stack.adminKey });
      expect(report.status, JSON.stringify(report.body)).toBe(200);
      expect(report.body).toMatchObject({ object: 'key.stragglers', keyId: old.id, replacedBy: rotated.body.id, since: rotated.body.createdAt, complete: true });
      expect(report.body.callers).toEqual([
        { sourceIp: expect.any(String), userAgent: 'legacy-cron/2.0', route: 'GET /v1/models', count: 3, lastSeen: expect.any(String) },
      ]);
    }
    // A key never rotated has none.
    const plain = await created('plain');
    const none = await stack.json(`/v1/keys/${plain.id}/stragglers`, { key: stack.adminKey });
    expect(none.body).toMatchObject({ keyId: plain.id, replacedBy: null, since: null, callers: [] });
  });

  it('revokeWhenIdle: the old key ends once idle that long, before its overlap; a call in between keeps it', async () => {
    const old = await created('webhook-relay');
    const refused = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: { revokeWhenIdle: '30m' } });
    expect(refused.status).toBe(400);
    const rotated = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: { overlap: '2h', revokeWhenIdle: '30m' } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);

    stack.clock.advance(20 * MIN);
    expect(await works(old.key)).toBe(200);
    await stack.idle();
    stack.clock.advance(20 * MIN);
    // 20 minutes since its last call: not idle long enough.
    expect((await run()).revokedIdle).toBe(0);
    expect(await works(old.key)).toBe(200);
    await stack.idle();

    stack.clock.advance(31 * MIN);
    expect((await run()).revokedIdle).toBe(1);
    const after = await stack.json(`/v1/keys/${old.id}`, { key: stack.adminKey });
    expect(after.body.status).toBe('revoked');
    // The overlap had most of an hour left; the old key stopped anyway, the new one works.
    expect(Date.parse(after.body.graceUntil)).toBeGreaterThan(stack.clock.now());
    expect(await works(old.key)).toBe(401);
    expect(await works(rotated.body.key)).toBe(200);
    expect((await run()).revokedIdle).toBe(0);
  });
});
