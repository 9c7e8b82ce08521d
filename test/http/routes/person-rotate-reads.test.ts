import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * A bot's rotate for a person reads the key, the person's admin entry and the account (its policy)
 * in one BatchGetItem, and its admins/check reads the admin entry with the search's keys: each
 * still as it stands at that moment — a policy set, or an admin removed, just before counts.
 */
let stack: TestStack;
let viewerKey: string;
let viewerId: string;
const ADMIN = 'slack:T1:UREADS';

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
  viewerKey = stack.secrets.botViewerKeys!.slack;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
});
afterAll(async () => stack?.stop());

const asPerson = (sub: string) => ({
  [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: viewerId }),
});
const issue = async (name: string) => (await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer' } })).body;
const rotate = (id: string, sub = ADMIN) => stack.json(`/v1/keys/${id}/rotate`, { key: viewerKey, body: {}, headers: asPerson(sub) });

describe('a person\'s rotate: key, admin entry and account policy read together, each as it stands', () => {
  it('an account policy set just before is applied to the replacement', async () => {
    const target = await issue('policy read with the key');
    const lifetime = 2 * 3_600;
    await stack.services.operator.setAccountPolicy(stack.bootstrap.accountId, { maxKeyLifetimeSeconds: lifetime }, 'cli:test');
    try {
      const res = await rotate(target.id);
      expect(res.status).toBe(201);
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + lifetime * 1000);
    } finally {
      await stack.services.operator.setAccountPolicy(stack.bootstrap.accountId, null, 'cli:test');
    }
  });

  it('an admin removed just before is refused, and the key is left as it was', async () => {
    const demoted = 'slack:T1:UDEMOTED';
    await stack.services.operator.addAdmin(stack.bootstrap.projectId, demoted, 'cli:test');
    const target = await issue('rotate by a demoted admin');
    const asked = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.rotate', search: 'rotate by a demoted' }, headers: asPerson(demoted) });
    expect(asked.body).toMatchObject({ admin: true, matches: [{ id: target.id }] });
    await stack.services.operator.removeAdmin(stack.bootstrap.projectId, demoted, 'cli:test');
    const again = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.rotate', search: 'rotate by a demoted' }, headers: asPerson(demoted) });
    expect(again.body).toEqual({ identity: demoted, admin: false });
    const res = await rotate(target.id, demoted);
    expect(res.status).toBe(403);
    const after = await stack.json(`/v1/keys/${target.id}`, { key: stack.adminKey });
    expect(after.body.status).toBe('active');
  });

  it('a rotation by an admin goes through, once', async () => {
    const target = await issue('rotated once by an admin');
    const first = await rotate(target.id);
    expect(first.status).toBe(201);
    expect((await rotate(target.id)).status).toBe(409);
  });
});

describe('admins/check with a search: the admin entry read with the keys', () => {
  it('answers for an admin and a stranger alike when nothing matches, or the project lists nothing yet', async () => {
    const none = { action: 'key.rotate', search: 'no key is called this' };
    const admin = await stack.json('/v1/admins/check', { key: viewerKey, body: none, headers: asPerson(ADMIN) });
    expect(admin.body).toEqual({ identity: ADMIN, admin: true, matches: [] });
    const stranger = await stack.json('/v1/admins/check', { key: viewerKey, body: none, headers: asPerson('slack:T1:USTRANGER') });
    expect(stranger.body).toEqual({ identity: 'slack:T1:USTRANGER', admin: false });
  });

  it('a whole key value as the search is looked up by its hash, the admin entry read beside it', async () => {
    const made = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'found by value' } })).body;
    const body = { action: 'key.rotate', search: made.key };
    const admin = await stack.json('/v1/admins/check', { key: viewerKey, body, headers: asPerson(ADMIN) });
    expect(admin.body).toMatchObject({ admin: true, matches: [{ id: made.id }] });
    const stranger = await stack.json('/v1/admins/check', { key: viewerKey, body, headers: asPerson('slack:T1:USTRANGER') });
    expect(stranger.body).toEqual({ identity: 'slack:T1:USTRANGER', admin: false });
  });
});
