import { KeywardenError } from '../../core/errors';
import { CONTRACT } from '../contract';
import { defineRoute, type Route } from '../router';
import { json } from '../types';

/**
 * How long a delivery stays claimed. It must outlive every moment at which the platform's own
 * signature check still accepts the request: Slack's is 5 minutes after its timestamp, and the
 * Slack edge refuses timestamps more than 60 s ahead, so a claim lasting 10 minutes from first
 * sight covers every replay Bolt would let through.
 */
export const DELIVERY_CLAIM_MS = 10 * 60_000;

/**
 * POST /v1/deliveries: a bot claims an incoming platform request before acting on it, so a
 * replayed (or retried) request runs at most once, across every bot instance. One conditional
 * PutItem through the store's nonce (the same single-use claim the actor assertions use);
 * claims are scoped to the caller's project. Any valid key may claim: the ids are unguessable
 * digests of signed requests, and a claim can only stop a request of the caller's own project.
 * `keepForSeconds` holds a claim longer (a reminder or leak alert sent once per key, up to 90 days):
 * the nonce item carries it as its TTL, and DynamoDB's sweep only removes claims past it.
 */
export const deliveryRoutes: Route[] = [
  defineRoute(CONTRACT.claimDelivery, async (ctx) => {
    const key = await ctx.key();
    const { id, keepForSeconds } = ctx.input.body;
    const fresh = await ctx.services.auth.claimDelivery(key.projectId, id, keepForSeconds === undefined ? DELIVERY_CLAIM_MS : keepForSeconds * 1000);
    if (!fresh) throw new KeywardenError('conflict', 'This delivery was already claimed; it is a replay.', { param: 'id' });
    return json(200, { claimed: true });
  }),
];
