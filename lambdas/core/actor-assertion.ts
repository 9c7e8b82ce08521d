import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Proof that a person, not just a bot's viewer key, asked for an admin action (SPEC §5).
 *
 *   v1.<base64url(JSON claims)>.<base64url(HMAC-SHA-256(botAssertionSecret, "v1." + claims))>
 *
 * Claims: sub (platform identity), bot (slack | teams), kid (the viewer key the bot calls with),
 * iat/exp (epoch seconds, at most 5 minutes apart), jti (single use). The secret lives only in the
 * bots' and the API's Secrets Manager entries, so a leaked viewer key alone cannot forge one.
 */
export const ASSERTION_HEADER = 'x-keywarden-actor';
export const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;

export interface AssertionClaims {
  sub: string;
  bot: 'slack' | 'teams';
  kid: string;
  iat: number;
  exp: number;
  jti: string;
}

export const IDENTITY_PATTERN = /^(slack:[A-Za-z0-9]+:[A-Za-z0-9]+|teams:[A-Za-z0-9-]+:[A-Za-z0-9-]+)$/;

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`v1.${payload}`).digest('base64url');
}

export function signAssertion(
  secret: string,
  claims: { sub: string; bot: 'slack' | 'teams'; kid: string },
  nowMs = Date.now(),
  lifetimeS = 120,
): string {
  const iat = Math.floor(nowMs / 1000);
  const full: AssertionClaims = { ...claims, iat, exp: iat + lifetimeS, jti: randomUUID() };
  const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `v1.${payload}.${sign(secret, payload)}`;
}

export type AssertionCheck =
  | { ok: true; claims: AssertionClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'wrong_key' };

/** Checks signature, lifetime and binding to the calling key. Replay (jti) is checked by the caller against the store. */
export function verifyAssertion(
  secret: string,
  token: string,
  callingKeyId: string,
  nowMs = Date.now(),
): AssertionCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return { ok: false, reason: 'malformed' };
  const [, payload, mac] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature' };
  let claims: AssertionClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AssertionClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof claims.sub !== 'string' ||
    !IDENTITY_PATTERN.test(claims.sub) ||
    (claims.bot !== 'slack' && claims.bot !== 'teams') ||
    typeof claims.jti !== 'string' ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const now = Math.floor(nowMs / 1000);
  if (claims.exp - claims.iat > MAX_ASSERTION_LIFETIME_S || claims.iat > now + CLOCK_SKEW_S || claims.exp <= now) {
    return { ok: false, reason: 'expired' };
  }
  if (claims.kid !== callingKeyId) return { ok: false, reason: 'wrong_key' };
  return { ok: true, claims };
}
