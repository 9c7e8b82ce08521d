import { ASSERTION_HEADER } from '../core/actor-assertion';
import { KeywardenError } from '../core/errors';
import type { KeyCheck, RateLimitState } from '../core/authenticator';
import type { KeyRecord } from '../core/types';
import type { HttpRequest } from './types';

/** Seconds until the window resets (at least 1): the one place `Retry-After` for a rate limit is computed. */
export function secondsUntil(resetAt: number, now: number): number {
  return Math.max(1, Math.ceil((resetAt - now) / 1000));
}

/** `X-RateLimit-*` on every authenticated response; `Retry-After` when limited. */
export function rateLimitHeaders(state: RateLimitState, now: number): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(Math.ceil(state.resetAt / 1000)),
    ...(state.remaining === 0 ? { 'retry-after': String(secondsUntil(state.resetAt, now)) } : {}),
  };
}

/** The bearer token, or undefined. Never logged, never echoed. */
export function bearerToken(req: HttpRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export function assertionOf(req: HttpRequest): string | undefined {
  return req.headers[ASSERTION_HEADER] || undefined;
}

/**
 * Turns a key check into the caller's key, or the documented error. The rate-limit headers of
 * the check (when it got that far) are the same data either way: the caller sets them first.
 */
export function checkHeaders(check: KeyCheck, now: number): Record<string, string> {
  if (check.result === 'valid') return rateLimitHeaders(check.rateLimit, now);
  if (check.result === 'rate_limited') return rateLimitHeaders({ ...check.rateLimit, remaining: 0 }, now);
  // Refused by a model-call limit, not by the request window: that window is stated as it stands.
  if (check.result === 'over_limit') return rateLimitHeaders(check.rateLimit, now);
  return {};
}

export function requireValid(check: KeyCheck, now: number): KeyRecord {
  switch (check.result) {
    case 'valid':
      return check.key;
    case 'invalid':
      throw new KeywardenError('invalid_api_key', 'Incorrect API key provided.');
    case 'expired':
      throw new KeywardenError('key_expired', 'This API key has expired. Rotate it to issue a replacement.');
    case 'revoked':
      throw new KeywardenError('key_revoked', 'This API key has been revoked.');
    case 'disabled':
      throw new KeywardenError('key_disabled', 'This API key is paused: an admin of its project can enable it again.');
    case 'rate_limited':
      throw new KeywardenError('rate_limit_exceeded', 'Rate limit reached for this API key. Retry after the window resets.', {
        retryAfterSeconds: secondsUntil(check.rateLimit.resetAt, now),
      });
    case 'over_limit':
      // Only a model call's admission meets these, and it takes them as outcomes (modelCallKey).
      throw new KeywardenError('rate_limit_exceeded', 'A limit of this API key refused the call.');
  }
}
