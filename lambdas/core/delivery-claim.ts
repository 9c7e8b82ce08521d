import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Delivery claims (`POST /v1/bots/deliveries`) belong to the bot that makes them (issue 19 point 3).
 *
 * The bots already hold one bot-only secret, the actor-assertion secret (`botAssertion` in
 * Secrets Manager: the bot functions and the API function read it, nothing else). It serves
 * twice here, with domain-separated inputs so neither use can stand in for the other or for an
 * actor assertion (those sign `v1.<claims>`):
 *
 *   id    = hex(HMAC-SHA-256(secret, "keywarden-delivery-id:v1:"    + what))
 *   proof = b64url(HMAC-SHA-256(secret, "keywarden-delivery-proof:v1:" + callingKeyId + ":" + id))
 *
 * `what` names the delivery in plain words (`leak-alert:slack:key_…`, `slack-event:Ev…`); only a
 * holder of the secret can turn it into the id a bot will claim, so nobody else can compute the
 * id of an alert or a reminder in advance. The proof tells the API the caller is a bot, and binds
 * that to the key it calls with and the one id it claims: seen in transit it can only repeat a
 * claim its own bot already made. The API stores the claim under project + calling key + id, so
 * one key's claims never block another's (lambdas/core/authenticator.ts).
 */
export const PROOF_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function deliveryClaimId(secret: string, what: string): string {
  return createHmac('sha256', secret).update(`keywarden-delivery-id:v1:${what}`).digest('hex');
}

export function signDeliveryClaim(secret: string, callingKeyId: string, id: string): string {
  return createHmac('sha256', secret).update(`keywarden-delivery-proof:v1:${callingKeyId}:${id}`).digest('base64url');
}

export function verifyDeliveryClaim(secret: string, callingKeyId: string, id: string, proof: string | undefined): boolean {
  if (proof === undefined || !PROOF_PATTERN.test(proof)) return false;
  const expected = Buffer.from(signDeliveryClaim(secret, callingKeyId, id));
  const given = Buffer.from(proof);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
