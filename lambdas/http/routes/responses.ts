// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { refusalError, type Reservation } from '../../core/billing';
import { KeywardenError } from '../../core/errors';
import { checkPermission } from '../../core/policy';
import { CONTRACT, type ResponsesBody } from '../contract';
import { billingEvidence, defineRoute, type RequestContext, type Route } from '../router';
import { MODEL_ID_PATTERN } from '../schemas';
import { keyMayUse } from './models';
import type { HttpResponse } from '../types';

/** Longest upstream error body we read back before giving up on it. */
const MAX_ERROR_BODY = 64 * 1024;

class UpstreamTimeout extends Error {
  override name = 'UpstreamTimeout';
}

/**
 * POST /v1/responses: key → scope → expiry/revocation → rate limit (one conditional write) →
 * credit reservation (one conditional write) → the upstream, with the body forwarded unchanged.
 * Billing evidence travels in X-<Brand>-* headers, never inside event chunks.
 */
export const responseRoutes: Route[] = [
  defineRoute(CONTRACT.createResponse, respond),
];

/** The model named back in an error only when it is a plain model id (never free text, never a key). */
function safeModel(model: string): string {
  return MODEL_ID_PATTERN.test(model) && !/_[0-9A-Za-z]{20,}/.test(model) ? model : 'asked for';
}

async function respond(ctx: RequestContext<unknown, unknown, z.output<typeof ResponsesBody>>): Promise<HttpResponse> {
  const { billing, upstream, config, logger } = ctx.services;
  const evidence = (charged: number, remaining: number) => billingEvidence(ctx.services, ctx.req.requestId, charged, remaining);
  // Every answer carries the evidence, rejections included. Preflight failures (key, rate limit,
  // scope, body, quota, gate) are thrown before any reservation: nothing charged. The balance is
  // stated once the account has been consulted (from the reservation attempt on).
  const key = await ctx.key();
  if (!checkPermission(key, 'responses:write').allowed) {
    throw new KeywardenError('insufficient_permissions', 'This key lacks the responses:write permission.');
  }
  const { model } = ctx.input.body;
  const streaming = ctx.input.body.stream === true;
  if (!keyMayUse(key, model)) {
    throw new KeywardenError('model_not_found', `The model ${safeModel(model)} does not exist or this key may not use it.`, { param: 'model' });
  }
  const reserved = await billing.reserve(key.accountId, billing.reserveAmount(streaming));
  if (!reserved.ok) {
    Object.assign(ctx.responseHeaders, evidence(0, reserved.balance));
    throw refusalError(reserved.refusal);
  }
  const { reservation } = reserved;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout()), config.upstreamTimeoutMs);
  let upstreamResponse: Response;
  try {
    upstreamResponse = await upstream.responses(ctx.req.body ?? '', controller.signal);
  } catch (err) {
    clearTimeout(timer);
    throw await upstreamFailure(ctx, reservation, evidence, controller.signal.reason instanceof UpstreamTimeout, err);
  }

  if (!upstreamResponse.ok) {
    clearTimeout(timer);
    const text = await readLimited(upstreamResponse).catch(() => '');
    const balance = await billing.refund(reservation);
    Object.assign(ctx.responseHeaders, evidence(0, balance));
    logger.warn('upstream rejected request', { upstreamStatus: upstreamResponse.status, keyId: key.id });
    const status = upstreamResponse.status;
    // The caller's own mistake (bad model, bad input): relay the upstream's OpenAI-shaped error.
    if (status >= 400 && status < 500 && ![401, 403, 429].includes(status) && isErrorShape(text)) {
      return { status, headers: { 'content-type': 'application/json' }, body: text };
    }
    if (status === 429) {
      throw new KeywardenError('service_unavailable', 'The model is busy; retry shortly.', { retryAfterSeconds: 5 });
    }
    throw new KeywardenError('upstream_error', `The model service answered ${status}.`);
  }

  if (!streaming) {
    let text: string;
    try {
      text = await upstreamResponse.text();
    } catch (err) {
      throw await upstreamFailure(ctx, reservation, evidence, controller.signal.reason instanceof UpstreamTimeout, err);
    } finally {
      clearTimeout(timer);
    }
    let usage: { total_tokens?: unknown } | undefined;
    try {
      usage = (JSON.parse(text) as { usage?: { total_tokens?: unknown } }).usage;
    } catch {
      usage = undefined;
    }
    const settled = await billing.settle(reservation, billing.priceOf(usage));
    logger.info('response', { keyId: key.id, streaming, charged: settled.charged });
    return { status: 200, headers: { 'content-type': 'application/json', ...evidence(settled.charged, settled.balance) }, body: text };
  }

  // The stream is accepted: from here it is billable, charged its reservation.
  clearTimeout(timer);
  logger.info('response', { keyId: key.id, streaming, charged: reservation.amount });
  const body = upstreamResponse.body;
  return {
    status: 200,
    headers: {
      'content-type': upstreamResponse.headers.get('content-type') ?? 'text/event-stream',
      'cache-control': 'no-cache',
      ...evidence(reservation.amount, reservation.balance),
    },
    stream: relay(body, controller, config.upstreamTimeoutMs),
    finish: async ({ completed }) => {
      if (!completed) controller.abort();
    },
  };
}

async function upstreamFailure(
  ctx: RequestContext,
  reservation: Reservation,
  evidence: (charged: number, remaining: number) => Record<string, string>,
  timedOut: boolean,
  err: unknown,
): Promise<KeywardenError> {
  const balance = await ctx.services.billing.refund(reservation);
  Object.assign(ctx.responseHeaders, evidence(0, balance));
  ctx.logger.warn('upstream failed', { timedOut, error: err instanceof Error ? err.name : 'unknown' });
  return timedOut
    ? new KeywardenError('upstream_timeout', 'The model service did not answer in time.')
    : new KeywardenError('upstream_error', 'The model service could not be reached.');
}

/**
 * Relays upstream bytes as they arrive. Stopping early (client gone) cancels the upstream, and so
 * does an upstream that sends nothing for `idleMs`: an accepted stream never hangs forever.
 */
async function* relay(body: ReadableStream<Uint8Array> | null, controller: AbortController, idleMs: number): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const idle = setTimeout(() => controller.abort(new UpstreamTimeout()), idleMs);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } finally {
        clearTimeout(idle);
      }
      if (chunk.done) return;
      if (chunk.value) yield chunk.value;
    }
  } finally {
    controller.abort();
    reader.cancel().catch(() => undefined);
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

