import { NEVER_RESETS } from '../core/budget';
import { roundCredits } from '../core/credits';
import type { KeyHold } from '../core/ports';

/**
 * The headers a model call states its key's own limits in (issue 21): the budget
 * (`X-<Brand>-Budget-Limit`, `-Remaining`, `-Reset` as an ISO time; no reset for a `total`
 * budget) and the token window under OpenAI's names (`X-RateLimit-Limit-Tokens`,
 * `-Remaining-Tokens`, `-Reset-Tokens` as OpenAI writes it: `1m30s`), beside the request window's.
 * `charged`: what this call costs when known (a whole answer), in place of its reservation.
 */
export function keyLimitHeaders(brand: string, limits: KeyHold, now: number, charged?: number): Record<string, string> {
  const out: Record<string, string> = {};
  const b = brand.toLowerCase();
  if (limits.budget) {
    const { credits, left, reserved, periodEnd } = limits.budget;
    const remaining = charged === undefined ? left : left + reserved - charged;
    out[`x-${b}-budget-limit`] = String(credits);
    out[`x-${b}-budget-remaining`] = String(Math.max(0, roundCredits(remaining)));
    if (periodEnd < NEVER_RESETS) out[`x-${b}-budget-reset`] = new Date(periodEnd).toISOString();
  }
  if (limits.tokens) {
    const { limit, used, resetAt } = limits.tokens;
    out['x-ratelimit-limit-tokens'] = String(limit);
    out['x-ratelimit-remaining-tokens'] = String(Math.max(0, limit - used));
    out['x-ratelimit-reset-tokens'] = openAiDuration(resetAt - now);
  }
  return out;
}

/** A duration as OpenAI's rate-limit headers write it: `20ms`, `6s`, `1m30s`, `2h0m0s`. */
export function openAiDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
