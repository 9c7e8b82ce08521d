import type { KeyRecord, KeyStatus } from './types';

/**
 * Status rules live with the record (STYLE 14): every layer that needs a key's status or its
 * rate-limit state — the service, the store adapter, the presenters — asks here.
 */
export function keyStatus(key: KeyRecord, now: number): KeyStatus {
  if (key.status === 'revoked' || (key.graceUntil !== undefined && key.graceUntil <= now)) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return key.status === 'disabled' ? 'disabled' : 'active';
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Epoch ms when the current window ends. */
  resetAt: number;
}

/** The key's rate-limit state in a window, as the store counted it. */
export function rateLimitState(key: KeyRecord, window: { count: number; resetAt: number }): RateLimitState {
  return {
    limit: key.rateLimit.limit,
    remaining: Math.max(key.rateLimit.limit - window.count, 0),
    resetAt: window.resetAt,
  };
}
