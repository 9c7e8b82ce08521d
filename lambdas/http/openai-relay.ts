import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../core/errors';
import { callModel, type Answered, type ModelCallOutcome, type Streaming, type TokenUsage } from '../core/model-call';
import { MODEL_ID_PATTERN } from '../core/models';
import type { KeyHold } from '../core/ports';
import type { KeyRecord } from '../core/types';
import { secondsUntil } from './auth';
import { keyLimitHeaders } from './limit-headers';
import type { GatewayApi, OwnedRef } from './openai-apis';
import { billingEvidence } from './after-answer';
import { pinnedDeployment, recordOwners, requireOwned } from './stored-owners';
import { stillRunning, watchBackground, type BackgroundOutcome } from './background-watch';
import type { RequestContext } from './request-context';
import type { CallUsage, HttpResponse } from './types';
import { upstreamRejection } from './upstream-rejection';

/** Longest server-sent event the usage tap holds while looking for usage (a Responses `response.completed` carries the whole response). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;
/**
 * When the client of a stream leaves before the stream's usage event, the upstream is read on
 * (nothing relayed) until the usage arrives, for at most this long after the answer ended…
 */
export const DRAIN_MAX_MS = 30_000;
/** …and at most this many bytes; then the upstream is cancelled and the call charged its estimate (billing.ts). */
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

export interface GatewayRequest {
  model: string;
  stream?: boolean | null;
  [field: string]: unknown;
}

type Evidence = (charged: number, remaining: number) => Record<string, string>;

/**
 * The OpenAI relay (SPEC §4), for /v1/responses, /v1/chat/completions and /v1/embeddings alike: the model call
 * (core/model-call.ts) runs with this request's key, and its outcome becomes the answer — the
 * upstream's, relayed as it came (streamed or whole) with the X-<Brand>-* evidence: what was
 * charged, and the balance as of the reservation with this charge applied — or the documented
 * error. After the answer (finish) the call is settled: by the usage a whole answer reports, or
 * by the usage a stream reports, which is read for even when the client left early — the
 * upstream is read on (DRAIN_MAX_MS, DRAIN_MAX_BYTES) until its usage arrives.
 */
export async function forward(ctx: RequestContext<unknown, unknown, GatewayRequest>, api: GatewayApi): Promise<HttpResponse> {
  const evidence: Evidence = (charged, remaining) => billingEvidence(ctx.services, ctx.req.requestId, charged, remaining);
  const request = ctx.input.body;
  const stream = api.streams && request.stream === true;
  // A call continuing another's stored objects: refused before any charge or upstream unless they are this project's.
  const named = api.namedIn?.(request) ?? [];
  // …and sent only to the deployment that keeps them, when one does (stored-owners.ts `pinnedDeployment`).
  const pinned = named.length > 0 ? await pinnedDeployment(ctx, request.model, named, await requireOwned(ctx, named)) : undefined;
  // What the upstream stores for this call becomes the caller's project's (after the answer, beside the usage record), kept where it answered.
  const own = (key: KeyRecord, model: string, refs: OwnedRef[], deployment?: string) => (request.store === false ? undefined : recordOwners(ctx, key, model, refs, deployment));
  // A background response is answered before its usage is known: watched after the answer, settled once it ends —
  // at the deployment that created it, for a model with deployments.
  const watch =
    request.background === true
      ? (id: string, deployment?: string) => watchBackground((deployment && ctx.services.deployments.built(deployment)) || ctx.services.upstream, id, api.usageOf, ctx.logger)
      : undefined;
  const ports = pinned === undefined ? ctx.services : { ...ctx.services, deployments: ctx.services.deployments.only(pinned) };
  const outcome = await callModel(ports, {
    model: request.model,
    stream,
    path: api.upstreamPath,
    body: (model) => api.upstreamBody(request, model, stream),
    bearer: ctx.bearer(),
    admit: (call) => ctx.modelCallKey(call),
  });
  const limits = (held: KeyHold, charged?: number) => keyLimitHeaders(ctx.services.config.headerBrand, held, ctx.services.clock.now(), charged);
  switch (outcome.kind) {
    case 'answered':
      return answered(outcome, api, (charged, remaining) => ({ ...evidence(charged, remaining), ...limits(outcome.limits, charged) }), own, watch);
    case 'streaming':
      return streamed(outcome, api, (charged, remaining) => ({ ...evidence(charged, remaining), ...limits(outcome.limits) }), ctx.services.config.upstreamTimeoutMs, own);
    case 'budget_exceeded':
    case 'token_limit_exceeded':
      Object.assign(ctx.responseHeaders, limits(outcome.kind === 'budget_exceeded' ? { budget: outcome.budget } : { tokens: outcome.tokens }));
      return overLimit(outcome, ctx.services.clock.now());
    default:
      return refused(outcome, (charged, remaining) => Object.assign(ctx.responseHeaders, evidence(charged, remaining)));
  }
}

/** The key's own limits refused the call before the upstream: nothing counted, nothing charged. */
function overLimit(outcome: Extract<ModelCallOutcome, { kind: 'budget_exceeded' | 'token_limit_exceeded' }>, now: number): never {
  if (outcome.kind === 'token_limit_exceeded') {
    throw new KeywardenError('rate_limit_exceeded', `Token limit reached for this API key: ${outcome.tokens.used} of ${outcome.tokens.limit} tokens used in this window. Retry after it resets.`, {
      retryAfterSeconds: secondsUntil(outcome.tokens.resetAt, now),
    });
  }
  const { credits, periodEnd } = outcome.budget;
  if (outcome.total) {
    throw new KeywardenError('budget_exceeded', `This API key has spent its budget of ${credits} credits; an admin can raise it.`, { neverRetry: true });
  }
  throw new KeywardenError('budget_exceeded', `This API key has spent its budget of ${credits} credits for this period; it resets at ${new Date(periodEnd).toISOString()}.`, {
    retryAfterSeconds: secondsUntil(periodEnd, now),
  });
}

/** Records an answer's stored objects as the caller's project's, at the deployment that answered; the write is left in flight (undefined: nothing to record). */
type Own = (key: KeyRecord, model: string, refs: OwnedRef[], deployment?: string) => Promise<void> | undefined;

/** A whole answer, relayed as the upstream sent it, priced by the usage it reports. */
function answered(call: Answered, api: GatewayApi, evidence: Evidence, own: Own, watch?: (id: string, deployment?: string) => Promise<BackgroundOutcome>): HttpResponse {
  let usage: TokenUsage | undefined;
  let refs: OwnedRef[] = [];
  let running: string | undefined;
  try {
    const parsed: unknown = JSON.parse(call.text);
    usage = api.usageOf(parsed);
    refs = api.ownedIn?.(parsed) ?? [];
    if (watch && stillRunning(parsed)) running = parsed.id;
  } catch {
    usage = undefined;
  }
  // A background response still running: the headers state its price so far (per request); settled later by its usage.
  const bill = call.bill(running ? undefined : usage);
  return {
    status: 200,
    headers: { 'content-type': 'application/json', ...evidence(bill.charged, bill.remaining) },
    body: call.text,
    finish: async (_outcome, seen) => {
      // Started first: the owner record goes out beside the settlement, not after it.
      const owned = own(call.key, call.model.id, refs, call.deployment);
      if (running && watch) usage = (await watch(running, call.deployment)).usage;
      const settled = await (running ? call.bill(usage) : bill).settle(seen);
      const used: CallUsage = { model: call.model.id, ...answeredBy(call), streamed: false, ...(usage ? { usage } : {}), credits: settled.charged, written: alongside(settled.written, owned) };
      return used;
    },
  };
}

/** The deployment that answered, for the usage record (a model with deployments only). */
function answeredBy(call: Answered | Streaming): { deployment?: string } {
  return call.deployment === undefined ? {} : { deployment: call.deployment };
}

/** The settlement's writes left in flight and the owner record's, as one. */
function alongside(written: Promise<unknown> | undefined, owned: Promise<void> | undefined): Promise<void> | undefined {
  if (!owned) return written?.then(() => undefined);
  return Promise.all([written, owned]).then(() => undefined);
}

/**
 * A stream: the headers state the reservation; the usage the stream reports settles it, whether
 * or not the client stays to read it. Whether the client stayed (`completed`) does not enter the
 * price: what the upstream served does.
 */
function streamed(call: Streaming, api: GatewayApi, evidence: Evidence, idleMs: number, own: Own): HttpResponse {
  const upstream = new MeteredStream(call.answer.body, new UsageTap(api), call.letGo, idleMs);
  return {
    status: 200,
    headers: {
      'content-type': call.answer.headers.get('content-type') ?? 'text/event-stream',
      'cache-control': 'no-cache',
      ...evidence(call.charged, call.remaining),
    },
    stream: relay(upstream),
    finish: async (_outcome, seen) => {
      const tap = await upstream.drain();
      const owned = own(call.key, call.model.id, tap.owned, call.deployment);
      const settled = await call.settle({ usage: tap.usage, sent: tap.text }, seen);
      const used: CallUsage = { model: call.model.id, ...answeredBy(call), streamed: true, ...(tap.usage ? { usage: tap.usage } : {}), credits: settled.charged, written: alongside(settled.written, owned) };
      return used;
    },
  };
}

/**
 * Every other outcome is an error, or the upstream's own (an OpenAI-shaped answer to the caller's
 * bad input, relayed). Where a balance was seen, it goes out as evidence (`state`), nothing charged.
 */
function refused(outcome: Exclude<ModelCallOutcome, Answered | Streaming | { kind: 'budget_exceeded' | 'token_limit_exceeded' }>, state: (charged: number, remaining: number) => void): HttpResponse {
  switch (outcome.kind) {
    case 'model_not_found':
      throw new KeywardenError('model_not_found', `The model ${safeModel(outcome.model)} does not exist or this key may not use it.`, { param: 'model' });
    case 'scope_missing':
      throw new KeywardenError('insufficient_permissions', `This key lacks the ${outcome.scope} permission.`);
    case 'concurrency_limit_exceeded':
      throw new KeywardenError('concurrency_limit_exceeded', `This API key already has ${outcome.maxConcurrent} calls in flight, its limit; retry when one is done.`, { retryAfterSeconds: 1 });
    case 'reservation_refused':
      state(0, outcome.balance);
      throw outcome.refusal === 'insufficient_quota'
        ? new KeywardenError('insufficient_quota', 'You exceeded your current quota: the account is out of credits.')
        : new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
    case 'upstream_failed':
      state(0, outcome.balance);
      throw outcome.timedOut
        ? new KeywardenError('upstream_timeout', 'The model service did not answer in time.')
        : new KeywardenError('upstream_error', 'The model service could not be reached.');
    case 'upstream_rejected': {
      state(0, outcome.balance);
      return upstreamRejection(outcome.status, outcome.body);
    }
  }
}

/** The model named back in an error only when it is a plain model id (never free text, never a key). */
function safeModel(model: string): string {
  return MODEL_ID_PATTERN.test(model) && !/_[0-9A-Za-z]{20,}/.test(model) ? model : 'asked for';
}

/**
 * Watches a relayed event stream for the usage it reports, without holding the stream: it keeps
 * only the event in progress (up to MAX_EVENT_BYTES) and parses each complete event's data.
 */
class UsageTap {
  usage: TokenUsage | undefined;
  /** The generated text seen so far (for the estimate): its UTF-8 bytes and how many deltas carried it. */
  readonly text = { contentBytes: 0, contentDeltas: 0 };
  /** The stored objects the stream's events carried (its response id, its conversation), each once. */
  readonly owned: OwnedRef[] = [];
  private pending = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly api: GatewayApi) {}

  push(chunk: Uint8Array | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = this.pending.search(/\r?\n\r?\n/)) >= 0) {
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end).replace(/^\r?\n\r?\n/, '');
      this.read(event);
    }
    if (this.pending.length > MAX_EVENT_BYTES) this.pending = '';
  }

  private read(event: string): void {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data || data === '[DONE]') return;
    try {
      const parsed: unknown = JSON.parse(data);
      this.usage = this.api.streamUsageOf(parsed) ?? this.usage;
      for (const ref of this.api.streamOwnedIn?.(parsed) ?? []) {
        if (!this.owned.some((seen) => seen.kind === ref.kind && seen.id === ref.id)) this.owned.push(ref);
      }
      for (const delta of this.api.streamTextOf(parsed)) {
        if (delta.length === 0) continue;
        this.text.contentBytes += Buffer.byteLength(delta);
        this.text.contentDeltas += 1;
      }
    } catch {
      // Not JSON: not ours to judge, it is relayed as it came.
    }
  }
}

/**
 * The upstream's event stream, read by one reader at a time through `next()` — the relay while the
 * client reads, then `drain()` once the answer is over — every chunk through the usage tap, in
 * order, whoever reads it. An upstream that sends nothing for `idleMs` is cancelled: an accepted
 * stream never hangs forever.
 */
class MeteredStream {
  /** The upstream ended, failed or was let go: nothing more will be read. */
  private ended = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private reading: Promise<unknown> = Promise.resolve();
  private bytes = 0;

  constructor(
    body: ReadableStream<Uint8Array> | null,
    private readonly tap: UsageTap,
    /** Cancels the upstream: on idle (`true`), or once the stream is done with. */
    private readonly letGo: (timedOut: boolean) => void,
    private readonly idleMs: number,
  ) {
    this.reader = body?.getReader();
    if (!this.reader) this.ended = true;
  }

  /** The next chunk, tapped; undefined once the upstream has ended. Reads queue behind each other. */
  next(): Promise<Uint8Array | undefined> {
    const read = this.reading.then(() => this.readOne());
    this.reading = read.catch(() => undefined);
    return read;
  }

  private async readOne(): Promise<Uint8Array | undefined> {
    if (this.ended || !this.reader) return undefined;
    const idle = setTimeout(() => this.letGo(true), this.idleMs);
    try {
      const chunk = await this.reader.read();
      if (chunk.done) {
        this.ended = true;
        return undefined;
      }
      this.bytes += chunk.value.byteLength;
      this.tap.push(chunk.value);
      return chunk.value;
    } catch (err) {
      this.ended = true;
      throw err;
    } finally {
      clearTimeout(idle);
    }
  }

  /**
   * After the answer (the client read it all, or left): reads on until the stream's usage has
   * arrived or the upstream ended — at most DRAIN_MAX_MS and DRAIN_MAX_BYTES — then lets the
   * upstream go. Returns the tap, with the usage if it came.
   */
  async drain(): Promise<UsageTap> {
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<'time'>((resolve) => (timer = setTimeout(resolve, DRAIN_MAX_MS, 'time')));
    const limit = this.bytes + DRAIN_MAX_BYTES;
    try {
      while (!this.tap.usage && !this.ended && this.bytes <= limit) {
        const step = await Promise.race([this.next().catch(() => undefined), timeUp]);
        if (step === 'time') break;
      }
    } finally {
      clearTimeout(timer);
      this.ended = true;
      this.letGo(false);
      this.reader?.cancel().catch(() => undefined);
    }
    return this.tap;
  }
}

/**
 * Relays upstream bytes to the client as they arrive. Stopping early (the client gone) leaves the
 * upstream open: the call's finish reads on for its usage (MeteredStream.drain).
 */
async function* relay(upstream: MeteredStream): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = await upstream.next();
    if (!chunk) return;
    yield chunk;
  }
}

