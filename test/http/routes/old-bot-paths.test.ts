import OpenAI, { NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { signDeliveryClaim } from '../../../lambdas/core/delivery-claim';
import { VIEWER_CEILING } from '../../../lambdas/core/scopes';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Issue 24 point 3: the bots' routes left OpenAI's namespace for /v1/bots. The old paths are no
 * longer Keywarden's: a call there — the bots' own old calls included, with a bot's viewer key
 * and assertion — gets OpenAI's error shape, a 404 `not_found`, never the bot route's 400; and
 * OpenAI's SDK calling the Conversations API it expects there gets its NotFoundError.
 */
let stack: TestStack;
let viewerKey: string;
let viewerId: string;

beforeAll(async () => {
  stack = await startTestStack();
  viewerKey = stack.secrets.botViewerKeys!.teams;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
});
afterAll(async () => stack?.stop());

const reference = {
  channelId: 'msteams',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
  conversation: { id: 'a:personal-1', tenantId: 't1', conversationType: 'personal' },
  bot: { id: '28:bot' },
};
const asPerson = () => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub: 'teams:t1:aad-1', bot: 'teams', kid: viewerId }) });
const sdk = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });

describe('the bots’ old paths', () => {
  it.each(['viewer', 'admin'] as const)('answer 404 not_found in OpenAI’s error shape for a %s key, whatever the body', async (who) => {
    const key = who === 'viewer' ? viewerKey : stack.adminKey;
    const id = 'a'.repeat(64);
    const calls = [
      stack.json('/v1/conversations', { key, body: { reference }, headers: asPerson() }),
      stack.json('/v1/conversations', { key, body: {} }),
      stack.json('/v1/conversations?bot=teams', { key }),
      stack.json('/v1/deliveries', { key, body: { id, proof: signDeliveryClaim(stack.secrets.botAssertion.current, viewerId, id) } }),
    ];
    for (const res of await Promise.all(calls)) {
      expectApiError(res, 404, 'not_found');
      expect(res.body.error.type).toBe('not_found_error');
      expect(res.body.error.message).toMatch(/\/v1\/(conversations|deliveries)/);
    }
    // OpenAI's path says whose it is; a path OpenAI never had is just unknown.
    expect((await calls[0]!).body.error.message).toBe('/v1/conversations is part of OpenAI’s API that this gateway does not serve.');
    expect((await calls[3]!).body.error.message).toBe('Unknown path /v1/deliveries.');
  });

  it.each(['viewer', 'admin'] as const)('OpenAI’s SDK: conversations.create() with a %s key is a NotFoundError, not a 400', async (who) => {
    const error = await sdk(who === 'viewer' ? viewerKey : stack.adminKey)
      .conversations.create({ items: [{ type: 'message', role: 'user', content: 'hello' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', type: 'not_found_error' });
  });

  it('the moved routes answer there, with the bot key’s powers unchanged: a viewer key within the viewer ceiling', async () => {
    const saved = await stack.json('/v1/bots/conversations', { key: viewerKey, body: { reference }, headers: asPerson() });
    expect(saved).toMatchObject({ status: 200, body: { identity: 'teams:t1:aad-1', bot: 'teams' } });
    expect((await stack.json('/v1/bots/conversations?bot=teams', { key: viewerKey })).body.data).toHaveLength(1);
    const me = (await stack.json('/v1/me', { key: viewerKey })).body;
    expect(me.type).toBe('viewer');
    expect(me.scopes.filter((s: string) => !(VIEWER_CEILING as readonly string[]).includes(s))).toEqual([]);
    expect(me.scopes).not.toContain('keys:write');
  });
});
