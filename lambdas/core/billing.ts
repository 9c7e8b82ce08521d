import { roundCredits } from './credits';
import type { ModelPrices } from './models';

/**
 * Credits for the model calls (seed 000): a reservation is taken before the upstream is called and
 * settled against usage on success — streamed or not, whether or not the client stayed to the end
 * (the client never chooses the price: model-call.ts settles a stream by what the upstream served,
 * which http/openai-relay.ts reads on for after the client left) — or refunded in full on a failed
 * or rejected upstream call. Since issue 23 both are the key's writes, not the account's: its
 * admission takes the reservation from the credits it holds as a lease from its account, and its
 * release write settles or refunds it (adapters/store/key-lease.ts, key-release.ts). This module
 * prices: what to reserve, what a call costs, what a stream without usage is charged.
 *
 * No usage is forgiven (issue 19): settlement always charges the whole price, so an account whose
 * calls in flight cost more than it held ends below zero. That is debt: reservations need a
 * balance that covers them, so an account in debt has every model call refused
 * (429 insufficient_quota) until an operator grant repays it. Over-service is bounded by the usage
 * of the calls already in flight when the balance ran out — and all of it is charged.
 *
 * Prices (issue 24): a catalog model may carry its own (models.ts `ModelPrices`: input, output and
 * cached input tokens apart, per 1k); a model without them is billed at the global `Pricing`
 * (every token alike, per 1k). Each method below takes the called model's prices, if any.
 */
/** The estimate's bytes per token (OpenAI's rule of thumb for English text). */
export const BYTES_PER_TOKEN = 4;

/** The global prices, for every model without its own (PRICE_PER_REQUEST, PRICE_PER_1K_TOKENS, CREDIT_RESERVE). */
export interface Pricing {
  perRequest: number;
  per1kTokens: number;
  reserve: number;
}

/** Tokens as billing prices them; the kinds apart only matter to a model with its own prices. */
export interface BilledTokens {
  totalTokens: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Input tokens served from the upstream's prompt cache: part of `inputTokens`, not beside them. */
  cachedInputTokens?: number;
}

export interface Reservation {
  accountId: string;
  amount: number;
  /** Balance right after the reservation was taken. */
  balance: number;
}

export class Billing {
  constructor(readonly pricing: Pricing) {}

  /** The amount reserved up front: the larger of the reserve and the per-request price (the model's own, else the global). */
  reserveAmount(prices?: ModelPrices): number {
    return Math.max(prices?.reserve ?? this.pricing.reserve, prices?.perRequest ?? this.pricing.perRequest);
  }

  /**
   * What a completed call costs: by usage when the upstream reports it, else per request. With
   * the model's own prices, input, cached input and output tokens are priced apart; tokens the
   * total counts beyond input and output (an upstream that reports only a total) are priced as
   * output, the dearer kind, so what was used is never billed below its price.
   */
  priceOf(usage: BilledTokens | undefined, prices?: ModelPrices): number {
    if (usage === undefined) return roundCredits(prices?.perRequest ?? this.pricing.perRequest);
    if (!prices) return roundCredits((usage.totalTokens / 1000) * this.pricing.per1kTokens);
    const input = usage.inputTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    const cached = Math.min(usage.cachedInputTokens ?? 0, input);
    const unaccounted = Math.max(0, usage.totalTokens - input - output);
    const per1k = (input - cached) * prices.input + cached * (prices.cachedInput ?? prices.input) + (output + unaccounted) * prices.output;
    return roundCredits(per1k / 1000);
  }

  /**
   * What a stream that never reported its usage is charged (docs/gateway.md §3.2): an estimate of
   * the tokens behind what the upstream sent — the request's bytes / 4 for its input, and for its
   * output the larger of the generated text's UTF-8 bytes / 4 and the number of text deltas (an
   * upstream sends at most one token's worth of text in a delta no shorter than one) — priced like
   * reported usage (at the model's input and output prices when it has its own; none of it
   * counted as cached), and never less than the reservation.
   */
  estimateOf(sent: { requestBytes: number; contentBytes: number; contentDeltas: number }, prices?: ModelPrices): number {
    const inputTokens = Math.ceil(sent.requestBytes / BYTES_PER_TOKEN);
    const outputTokens = Math.max(Math.ceil(sent.contentBytes / BYTES_PER_TOKEN), sent.contentDeltas);
    return Math.max(this.reserveAmount(prices), this.priceOf({ inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, prices));
  }
}

/** A settled call: what it was charged, and the balance as of its reservation with the charge applied. */
export interface Settlement {
  charged: number;
  balance: number;
  /** Settles when the settlement's write is stored (rejects if it could not be). */
  written: Promise<void>;
}
