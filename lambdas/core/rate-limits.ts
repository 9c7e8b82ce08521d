import type { RateLimit } from './types';

/**
 * A limit is wider when it admits a larger burst (more requests in one window) or a higher
 * sustained rate. Cross-multiplied so no rounding can let a wider limit through. Plain arithmetic
 * with no import: the authority rule (authority.ts) and the console's page both ask it.
 */
export function rateWider(target: RateLimit, actor: RateLimit): boolean {
  return target.limit > actor.limit || target.limit * actor.windowSeconds > actor.limit * target.windowSeconds;
}
