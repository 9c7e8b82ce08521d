import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import { startTestStack, type TestStack } from '../support/local-stack';

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
});
