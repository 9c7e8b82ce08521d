import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import type { Principal } from '../../lambdas/core/principal';
import { expectApiError } from '../support/api-error';
import { captureOutput } from '../support/capture';
import { startTestStack, type TestStack } from '../support/local-stack';
import { storedItems } from '../support/stored-items';

/**
 * Issue 25 point 2, `deliverTo: {owner}`, through the HTTP API against dynalite: a key due for
 * rotation is rotated by the job and its new value held sealed for the owner; only a bot acting
 * for the owner collects it, once (anyone else 403 and audited, a second claim 409); the value is
 * never in a stored item, an event, the audit, a log line or the listing. Not collected within a
 * day, the rotation is undone: the old key works on, the replacement is revoked, the admins are
 * told (`key.rotation_failed`, the key's last failure). An owner the project does not know is
 * refused before anything is rotated.
 */
const DAY = 86_400_000;
const OWNER = 'slack:T1:UOWNER';
const OTHER_ADMIN = 'slack:T1:UADMIN2';
let stack: TestStack;
let botKey: string;
let botKeyId: string;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: `${OWNER},${OTHER_ADMIN}` });
  botKey = stack.secrets.botViewerKeys!.slack;
  botKeyId = (await stack.json('/v1/me', { key: botKey })).body.id;
});
afterAll(async () => stack?.stop());

const as = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: botKeyId }, stack.clock.now()) });
const run = () => keyRotationSchedule(stack.services).run();
const works = async (key: string) => (await stack.json('/v1/models', { key })).status;
const claim = (keyId: string, headers: Record<string, string> = {}, key = botKey) => stack.json(`/v1/keys/${keyId}/rotation-delivery/claim`, { key, method: 'POST', headers });
const operator: () => Principal = () => ({ kind: 'operator', actor: 'cli:test', projectId: stack.bootstrap.projectId });

async function createOwned(name: string, owner = OWNER) {
  const res = await stack.json('/v1/keys', {
    key: stack.adminKey,
    body: { name, scopes: ['models:read'], expiresIn: '365d', rotation: { every: '1d', overlap: '1h', deliverTo: { owner } } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string };
}

async function events(keyId: string, type: string) {
  const page = await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200 });
  return page.items.filter((e) => e.event.type === type && e.event.data.key?.id === keyId);
}

describe('scheduled rotation delivered to the key’s chat owner', { timeout: 60_000 }, () => {
  it('rotated by the job, held for the owner, collected once by the owner alone; the value nowhere else', async () => {
    const old = await createOwned('owned sync');
    stack.clock.advance(DAY + 60_000);
    const logs = captureOutput({ loggers: [stack.services.logger] });
    let report;
    try {
      report = await run();
    } finally {
      logs.stop();
    }
    expect(report).toMatchObject({ rotated: 1, undelivered: 0 });
    expect(logs.text()).toContain('key rotation schedule: rotated');
    const oldNow = (await stack.json(`/v1/keys/${old.id}`, { key: stack.adminKey })).body;
    const replacement = oldNow.replacedBy as string;
    expect(replacement).toMatch(/^key_/);
    // The old key works through the owner's day and the overlap after it.
    expect(Date.parse(oldNow.graceUntil) - stack.clock.now()).toBeGreaterThanOrEqual(DAY + 3_600_000 - 1_000);
    expect(await works(old.key)).toBe(200);

    const listed = await stack.json('/v1/rotation-deliveries?status=pending', { key: botKey });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ object: 'rotation_delivery', keyId: replacement, replacedKeyId: old.id, owner: OWNER, status: 'pending' })]);

    // Not the bot alone, not an admin key, not another admin through the bot.
    expectApiError(await claim(replacement), 403, 'insufficient_permissions');
    expectApiError(await claim(replacement, {}, stack.adminKey), 403, 'insufficient_permissions');
    expectApiError(await claim(replacement, as(OTHER_ADMIN)), 403, 'insufficient_permissions');
    const got = await claim(replacement, as(OWNER));
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.headers.get('cache-control')).toBe('no-store');
    const value = got.body.key as string;
    expect(got.body.id).toBe(replacement);
    expect(await works(value)).toBe(200);
    expectApiError(await claim(replacement, as(OWNER)), 409, 'conflict');
    expect((await stack.json('/v1/rotation-deliveries?status=pending', { key: botKey })).body.data).toEqual([]);

    const audit = await stack.services.audit.query(operator(), { keyId: replacement });
    const claims = audit.items.filter((r) => r.action === 'key.rotation_delivery.claim').map((r) => [r.actor, r.outcome]);
    expect(claims).toEqual(expect.arrayContaining([[OTHER_ADMIN, 'denied'], [OWNER, 'success'], [OWNER, 'denied'], [`key:${botKeyId}`, 'denied']]));
    const everything = JSON.stringify([await storedItems(stack.services), audit.items, await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200 }), listed.body, logs.text()]);
    expect(everything.includes(value)).toBe(false);
  });

  it('not collected within a day: the rotation undone, the old key working, the replacement revoked, the admins told', async () => {
    const old = await createOwned('never collected');
    stack.clock.advance(DAY + 60_000);
    await run();
    const replacement = (await stack.json(`/v1/keys/${old.id}`, { key: stack.adminKey })).body.replacedBy as string;
    expect(replacement).toMatch(/^key_/);
    stack.clock.advance(DAY);
    const report = await run();
    expect(report.undelivered).toBeGreaterThanOrEqual(1);
    expect(await works(old.key)).toBe(200);
    const kept = (await stack.json(`/v1/keys/${old.id}`, { key: stack.adminKey })).body;
    expect(kept.status).toBe('active');
    expect(kept.replacedBy ?? null).toBeNull();
    expect(kept.rotation.lastFailure.reason).toContain(`${OWNER} did not collect the new value`);
    expect((await stack.json(`/v1/keys/${replacement}`, { key: stack.adminKey })).body.status).toBe('revoked');
    const failed = await events(old.id, 'key.rotation_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.event.data.details).toMatchObject({ targetKind: 'owner', target: OWNER, stage: 'delivery', replacement, oldKeyKept: true });
    // Too late to collect: the record is gone with its sealed value.
    expectApiError(await claim(replacement, as(OWNER)), 404, 'not_found');
    // A day later the job tries again (a new value held, a new notice owed).
    stack.clock.advance(DAY);
    expect((await run()).rotated).toBeGreaterThanOrEqual(1);
  });

  it('an owner the project does not know, or a Teams owner without a 1:1 chat: nothing rotated, the failure recorded', async () => {
    for (const [owner, why] of [
      ['slack:T1:UNOBODY', 'is not an admin of this project, nor a person its bots have met'],
      ['teams:tenant1:aad-owner', 'the Teams bot has no 1:1 chat with'],
    ] as const) {
      const key = await createOwned(`unknown ${owner}`, owner);
      stack.clock.advance(DAY + 60_000);
      await run();
      const got = (await stack.json(`/v1/keys/${key.id}`, { key: stack.adminKey })).body;
      expect(got.replacedBy ?? null).toBeNull();
      expect(got.rotation.lastFailure.reason).toContain('private delivery to a chat owner is not available');
      expect(got.rotation.lastFailure.reason).toContain(why);
    }
  });

  it('the routes: an id that is not one is 400; another project cannot reach a held value; a viewer key lists', async () => {
    expectApiError(await stack.json('/v1/keys/not-an-id/rotation-delivery/claim', { key: botKey, method: 'POST', headers: as(OWNER) }), 400, 'invalid_request_error');
    expectApiError(await claim('key_0000000000000000000000', as(OWNER)), 404, 'not_found');
    expectApiError(await stack.json('/v1/rotation-deliveries?status=nope', { key: botKey }), 400, 'invalid_request_error');
  });
});
