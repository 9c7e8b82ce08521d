import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { signDeliveryClaim } from '../../../lambdas/core/delivery-claim';
import { VIEWER_CEILING } from '../../../lambdas/core/scopes';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Issue 24 point 3: the bots' routes left OpenAI's namespace for /v1/bots. The old paths are no
 * longer Keywarden's: `/v1/deliveries` is an unknown path (404 `not_found` in OpenAI's shape), and
 * `/v1/conversations` is OpenAI's Conversations API (test/http/conversations/) — the bots' own old
 * calls there, with a bot's viewer key and assertion, save nothing.
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
  it.each(['viewer', 'admin'] as const)('are no longer Keywarden’s for a %s key: /v1/deliveries is unknown, /v1/conversations is OpenAI’s Conversations API', async (who) => {
    const key = who === 'viewer' ? viewerKey : stack.adminKey;
    const id = 'a'.repeat(64);
    const deliveries = await stack.json('/v1/deliveries', { key, body: { id, proof: signDeliveryClaim(stack.secrets.botAssertion.current, viewerId, id) } });
    expectApiError(deliveries, 404, 'not_found');
    expect(deliveries.body.error).toMatchObject({ type: 'not_found_error', message: 'Unknown path /v1/deliveries.' });
    // A bot's old save call is an OpenAI request with a field OpenAI does not define: a 400 (or the
    // viewer's 403), never a saved bot conversation; the old listing is not a route OpenAI has.
    const saved = await stack.json('/v1/conversations', { key, body: { reference }, headers: asPerson() });
    expect(saved.status === 400 || saved.status === 403, JSON.stringify(saved.body)).toBe(true);
    expect(saved.body.error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
    const listed = await stack.json('/v1/conversations?bot=teams', { key });
    expect([404, 405]).toContain(listed.status);
    expect((await stack.json('/v1/bots/conversations?bot=teams', { key: viewerKey })).body.data).toHaveLength(0);
  });

  it('OpenAI’s SDK: conversations.create() gets OpenAI’s conversation object, not a bot route’s 400', async () => {
    const created = await sdk(stack.adminKey).conversations.create({ items: [{ type: 'message', role: 'user', content: 'hello' }] });
    expect(created).toMatchObject({ object: 'conversation' });
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
