import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import type { StoredResponseCall } from '../../core/ports';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { ownedBy } from '../stored-owners';
import { upstreamRejection } from '../upstream-rejection';
import type { HttpResponse } from '../types';
import { STORED_RESPONSE_CONTRACT as C, InputItemsQuery, RetrieveResponseQuery } from './responses-stored.contract';

/**
 * OpenAI's stored responses, relayed to the upstream for the project that created them (and only
 * for it: stored-owners.ts): the key admitted and counted with `responses:write`, the account's
 * API access on, the owner record read — and only then the upstream called. Nothing is billed:
 * these calls use no tokens (OpenAI does not bill them either); each leaves a usage record.
 */
export const storedResponseRoutes: Route[] = [
  defineRoute(C.getResponse, (ctx) => relay(ctx, 'retrieve', ctx.params.id, passedOn(ctx, Object.keys(RetrieveResponseQuery.shape)))),
  defineRoute(C.deleteResponse, (ctx) => relay(ctx, 'delete', ctx.params.id)),
  defineRoute(C.cancelResponse, (ctx) => relay(ctx, 'cancel', ctx.params.id)),
  defineRoute(C.listResponseInputItems, (ctx) => relay(ctx, 'input_items', ctx.params.id, passedOn(ctx, Object.keys(InputItemsQuery.shape)))),
];

/**
 * The query pairs passed on: the route's own parameters only, each value as sent (a repeated
 * `include[]` keeps every value); the contract has validated the last of each, and every one is
 * checked the same way here, so nothing the schema would refuse reaches the upstream.
 */
function passedOn(ctx: RequestContext<unknown, unknown, unknown>, names: string[]): Array<[string, string]> {
  const pairs = ctx.req.queryPairs ?? Object.entries(ctx.req.query);
  const kept = pairs.filter(([name]) => names.includes(name)).map(([name, value]): [string, string] => [name, value ?? '']);
  for (const [name, value] of kept) {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value)) throw new KeywardenError('invalid_request_error', `${name} must be a plain value (letters, digits, _ . : -)`, { param: name });
  }
  return kept;
}

async function relay(ctx: RequestContext<unknown, unknown, unknown>, action: StoredResponseCall['action'], id: string, query: Array<[string, string]> = []): Promise<HttpResponse> {
  const key = await ownedBy(ctx, { kind: 'response', id });
  const { upstream, accountGate, config, logger } = ctx.services;
  if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
  if (!upstream.stored) throw new KeywardenError('not_found', 'Stored responses are not served by this gateway’s upstream.');
  const stream = action === 'retrieve' && query.some(([name, value]) => name === 'stream' && value === 'true');
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), config.upstreamTimeoutMs);
  let answer: Response;
  try {
    answer = await upstream.stored({ id, action, query, stream }, controller.signal);
  } catch {
    clearTimeout(timer);
    logger.warn('upstream failed', { route: 'stored response', timedOut: controller.signal.aborted });
    throw controller.signal.aborted
      ? new KeywardenError('upstream_timeout', 'The model service did not answer in time.')
      : new KeywardenError('upstream_error', 'The model service could not be reached.');
  }
  const contentType = answer.headers.get('content-type') ?? 'application/json';
  if (!answer.ok || !stream || !answer.body) {
    let text: string;
    try {
      text = await answer.text();
    } catch {
      throw new KeywardenError('upstream_error', 'The model service could not be reached.');
    } finally {
      clearTimeout(timer);
    }
    if (answer.ok) return { status: answer.status, headers: { 'content-type': contentType }, body: text };
    return upstreamRejection(answer.status, text);
  }
  // A replayed event stream: relayed as it arrives, the upstream let go if it idles as long as it may take to answer.
  clearTimeout(timer);
  const reader = answer.body.getReader();
  async function* events(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        timer = setTimeout(() => controller.abort(), config.upstreamTimeoutMs);
        const chunk = await reader.read();
        clearTimeout(timer);
        if (chunk.done) return;
        yield chunk.value;
      }
    } finally {
      clearTimeout(timer);
      reader.cancel().catch(() => undefined);
    }
  }
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-cache' }, stream: events() };
}

