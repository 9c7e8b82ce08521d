import type { Authenticator } from './authenticator';
import type { Billing, Reservation, Settlement } from './billing';
import { KeywardenError } from './errors';
import { roundCredits } from './credits';
import { keyMayUse, type CatalogModel, type ModelCatalog, type ModelPrices, type UpstreamDeployment } from './models';
import { checkPermission } from './policy';
import { SLOT_LEASE_MS, type Clock, type KeyHold, type Log, type ModelCallAdmission, type Store, type Upstream, type UpstreamPath } from './ports';
import type { KeyRecord, UsageRecord } from './types';
import { countWithSettlement, type SettlementSeen } from './usage';

/**
 * The model call (SPEC §4): the lifecycle /v1/responses, /v1/chat/completions and /v1/embeddings
 * share, from the catalog to the settlement, told as tagged outcomes. No HTTP here: the edge
 * (http/openai-relay.ts) relays the answer and maps each outcome to its status.
 */

/** Tokens a call used, as the upstream reported them. */
export type TokenUsage = NonNullable<UsageRecord['usage']>;

/** What a model call runs on: the services hold them all (built once, at cold start). */
export interface ModelCallPorts {
  billing: Billing;
  catalog: Pick<ModelCatalog, 'find'>;
  upstream: Upstream;
  /** Where a model with deployments is called (absent: every model goes to `upstream`). */
  deployments?: DeploymentRoutes;
  /** Where a call gives back what its admission held on its key (budget, tokens, slot). */
  store: Pick<Store, 'releaseKeyUse' | 'renewKeySlot'>;
  clock: Clock;
  logger: Log;
  /** How long the upstream has to answer, and then to send each chunk of a stream. */
  config: { readonly upstreamTimeoutMs: number };
}

/**
 * A model's upstream deployments, tried in order (adapters/upstream-deployments.ts, docs/gateway.md
 * "More than one upstream"). Answers with the first deployment's answer that is not a failure — a
 * failure being no connection, no first byte in time, a 429 or a 5xx — and the deployment that gave
 * it; once one has answered (its headers arrived), no other is tried, so a stream is never started
 * twice. When every deployment tried failed: the last one's failure, its answer or its error thrown.
 * The whole stays within `timeoutMs` (the call's signal aborts at it).
 */
export interface DeploymentRoutes {
  forward(
    deployments: readonly UpstreamDeployment[],
    path: UpstreamPath,
    body: (deployment: UpstreamDeployment) => string,
    signal: AbortSignal,
    options: { stream: boolean; timeoutMs: number },
  ): Promise<{ answer: Response; deployment: UpstreamDeployment }>;
}

export interface ModelCallRequest {
  /** The public model id the caller named. */
  model: string;
  stream: boolean;
  path: UpstreamPath;
  /** The body the upstream receives, for the catalog entry named (whose upstream name it carries). */
  body(model: CatalogModel): string;
  /** The key as presented: an instance that admitted it before knows its account up front. */
  bearer: string;
  /**
   * Authenticates the key and counts the call against its rate limit (the edge's); throws its
   * refusal (unknown, revoked, expired, paused, rate-limited). With `call`, the same write takes
   * the reservation from the key's budget, checks its token window and leases a slot: a refusal
   * by one of those is data (`over_limit`), nothing counted.
   */
  admit(call?: ModelCallAdmission): Promise<KeyAdmission>;
}

export type KeyAdmission =
  | { result: 'valid'; key: KeyRecord; hold?: KeyHold }
  | { result: 'over_limit'; limit: 'budget' | 'tokens' | 'concurrency'; key: KeyRecord; hold: KeyHold };

/** Refused before the upstream was called: nothing is charged. */
export type Refusal =
  /** Not in the catalog, or not in the key's own model list: the same answer either way. */
  | { kind: 'model_not_found'; model: string }
  | { kind: 'scope_missing'; scope: 'responses:write' }
  /** No reservation: out of credits (or in debt), or API access off; with the balance seen. */
  | { kind: 'reservation_refused'; refusal: 'insufficient_quota' | 'api_access_disabled'; balance: number }
  /** The key's budget for this period cannot cover the call's reservation (`total`: it never resets). */
  | { kind: 'budget_exceeded'; budget: NonNullable<KeyHold['budget']>; total: boolean }
  /** The key's token window is used up until `tokens.resetAt`. */
  | { kind: 'token_limit_exceeded'; tokens: NonNullable<KeyHold['tokens']> }
  /** As many calls of the key are in flight as its cap allows. */
  | { kind: 'concurrency_limit_exceeded'; maxConcurrent: number };

export type ModelCallOutcome =
  | Refusal
  /** Not reached, failed or silent past the timeout: refunded, `balance` after the refund. */
  | { kind: 'upstream_failed'; timedOut: boolean; balance: number }
  /** The upstream answered an error: refunded. `body` is its text ('' when too long to read back). */
  | { kind: 'upstream_rejected'; status: number; body: string; balance: number }
  | Answered
  | Streaming;

/** A whole answer: priced by the usage it reports (which the edge reads from `text`). */
export interface Answered {
  kind: 'answered';
  key: KeyRecord;
  /** The key's budget and token window as admitted (the edge states them in headers). */
  limits: KeyHold;
  model: CatalogModel;
  /** The deployment that answered, for a model with deployments (its usage record names it). */
  deployment?: string;
  text: string;
  bill(usage: TokenUsage | undefined): Bill;
}

/** What an answer costs, stated before it goes out; `settle()` writes it, after the answer. */
export interface Bill {
  charged: number;
  /** The balance as of the reservation with this charge applied (below zero is debt). */
  remaining: number;
  /** `seen`: the after-answer work's watch (core/usage.ts): a settlement made there counts the call in its key's day. */
  settle(seen?: SettlementSeen): Promise<Settlement>;
}

/**
 * An accepted stream: billable from here. Until it is settled, what stands is the reservation
 * (`charged`, and `remaining` right after it).
 */
export interface Streaming {
  kind: 'streaming';
  key: KeyRecord;
  limits: KeyHold;
  model: CatalogModel;
  /** The deployment that answered, for a model with deployments. */
  deployment?: string;
  /** The upstream's answer; its body is the stream. */
  answer: Response;
  charged: number;
  remaining: number;
  /** Cancels the upstream: it sent nothing for too long (`timedOut`), or the stream is done with. */
  letGo: (timedOut: boolean) => void;
  /** Settles by the usage the stream reported, else by an estimate of what it sent. */
  settle(read: StreamRead, seen?: SettlementSeen): Promise<Settlement>;
}

export interface StreamRead {
  usage: TokenUsage | undefined;
  /** The generated text the stream carried: its UTF-8 bytes and how many deltas carried it. */
  sent: { contentBytes: number; contentDeltas: number };
}

/** Longest a model call keeps its concurrency slot's lease renewed (a stream of an hour is long). */
const MAX_SLOT_HOLD_MS = 60 * 60_000;

/** Longest upstream error body read back before giving up on it. */
const MAX_ERROR_BODY = 64 * 1024;

class UpstreamTimeout extends Error {
  override name = 'UpstreamTimeout';
}

/**
 * A model call, in order:
 *
 *   the model in the catalog (else `model_not_found`, nothing charged, nothing called)
 *   → key admission (expiry, revocation, rate limit, budget, token window, slot) and the credit
 *     reservation, taken from the credits the key holds as a lease from its account: one
 *     conditional write on the key (adapters/store/key-lease.ts; now and then a lease is taken
 *     first); a reservation for a key that turns out unusable is given back
 *   → scope and the key's own model list → the upstream, with the mapped model name — or, for a
 *     model with deployments, each in turn until one answers (DeploymentRoutes), the reservation
 *     standing once for them all; a call that fails there (every deployment) or is rejected is
 *     refunded in full, once
 *   → the answer, billable: settled after it by the usage the upstream reported (per request
 *     without). The client never chooses the price: a stream is settled by what the upstream
 *     served, whether or not the client stayed to read it, and one that never reports usage is
 *     charged an estimate of what it sent (billing.ts).
 */
export async function callModel(ports: ModelCallPorts, call: ModelCallRequest): Promise<ModelCallOutcome> {
  const { billing, logger } = ports;
  const model = ports.catalog.find(call.model);
  if (!model) {
    await call.admit(); // an unknown key learns nothing, not even which models exist
    return { kind: 'model_not_found', model: call.model };
  }
  const admitted = await admitAndReserve(ports, call, model);
  if (admitted.kind !== 'reserved') return admitted;
  const { key, reservation, held } = admitted;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout()), ports.config.upstreamTimeoutMs);
  const failed = async (err: unknown): Promise<ModelCallOutcome> => {
    clearTimeout(timer);
    await held.release(0, 0);
    const balance = roundCredits(reservation.balance + reservation.amount);
    const timedOut = controller.signal.reason instanceof UpstreamTimeout;
    logger.warn('upstream failed', { timedOut, error: err instanceof Error ? err.name : 'unknown' });
    return { kind: 'upstream_failed', timedOut, balance };
  };
  let answer: Response;
  let served: Served;
  try {
    ({ answer, served } = await reach(ports, call, model, controller.signal));
  } catch (err) {
    return await failed(err);
  }
  const { body, prices } = served;
  const deployment = served.deployment === undefined ? {} : { deployment: served.deployment };

  if (!answer.ok) {
    clearTimeout(timer);
    const text = await readLimited(answer).catch(() => '');
    await held.release(0, 0);
    const balance = roundCredits(reservation.balance + reservation.amount);
    logger.warn('upstream rejected request', { upstreamStatus: answer.status, keyId: key.id, ...deployment });
    return { kind: 'upstream_rejected', status: answer.status, body: text, balance };
  }

  if (!call.stream) {
    let text: string;
    try {
      text = await answer.text();
    } catch (err) {
      return await failed(err);
    } finally {
      clearTimeout(timer);
    }
    return { kind: 'answered', key, limits: held.hold, model, ...deployment, text, bill: (usage) => billFor(billing, prices, reservation, usage, held) };
  }

  // The stream is accepted: from here it is billable, whether or not the client stays to read it.
  clearTimeout(timer);
  return {
    kind: 'streaming',
    key,
    limits: held.hold,
    model,
    ...deployment,
    answer,
    charged: reservation.amount,
    remaining: reservation.balance,
    letGo: (timedOut) => controller.abort(timedOut ? new UpstreamTimeout() : undefined),
    settle: async ({ usage, sent }, seen) => {
      const price = usage ? billing.priceOf(usage, prices) : billing.estimateOf({ requestBytes: Buffer.byteLength(body), ...sent }, prices);
      if (!usage) logger.warn('stream settled by estimate', { keyId: key.id });
      return settleAndRelease(reservation, price, held, usage, seen);
    },
  };
}

/**
 * What answered the call: the deployment (a model with deployments), the body it received (the
 * stream estimate weighs it), and the prices its answer is billed at — the deployment's own, else
 * the model's. The reservation was the model's, taken once, whichever deployment answers.
 */
interface Served {
  deployment?: string;
  body: string;
  prices: ModelPrices | undefined;
}

/** The upstream call: the model's deployments in order when it has them, else the one upstream. */
async function reach(ports: ModelCallPorts, call: ModelCallRequest, model: CatalogModel, signal: AbortSignal): Promise<{ answer: Response; served: Served }> {
  const { deployments } = model;
  if (!deployments || !ports.deployments) {
    const body = call.body(model);
    return { answer: await ports.upstream.forward(call.path, body, signal, { stream: call.stream }), served: { body, prices: model.prices } };
  }
  const bodies = new Map<string, string>();
  const bodyOf = (d: UpstreamDeployment): string => {
    const known = bodies.get(d.name) ?? call.body({ ...model, upstream: d.model });
    bodies.set(d.name, known);
    return known;
  };
  const { answer, deployment } = await ports.deployments.forward(deployments, call.path, bodyOf, signal, { stream: call.stream, timeoutMs: ports.config.upstreamTimeoutMs });
  return { answer, served: { deployment: deployment.name, body: bodyOf(deployment), prices: deployment.prices ?? model.prices } };
}

/** What settlement will charge, whole, at the answering model's prices: the balance may end below zero (debt), never the price. */
function billFor(billing: Billing, prices: ModelPrices | undefined, reservation: Reservation, usage: TokenUsage | undefined, held: Held): Bill {
  const price = billing.priceOf(usage, prices);
  return {
    charged: price,
    remaining: roundCredits(reservation.balance + reservation.amount - price),
    settle: (seen) => settleAndRelease(reservation, price, held, usage, seen),
  };
}

/**
 * The settlement is the release of what the key held, in one write on the key: the reservation
 * less the price back into its lease (below zero is debt: never forgiven), its budget charged the
 * price, its tokens counted, its slot freed — and, made in the after-answer work, the call counted
 * in its key's day (core/usage.ts `countWithSettlement`). The balance stated is as of the
 * reservation with this charge applied.
 */
async function settleAndRelease(reservation: Reservation, price: number, held: Held, usage: TokenUsage | undefined, seen: SettlementSeen | undefined): Promise<Settlement> {
  const written = held.release(price, usage?.totalTokens ?? 0, seen);
  return { charged: price, balance: roundCredits(reservation.balance + reservation.amount - price), written };
}

/**
 * What an admitted model call holds on its key until it is over: the hold itself, and its one
 * release — the budget's reservation replaced by the price, the tokens counted, the slot freed,
 * its lease renewal stopped (`seen`: the settlement of an answer in the after-answer work's watch,
 * which may count the call in its key's day). A slot's lease is renewed while the call runs (a long stream), so only a holder
 * that died lets it run out (SLOT_LEASE_MS). Releasing twice is releasing once.
 */
interface Held {
  hold: KeyHold;
  release(charge: number, tokens: number, seen?: SettlementSeen): Promise<void>;
}

function holding(ports: ModelCallPorts, key: KeyRecord, hold: KeyHold | undefined): Held {
  const kept = hold ?? {};
  if (!kept.budget && !kept.tokens && !kept.slot && !kept.credits) return { hold: kept, release: async () => undefined };
  const { slot } = kept;
  const since = ports.clock.now();
  const renewal = slot
    ? setInterval(() => {
        // A call that never ends (a bug, not a client) stops renewing: its slot then frees itself.
        if (ports.clock.now() - since > MAX_SLOT_HOLD_MS) return clearInterval(renewal);
        ports.store.renewKeySlot(key.id, slot, ports.clock.now() + SLOT_LEASE_MS).catch((err: unknown) => {
          ports.logger.warn('slot lease not renewed', { keyId: key.id, error: err instanceof Error ? err.name : 'unknown' });
        });
      }, SLOT_LEASE_MS / 3)
    : undefined;
  renewal?.unref?.();
  let released: Promise<void> | undefined;
  return {
    hold: kept,
    release: (charge, tokens, seen) => {
      if (renewal) clearInterval(renewal);
      if (!released) {
        const now = ports.clock.now();
        released = ports.store.releaseKeyUse(key.id, { hold: seen ? countWithSettlement(kept, now, key, seen) : kept, charge, tokens }, now);
      }
      return released;
    },
  };
}

/**
 * Key admission and the credit reservation, in one write on the key: the reservation is taken
 * from the credits the key holds as a lease from its account. Whatever refuses the call after it
 * was admitted (no credits to lease, API access off, the key's scope or model list) gives back
 * what the admission held before the refusal goes out.
 */
async function admitAndReserve(
  ports: ModelCallPorts,
  call: ModelCallRequest,
  model: CatalogModel,
): Promise<Refusal | { kind: 'reserved'; key: KeyRecord; reservation: Reservation; held: Held }> {
  // The called model's reserve (a large model may hold more), else the global one.
  const amount = ports.billing.reserveAmount(model.prices);
  const admission = await call.admit({ reserve: amount });
  const held = admission.result === 'valid' ? holding(ports, admission.key, admission.hold) : undefined;
  const refusal = overLimit(admission) ?? accessRefusal(admission.key, model) ?? creditRefusal(admission.hold);
  if (refusal) {
    await held?.release(0, 0);
    return refusal;
  }
  const credits = admission.hold?.credits;
  if (!credits) throw new KeywardenError('service_unavailable', 'The admission took no credit reservation; try again.');
  return { kind: 'reserved', key: admission.key, reservation: { accountId: credits.accountId, amount: credits.reserved, balance: credits.balance }, held: held! };
}

/** No lease could be taken for the call (out of credits, or API access off): refused, with the balance seen. */
function creditRefusal(hold: KeyHold | undefined): Refusal | undefined {
  const credits = hold?.credits;
  if (!credits?.refused) return undefined;
  return { kind: 'reservation_refused', refusal: credits.refused === 'disabled' ? 'api_access_disabled' : 'insufficient_quota', balance: credits.balance };
}

/** The key's own model-call limits that refused it, as the call's outcome. */
function overLimit(admission: KeyAdmission): Refusal | undefined {
  if (admission.result !== 'over_limit') return undefined;
  const { hold, key } = admission;
  switch (admission.limit) {
    case 'budget':
      return { kind: 'budget_exceeded', budget: hold.budget!, total: key.budget?.period === 'total' };
    case 'tokens':
      return { kind: 'token_limit_exceeded', tokens: hold.tokens! };
    case 'concurrency':
      return { kind: 'concurrency_limit_exceeded', maxConcurrent: key.maxConcurrent ?? 0 };
  }
}

/** The key's own limits on model calls: the `responses:write` scope, and its model list if it has one. */
function accessRefusal(key: KeyRecord, model: CatalogModel): Refusal | undefined {
  if (!checkPermission(key, 'responses:write').allowed) return { kind: 'scope_missing', scope: 'responses:write' };
  if (!keyMayUse(key, model.id)) return { kind: 'model_not_found', model: model.id };
  return undefined;
}

async function readLimited(response: Response): Promise<string> {
  const text = await response.text();
  return text.length > MAX_ERROR_BODY ? '' : text;
}
