import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from './errors';
import type { Store } from './ports';

/**
 * Credits for the model calls (seed 000): a reservation is taken before the upstream is called
 * (so concurrent requests can never overdraw the balance), refunded in full on a failed or
 * rejected upstream call, and settled against usage on success — streamed or not. A stream is
 * billable once accepted: its headers state the reservation, and the usage it reports when it
 * ends settles it (a client that leaves early pays the reservation).
 */
export interface Pricing {
  perRequest: number;
  per1kTokens: number;
  reserve: number;
}

export interface Reservation {
  accountId: string;
  amount: number;
  /** Balance right after the reservation was taken. */
  balance: number;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation }
  | { ok: false; refusal: 'insufficient_quota' | 'api_access_disabled'; balance: number };

/** The documented error for a refused reservation (the edge adds the balance as billing evidence). */
export function refusalError(refusal: 'insufficient_quota' | 'api_access_disabled'): KeywardenError {
  return refusal === 'insufficient_quota'
    ? new KeywardenError('insufficient_quota', 'You exceeded your current quota: the account is out of credits.')
    : new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
}

export class Billing {
  constructor(
    private readonly store: Store,
    readonly pricing: Pricing,
  ) {}

  /** The amount reserved up front: the larger of the reserve and the per-request price. */
  reserveAmount(): number {
    return Math.max(this.pricing.reserve, this.pricing.perRequest);
  }

  /**
   * Takes the reservation, or says why not: out of credits or API access off are expected
   * outcomes (data), each with the balance seen, so the edge can state it as billing evidence.
   */
  async reserve(accountId: string, amount: number): Promise<ReserveResult> {
    const outcome = await this.store.reserveCredits(accountId, amount);
    if (outcome.ok) return { ok: true, reservation: { accountId, amount, balance: outcome.balance } };
    return { ok: false, refusal: outcome.reason === 'insufficient' ? 'insufficient_quota' : 'api_access_disabled', balance: outcome.balance };
  }

  /** Gives the whole reservation back: nothing is charged for a rejected or failed call. */
  async refund(r: Reservation): Promise<number> {
    const result = await this.store.adjustCredits(r.accountId, r.amount);
    return result.ok ? result.balance : r.balance;
  }

  /** What a completed call costs: by usage when the upstream reports it, else per request. */
  priceOf(usage: { totalTokens: number } | undefined): number {
    const price = usage === undefined ? this.pricing.perRequest : (usage.totalTokens / 1000) * this.pricing.per1kTokens;
    return roundCredits(price);
  }

  /**
   * Settles a reservation to `price`: refunds the difference, or charges the excess up to what is
   * left. The balance it reports is as of the reservation with this settlement applied. A refund
   * needs nothing back from storage, so its write is left in flight (`written`): the usage record
   * can go out beside it instead of after it.
   */
  async settle(r: Reservation, price: number): Promise<Settlement> {
    const diff = roundCredits(price - r.amount);
    if (diff === 0) return { charged: r.amount, balance: r.balance, written: Promise.resolve() };
    if (diff < 0) return { charged: price, balance: roundCredits(r.balance - diff), written: this.store.returnCredits(r.accountId, -diff) };
    // The answer already exists: settlement never turns it into an error. If the excess cannot be
    // taken under contention, it is forgiven and the reservation stands as the charge.
    const extra = await this.store.chargeUpTo(r.accountId, diff);
    if (extra.contended) return { charged: r.amount, balance: r.balance, written: Promise.resolve() };
    return { charged: roundCredits(r.amount + extra.charged), balance: extra.balance, written: Promise.resolve() };
  }
}

export interface Settlement {
  charged: number;
  balance: number;
  /** Settles when the settlement's write is stored (rejects if it could not be). */
  written: Promise<void>;
}

/** Credits are kept to 10⁻⁶: every price, sum and difference is rounded there. */
export function roundCredits(credits: number): number {
  return Math.round(credits * 1e6) / 1e6;
}
