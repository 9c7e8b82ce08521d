import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** /v1/bots/conversations: where a bot reaches a person privately; only the bot (its assertion secret) may say so. */
let stack: TestStack;
let viewerKey: string;
let viewerId: string;

beforeAll(async () => {
  stack = await startTestStack();
  viewerKey = stack.secrets.botViewerKeys!.teams;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
});
afterAll(async () => stack?.stop());

const asPerson = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'teams', kid: viewerId }) });
const reference = (serviceUrl: string) => ({
  channelId: 'msteams',
  serviceUrl,
  conversation: { id: 'a:personal-1', tenantId: 't1', conversationType: 'personal' },
  bot: { id: '28:bot' },
});

describe('/v1/bots/conversations', () => {
  it('saves the person the assertion names (upsert) and lists them for bots:read', async () => {
    const body = { reference: reference('https://smba.trafficmanager.net/emea/') };
    expect((await stack.json('/v1/bots/conversations', { key: viewerKey, body, headers: asPerson('teams:t1:aad-1') })).status).toBe(200);
    const moved = { reference: reference('https://smba.trafficmanager.net/amer/') };
    expect((await stack.json('/v1/bots/conversations', { key: viewerKey, body: moved, headers: asPerson('teams:t1:aad-1') })).status).toBe(200);
    const listed = await stack.json('/v1/bots/conversations?identity=teams:t1:aad-1', { key: viewerKey });
    expect(listed.body.data).toEqual([expect.objectContaining({ identity: 'teams:t1:aad-1', bot: 'teams', reference: moved.reference })]);
  });

  it('a viewer key alone cannot point anyone’s notices somewhere: the assertion is required, and bad references are 400', async () => {
    const body = { reference: reference('https://smba.trafficmanager.net/emea/') };
    const bare = await stack.json('/v1/bots/conversations', { key: viewerKey, body });
    expect(bare.status).toBe(400);
    expect(bare.body.error.param).toBe('X-Keywarden-Actor');
    const forged = { [ASSERTION_HEADER]: signAssertion('not-the-secret', { sub: 'teams:t1:aad-1', bot: 'teams', kid: viewerId }) };
    expect((await stack.json('/v1/bots/conversations', { key: viewerKey, body, headers: forged })).status).toBe(403);
    for (const serviceUrl of ['http://attacker.example/', 'javascript:alert(1)', 'ftp://x/']) {
      const res = await stack.json('/v1/bots/conversations', { key: viewerKey, body: { reference: reference(serviceUrl) }, headers: asPerson('teams:t1:aad-2') });
      expect(res.status, serviceUrl).toBe(400);
    }
    const extra = await stack.json('/v1/bots/conversations', { key: viewerKey, body: { reference: { ...body.reference, extra: 1 } }, headers: asPerson('teams:t1:aad-2') });
    expect(extra.status).toBe(400);
  });

  it('listing needs bots:read', async () => {
    const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'no bots', type: 'viewer', scopes: ['models:read'] } });
    expect((await stack.json('/v1/bots/conversations', { key: res.body.key })).status).toBe(403);
  });
});
