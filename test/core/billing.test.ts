import { describe, expect, it } from 'vitest';
import { Billing } from '../../lambdas/core/billing';

/**
 * Billing prices, nothing more: what a reservation takes, what a call costs, and what a stream
 * without usage is charged. (A model call reserves, settles and refunds in its key's admission and
 * release writes: test/adapters/leased-credits.test.ts and the relay's money tests.)
 */
const PRICING = { perRequest: 1, per1kTokens: 0.5, reserve: 2 };
const billing = new Billing(PRICING);

describe('Billing', () => {
  it('reserves the larger of the reserve and the per-request price', () => {
    expect(billing.reserveAmount()).toBe(2);
    expect(new Billing({ ...PRICING, perRequest: 3 }).reserveAmount()).toBe(3);
  });

  it('prices by reported usage, and per request without it, to 10⁻⁶ credits', () => {
    expect(billing.priceOf({ totalTokens: 2_000 })).toBe(1);
    expect(billing.priceOf({ totalTokens: 1 })).toBe(0.0005);
    expect(billing.priceOf({ totalTokens: 0 })).toBe(0);
    expect(billing.priceOf(undefined)).toBe(1);
    expect(new Billing({ ...PRICING, per1kTokens: 1 / 3 }).priceOf({ totalTokens: 1 })).toBe(0.000333);
  });

  it('estimates a stream without usage from what it sent (bytes / 4, or one token per delta), never below the reservation', () => {
    // 4,000 request bytes = 1,000 tokens; 20,000 content bytes in 10 deltas = 5,000 tokens: 6,000 tokens.
    expect(billing.estimateOf({ requestBytes: 4_000, contentBytes: 20_000, contentDeltas: 10 })).toBe(3);
    // 8 content bytes in 6,000 deltas: the deltas count (1 + 6,000 tokens).
    expect(billing.estimateOf({ requestBytes: 4, contentBytes: 8, contentDeltas: 6_000 })).toBe(3.0005);
    // Little sent: the reservation stands.
    expect(billing.estimateOf({ requestBytes: 10, contentBytes: 0, contentDeltas: 0 })).toBe(2);
  });
});
