import { KeywardenError } from '../../core/errors';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { BOT_CONTRACT } from './bots.contract';

/**
 * How long a delivery stays claimed. It must outlive every moment at which the platform's own
 * signature check still accepts the request: Slack's is 5 minutes after its timestamp, and the
 * Slack edge refuses timestamps more than 60 s ahead, so a claim lasting 10 minutes from first
 * sight covers every replay Bolt would let through.
 */
export const DELIVERY_CLAIM_MS = 10 * 60_000;

/**
 * What the Slack and Teams bots need from /v1: delivery claims, and where they reach people
 * privately (lambdas/core/conversations.ts).
 *
 * POST /v1/bots/deliveries: a bot claims an incoming platform request before acting on it, so a
 * replayed (or retried) request runs at most once, across every bot instance; and a notice sent
 * once (a leak alert, an expiry reminder) is claimed before it goes out. One conditional PutItem
 * through the store's nonce.
 *
 * Claims belong to whoever made them (issue 19): only a bot may claim — the body carries a proof
 * signed with the bot-only secret and bound to the calling key and the id — and a claim is stored
 * under project + calling key + id. A viewer or admin key (no proof) is 403 and can block nothing;
 * another project's bot claims in its own project. The ids themselves are HMACs under the same
 * secret (lambdas/core/delivery-claim.ts), so nobody else can compute them either.
 * `keepForSeconds` holds a claim longer (a reminder or leak alert sent once per key, up to 90 days):
 * the nonce item carries it as its TTL, and DynamoDB's sweep only removes claims past it.
 */
export const botRoutes: Route[] = [
  defineRoute(BOT_CONTRACT.claimDelivery, async (ctx) => {
    const key = await ctx.key();
    const { id, proof, keepForSeconds } = ctx.input.body;
    const outcome = await ctx.services.auth.claimDelivery(key, id, proof, keepForSeconds === undefined ? DELIVERY_CLAIM_MS : keepForSeconds * 1000);
    if (outcome === 'not_a_bot') {
      throw new KeywardenError('insufficient_permissions', 'Only the project’s bots may claim deliveries: this claim carries no valid bot proof for this key.', { param: 'proof' });
    }
    if (outcome === 'taken') throw new KeywardenError('conflict', 'This delivery was already claimed; it is a replay.', { param: 'id' });
    return json(200, { claimed: true });
  }),
  // A key value a bot saw posted (the leak guard): holding it is the authority to report it, so
  // any valid calling key may (the bots' viewer keys). The value is in the body only — never a
  // URL, a log line, a record or the answer, which names the key by id.
  defineRoute(BOT_CONTRACT.reportLeak, async (ctx) => {
    await ctx.key();
    const { key, location } = ctx.input.body;
    const outcome = await ctx.services.keys.exposed(key, { source: 'chat', location });
    if (!outcome) return json(200, { object: 'leak_report', found: false, keyId: null, projectId: null, handled: null });
    return json(200, { object: 'leak_report', found: true, keyId: outcome.key.id, projectId: outcome.key.projectId, handled: outcome.handled });
  }),
  defineRoute(BOT_CONTRACT.saveConversation, async (ctx) => {
    const record = await ctx.services.conversations.save(await ctx.principal(), ctx.input.body.reference);
    return json(200, record);
  }),
  defineRoute(BOT_CONTRACT.listConversations, async (ctx) => {
    const records = await ctx.services.conversations.list(await ctx.principal(), ctx.input.query);
    return json(200, { object: 'list', data: records });
  }),
];
