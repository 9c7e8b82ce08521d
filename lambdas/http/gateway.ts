import { refusalError, type Reservation } from '../core/billing';
import { roundCredits } from '../core/credits';
import { KeywardenError } from '../core/errors';
import { keyMayUse, MODEL_ID_PATTERN, type CatalogModel } from '../core/models';
import { checkPermission } from '../core/policy';
import type { KeyRecord } from '../core/types';
import type { UpstreamPath } from '../adapters/upstream';
import { billingEvidence } from './after-answer';
import type { RequestContext } from './request-context';
import type { CallUsage, HttpResponse } from './types';

/** Longest upstream error body we read back before giving up on it. */
const MAX_ERROR_BODY = 64 * 1024;
/** Longest server-sent event the usage tap holds while looking for usage (a Responses `response.completed` carries the whole response). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;
/**
 * When the client of a stream leaves before the stream's usage event, the upstream is read on
 * (nothing relayed) until the usage arrives, for at most this long after the answer ended…
 */
export const DRAIN_MAX_MS = 30_000;
/** …and at most this many bytes; then the upstream is cancelled and the call charged its estimate (billing.ts). */
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

type Usage = NonNullable<CallUsage['usage']>;

/**
 * One OpenAI API the gateway serves: where it goes upstream, how the request is adjusted for the
 * upstream, and where its answers report usage. Both APIs share `forward`, the one pipeline.
 */
export interface GatewayApi {
  upstreamPath: UpstreamPath;
  /**
   * The body the upstream receives: always serialized from the validated request (never the
   * caller's raw bytes, whose duplicate keys another parser may read otherwise), with the mapped
   * model name and whatever billing needs.
   */
  upstreamBody(request: Record<string, unknown>, model: CatalogModel, streaming: boolean): string;
  /** Usage in a complete JSON answer. */
  usageOf(answer: unknown): Usage | undefined;
  /** Usage in one event of a stream (its parsed `data:`). */
  streamUsageOf(event: unknown): Usage | undefined;
  /** The generated text one event of a stream carries (its deltas), for the estimate when no usage arrives. */
  streamTextOf(event: unknown): string[];
}

export interface GatewayRequest {
  model: string;
  stream?: boolean | null;
  [field: string]: unknown;
}

class UpstreamTimeout extends Error {
  override name = 'UpstreamTimeout';
}

/**
 * The gateway pipeline (SPEC §4), for /v1/responses and /v1/chat/completions alike:
 *
 *   model in the catalog (else 404, nothing charged, nothing called)
 *   → key admission (expiry, revocation, rate limit: one conditional write) and the credit
 *     reservation (one conditional write) — side by side once this instance knows the key's
 *     account, so the critical path holds one storage round trip; a reservation for a key that
 *     turns out unusable is given back
 *   → scope and the key's own model list → the upstream, with the mapped model name
 *   → the answer, with the X-<Brand>-* evidence: what was charged, and the balance as of the
 *     reservation with this charge applied
 *   → after the answer (finish): settlement against the usage the call reported, and the usage
 *     record. A stream states its reservation in the headers and is settled from the usage it
 *     reports. The client never chooses the price: one that leaves early does not stop the
 *     reading — the upstream is read on (DRAIN_MAX_MS, DRAIN_MAX_BYTES) until its usage arrives,
 *     and a stream that never reports usage is charged an estimate of what it sent (billing.ts).
 */
export async function forward(ctx: RequestContext<unknown, unknown, GatewayRequest>, api: GatewayApi): Promise<HttpResponse> {
  const { billing, upstream, config, catalog, logger } = ctx.services;
  const evidence = (charged: number, remaining: number) => billingEvidence(ctx.services, ctx.req.requestId, charged, remaining);
  const request = ctx.input.body;
  const streaming = request.stream === true;
  const model = catalog.find(request.model);
  if (!model) {
    await ctx.key(); // an unknown key learns nothing, not even which models exist
    throw modelNotFound(request.model);
  }
  const { key, reservation } = await admitAndReserve(ctx, model, billing.reserveAmount());

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout()), config.upstreamTimeoutMs);
  const failed = async (err: unknown) => {
    clearTimeout(timer);
    const balance = await billing.refund(reservation);
    Object.assign(ctx.responseHeaders, evidence(0, balance));
    const timedOut = controller.signal.reason instanceof UpstreamTimeout;
    logger.warn('upstream failed', { timedOut, error: err instanceof Error ? err.name : 'unknown' });
    return timedOut
      ? new KeywardenError('upstream_timeout', 'The model service did not answer in time.')
      : new KeywardenError('upstream_error', 'The model service could not be reached.');
  };
  let answer: Response;
  const body = api.upstreamBody(request, model, streaming);
  try {
    answer = await upstream.forward(api.upstreamPath, body, controller.signal, { stream: streaming });
  } catch (err) {
    throw await failed(err);
  }

  if (!answer.ok) {
    clearTimeout(timer);
    const text = await readLimited(answer).catch(() => '');
    const balance = await billing.refund(reservation);
    Object.assign(ctx.responseHeaders, evidence(0, balance));
    logger.warn('upstream rejected request', { upstreamStatus: answer.status, keyId: key.id });
    const status = answer.status;
    // The caller's own mistake (bad input): relay the upstream's OpenAI-shaped error.
    if (status >= 400 && status < 500 && ![401, 403, 429].includes(status) && isErrorShape(text)) {
      return { status, headers: { 'content-type': 'application/json' }, body: text };
    }
    if (status === 429) throw new KeywardenError('service_unavailable', 'The model is busy; retry shortly.', { retryAfterSeconds: 5 });
    throw new KeywardenError('upstream_error', `The model service answered ${status}.`);
  }

  if (!streaming) {
    let text: string;
    try {
      text = await answer.text();
    } catch (err) {
      throw await failed(err);
    } finally {
      clearTimeout(timer);
    }
    let usage: Usage | undefined;
    try {
      usage = api.usageOf(JSON.parse(text));
    } catch {
      usage = undefined;
    }
    // What settlement will charge, whole: the balance may end below zero (debt), never the price.
    const price = billing.priceOf(usage);
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...evidence(price, roundCredits(reservation.balance + reservation.amount - price)) },
      body: text,
      finish: async () => {
        const settled = await billing.settle(reservation, price);
        return { model: model.id, streamed: false, ...(usage ? { usage } : {}), credits: settled.charged, written: settled.written };
      },
    };
  }

  // The stream is accepted: from here it is billable. The headers state the reservation; the
  // usage the stream reports settles it, whether or not the client stays to read it.
  clearTimeout(timer);
  const upstreamStream = new MeteredStream(answer.body, new UsageTap(api), controller, config.upstreamTimeoutMs);
  return {
    status: 200,
    headers: {
      'content-type': answer.headers.get('content-type') ?? 'text/event-stream',
      'cache-control': 'no-cache',
      ...evidence(reservation.amount, reservation.balance),
    },
    stream: relay(upstreamStream),
    // Whether the client stayed (`completed`) does not enter the price: what the upstream served does.
    finish: async () => {
      const tap = await upstreamStream.drain();
      const usage = tap.usage;
      const price = usage ? billing.priceOf(usage) : billing.estimateOf({ requestBytes: Buffer.byteLength(body), ...tap.text });
      if (!usage) logger.warn('stream settled by estimate', { keyId: key.id });
      const settled = await billing.settle(reservation, price);
      return { model: model.id, streamed: true, ...(usage ? { usage } : {}), credits: settled.charged, written: settled.written };
    },
  };
}

/**
 * Key admission and the credit reservation. When this instance has seen the key admitted before,
 * its account is known (a key never changes account) and both writes go out together; otherwise
 * the key is admitted first. Whatever refuses the call after a reservation was taken (the key,
 * its scope, its model list) gives the reservation back before the error goes out.
 */
async function admitAndReserve(
  ctx: RequestContext<unknown, unknown, GatewayRequest>,
  model: CatalogModel,
  amount: number,
): Promise<{ key: KeyRecord; reservation: Reservation }> {
  const { billing, auth } = ctx.services;
  const known = await auth.accountOf(ctx.bearer());
  let key: KeyRecord;
  let reserved: Awaited<ReturnType<typeof billing.reserve>> | undefined;
  if (known) {
    const [admitted, reservation] = await Promise.allSettled([ctx.key(), billing.reserve(known, amount)]);
    const taken = reservation.status === 'fulfilled' && reservation.value.ok ? reservation.value.reservation : undefined;
    try {
      if (admitted.status === 'rejected') throw admitted.reason;
      if (reservation.status === 'rejected') throw reservation.reason;
      key = admitted.value;
      requireGatewayAccess(key, model);
      if (key.accountId !== known) throw new KeywardenError('service_unavailable', 'The key changed account; try again.');
    } catch (err) {
      if (taken) await billing.refund(taken);
      throw err;
    }
    reserved = reservation.value;
  } else {
    key = await ctx.key();
    requireGatewayAccess(key, model);
    reserved = await billing.reserve(key.accountId, amount);
  }
  if (!reserved.ok) {
    Object.assign(ctx.responseHeaders, billingEvidence(ctx.services, ctx.req.requestId, 0, reserved.balance));
    throw refusalError(reserved.refusal);
  }
  return { key, reservation: reserved.reservation };
}

function requireGatewayAccess(key: KeyRecord, model: CatalogModel): void {
  if (!checkPermission(key, 'responses:write').allowed) {
    throw new KeywardenError('insufficient_permissions', 'This key lacks the responses:write permission.');
  }
  if (!keyMayUse(key, model.id)) throw modelNotFound(model.id);
}

function modelNotFound(model: string): KeywardenError {
  return new KeywardenError('model_not_found', `The model ${safeModel(model)} does not exist or this key may not use it.`, { param: 'model' });
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
  usage: Usage | undefined;
  /** The generated text seen so far (for the estimate): its UTF-8 bytes and how many deltas carried it. */
  readonly text = { contentBytes: 0, contentDeltas: 0 };
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
    private readonly controller: AbortController,
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
    const idle = setTimeout(() => this.controller.abort(new UpstreamTimeout()), this.idleMs);
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
      this.controller.abort();
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

async function readLimited(response: Response): Promise<string> {
  const text = await response.text();
  return text.length > MAX_ERROR_BODY ? '' : text;
}

function isErrorShape(text: string): boolean {
  try {
    const value = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof value?.error?.message === 'string';
  } catch {
    return false;
  }
}

/** A non-negative whole token count, or undefined. */
export function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}
