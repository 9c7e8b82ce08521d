import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** What a bot does before offering a person an admin action: ask the API, which audits a "no". */
let stack: TestStack;
let viewerKey: string;
let viewerId: string;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  viewerKey = stack.secrets.botViewerKeys!.slack;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
});
afterAll(async () => stack?.stop());

const asPerson = (sub: string) => ({
  [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: viewerId }),
});

describe('POST /v1/admins/check', () => {
  it('answers yes for a project admin, and records nothing', async () => {
    const res = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.create' }, headers: asPerson('slack:T1:UADMIN') });
    expect(res.body).toEqual({ identity: 'slack:T1:UADMIN', admin: true });
    const audit = await stack.json(`/v1/audit?actor=${encodeURIComponent('slack:T1:UADMIN')}`, { key: stack.adminKey });
    expect(audit.body.data).toEqual([]);
  });

  it('answers no for anyone else, and audits it as a denied attempt naming the person and the bot', async () => {
    const target = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'target' } })).body;
    const res = await stack.json('/v1/admins/check', {
      key: viewerKey,
      body: { action: 'key.revoke', keyId: target.id },
      headers: asPerson('slack:T1:UMEMBER'),
    });
    expect(res.body).toEqual({ identity: 'slack:T1:UMEMBER', admin: false });
    const audit = await stack.json(`/v1/audit?keyId=${target.id}`, { key: stack.adminKey });
    expect(audit.body.data[0]).toMatchObject({
      action: 'key.revoke',
      outcome: 'denied',
      actor: 'slack:T1:UMEMBER',
      viaBot: 'slack',
      viaKeyId: viewerId,
      keyId: target.id,
      reason: 'not a project admin',
    });
  });

  it('needs the person: without an assertion it is a 400, with a forged one a 403', async () => {
    const bare = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.create' } });
    expect(bare.status).toBe(400);
    expect(bare.body.error.param).toBe('X-Keywarden-Actor');
    const forged = signAssertion('not-the-bot-secret', { sub: 'slack:T1:UADMIN', bot: 'slack', kid: viewerId });
    const res = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.create' }, headers: { [ASSERTION_HEADER]: forged } });
    expect(res.status).toBe(403);
    const badAction = await stack.json('/v1/admins/check', { key: viewerKey, body: { action: 'key.explode' }, headers: asPerson('slack:T1:UADMIN') });
    expect(badAction.status).toBe(400);
  });

  it('with search, an admin gets the matching keys in the same answer; anyone else gets none', async () => {
    const made = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'searchable deploy key' } })).body;
    const asked = { key: viewerKey, body: { action: 'key.rotate', search: 'searchable deploy' } };
    const admin = await stack.json('/v1/admins/check', { ...asked, headers: asPerson('slack:T1:UADMIN') });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ admin: true, matches: [{ id: made.id, name: 'searchable deploy key', start: made.start }] });
    const member = await stack.json('/v1/admins/check', { ...asked, headers: asPerson('slack:T1:UMEMBER') });
    expect(member.body).toEqual({ identity: 'slack:T1:UMEMBER', admin: false });
  });
});

describe('an actor assertion acts once', () => {
  it('a key-changing call replayed with the same assertion is refused, on the same key or another, and audited', async () => {
    const first = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'replay target one' } })).body;
    const second = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'replay target two' } })).body;
    const headers = asPerson('slack:T1:UADMIN');
    const rotated = await stack.json(`/v1/keys/${first.id}/rotate`, { key: viewerKey, body: {}, headers });
    expect(rotated.status).toBe(201);
    for (const path of [`/v1/keys/${second.id}/rotate`, `/v1/keys/${second.id}/revoke`, '/v1/keys']) {
      const replay = await stack.json(path, { key: viewerKey, body: path === '/v1/keys' ? { name: 'minted by a replay' } : {}, headers });
      expect(replay.status, path).toBe(403);
      expect(replay.body.error).toMatchObject({ code: 'insufficient_permissions', param: 'X-Keywarden-Actor' });
      expect(JSON.stringify(replay.body)).not.toMatch(/kw_|sk-/);
    }
    const untouched = await stack.json(`/v1/keys/${second.id}`, { key: stack.adminKey });
    expect(untouched.body).toMatchObject({ status: 'active' });
    expect(untouched.body.replacedBy).toBeNull();
    const minted = await stack.json('/v1/keys?search=minted%20by%20a%20replay', { key: stack.adminKey });
    expect(minted.body.data).toEqual([]);
    const audit = await stack.json(`/v1/audit?keyId=${second.id}`, { key: stack.adminKey });
    const viaBot = audit.body.data.filter((r: { viaKeyId?: string }) => r.viaKeyId === viewerId);
    expect(viaBot.map((r: { outcome: string; reason?: string }) => `${r.outcome}: ${r.reason}`)).toEqual([
      'denied: actor assertion replayed',
      'denied: actor assertion replayed',
    ]);
  });

  it('a refused action spends it too, and a read may show it again (it changes nothing)', async () => {
    const target = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'refused then replayed' } })).body;
    const headers = asPerson('slack:T1:UMEMBER');
    const refused = await stack.json(`/v1/keys/${target.id}/revoke`, { key: viewerKey, body: {}, headers });
    expect(refused.body.error.message).toMatch(/not an admin/);
    const replay = await stack.json(`/v1/keys/${target.id}/revoke`, { key: viewerKey, body: {}, headers });
    expect(replay.body.error.message).toMatch(/already used/);
    const check = { key: viewerKey, body: { action: 'key.create' }, headers: asPerson('slack:T1:UADMIN') };
    expect((await stack.json('/v1/admins/check', check)).body.admin).toBe(true);
    expect((await stack.json('/v1/admins/check', check)).body.admin).toBe(true);
  });
});
