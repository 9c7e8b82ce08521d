import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemKey } from '../../../lambdas/adapters/store/table';
import { deliveryClaimId, signDeliveryClaim } from '../../../lambdas/core/delivery-claim';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { storedItems } from '../../support/stored-items';

/**
 * POST /v1/bots/deliveries: the single-use claim bots take before acting on a platform request or
 * sending a notice once. Claims belong to whoever made them (issue 19 point 3): only a bot may
 * claim (a proof under the bot-only secret, bound to the calling key and the id), and a claim is
 * held per project + calling key, so no other key can take one first.
 */
let stack: TestStack;
let slackBot: { key: string; id: string };
let teamsBot: { key: string; id: string };
let secret: string;

const me = async (key: string) => ({ key, id: (await stack.json('/v1/me', { key })).body.id as string });

beforeAll(async () => {
  stack = await startTestStack();
  secret = stack.secrets.botAssertion.current;
  slackBot = await me(stack.secrets.botViewerKeys!.slack);
  teamsBot = await me(stack.secrets.botViewerKeys!.teams);
});
afterAll(async () => stack?.stop());

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/** A claim as a bot makes it: the id named with the bot secret, the proof bound to the calling key. */
function botClaim(bot: { key: string; id: string }, id: string, extra: Record<string, unknown> = {}) {
  return stack.json('/v1/bots/deliveries', { key: bot.key, body: { id, proof: signDeliveryClaim(secret, bot.id, id), ...extra } });
}

async function claimTtl(keyId: string, id: string): Promise<number> {
  const items = (await storedItems(stack.services)) as { pk?: { S?: string }; ttl?: { N?: string } }[];
  const item = items.find((i) => i.pk?.S === itemKey.nonce(`delivery:${stack.bootstrap.projectId}:${keyId}:${id}`).pk);
  if (!item?.ttl?.N) throw new Error('no claim stored');
  return Number(item.ttl.N);
}

describe('POST /v1/bots/deliveries', () => {
  it('claims once; a second claim of the same id by the same bot is 409 conflict', async () => {
    const id = deliveryClaimId(secret, 'delivery once');
    expect((await botClaim(slackBot, id)).status).toBe(200);
    const again = await botClaim(slackBot, id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('holds a claim 10 minutes by default, or keepForSeconds (a notice sent once per key and threshold)', async () => {
    const now = Math.floor(stack.clock.now() / 1000);
    const short = deliveryClaimId(secret, 'default hold');
    await botClaim(slackBot, short);
    expect(await claimTtl(slackBot.id, short)).toBeGreaterThanOrEqual(now + 600);
    expect(await claimTtl(slackBot.id, short)).toBeLessThan(now + 600 + 120);
    const long = deliveryClaimId(secret, 'reminder: key, 14 days, admin');
    expect((await botClaim(slackBot, long, { keepForSeconds: 30 * 86_400 })).status).toBe(200);
    expect(await claimTtl(slackBot.id, long)).toBeGreaterThanOrEqual(now + 30 * 86_400);
  });

  it('refuses a malformed id, proof or hold with a 400, never a 5xx', async () => {
    for (const body of [
      { id: 'x' },
      { id: digest('a'), keepForSeconds: 10 },
      { id: digest('b'), keepForSeconds: 365 * 86_400 },
      { id: digest('c'), keepForSeconds: '60' },
      { id: digest('d'), proof: 'short' },
      { id: digest('e'), proof: 42 },
    ]) {
      const res = await stack.json('/v1/bots/deliveries', { key: slackBot.key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('a key that is not a bot is 403: the admin key, a keys:read viewer key, the bot key without its proof or with another key’s', async () => {
    const viewer = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'a keys:read viewer', type: 'viewer', scopes: ['keys:read'] } })).body;
    expect(viewer.key).toBeDefined();
    const viewerKey = await me(viewer.key);
    const id = deliveryClaimId(secret, 'leak-alert:slack:key_whatever');
    const attempts: [string, { key: string; id: string }, Record<string, unknown>][] = [
      ['admin, no proof', await me(stack.adminKey), { id }],
      ['viewer, no proof', viewerKey, { id }],
      ['viewer, the bot’s proof', viewerKey, { id, proof: signDeliveryClaim(secret, slackBot.id, id) }],
      ['viewer, a proof under a guessed secret', viewerKey, { id, proof: signDeliveryClaim('guess', viewerKey.id, id) }],
      ['bot key, no proof', slackBot, { id }],
      ['bot key, a proof for another id', slackBot, { id, proof: signDeliveryClaim(secret, slackBot.id, digest('other')) }],
    ];
    for (const [what, caller, body] of attempts) {
      const res = await stack.json('/v1/bots/deliveries', { key: caller.key, body });
      expect(res.status, what).toBe(403);
      expect(res.body.error.code, what).toBe('insufficient_permissions');
    }
    // None of them took anything: the bot's claim of that id is fresh.
    expect((await botClaim(slackBot, id)).status).toBe(200);
  });

  it('one key’s claim never blocks another key’s, nor another project’s bot this project’s', async () => {
    const id = deliveryClaimId(secret, 'shared name');
    expect((await botClaim(teamsBot, id)).status).toBe(200);
    expect((await botClaim(slackBot, id)).status).toBe(200);

    const other = await stack.services.operator.createProject({ accountId: stack.bootstrap.accountId, name: 'other project', actor: 'operator:test' });
    const otherBot = await me(other.automator.secret);
    const later = deliveryClaimId(secret, 'claimed by another project first');
    expect((await botClaim(otherBot, later)).status).toBe(200);
    expect((await botClaim(slackBot, later)).status).toBe(200);
    expect((await botClaim(slackBot, later)).status).toBe(409);
  });
});
