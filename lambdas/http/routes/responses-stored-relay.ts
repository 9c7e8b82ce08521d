import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import type { KeyRecord } from '../../core/types';
import type { RequestContext } from '../request-context';
import { upstreamRejection } from '../upstream-rejection';
import type { HttpResponse } from '../types';

/**
 * The one relay of the calls on what the upstream stores for a project (stored responses,
 * conversations), once the caller's key is admitted and the object found its project's
 * (stored-owners.ts): the account's API access on, the upstream called with the platform's key,
 * its answer relayed as it came (an error answer mapped as a model call's: upstream-rejection.ts).
 * Nothing is billed: these calls use no tokens (OpenAI does not bill them either); each leaves a
 * usage record (after-answer.ts).
 */
export type UpstreamSend = (signal: AbortSignal) => Promise<Response>;

/**
 * The query pairs passed on: the route's own parameters only, each value as sent (a repeated
 * `include[]` keeps every value); the contract has validated the last of each, and every one is
 * checked the same way here, so nothing the schema would refuse reaches the upstream.
 */
export function passedOn(ctx: RequestContext<unknown, unknown, unknown>, names: string[]): Array<[string, string]> {
  const pairs = ctx.req.queryPairs ?? Object.entries(ctx.req.query);
  const kept = pairs.filter(([name]) => names.includes(name)).map(([name, value]): [string, string] => [name, value ?? '']);
  for (const [name, value] of kept) {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value)) throw new KeywardenError('invalid_request_error', `${name} must be a plain value (letters, digits, _ . : -)`, { param: name });
  }
  return kept;
}

/**
 * `send` is the upstream's method bound to the call, or undefined when this upstream does not
 * serve it (`notServed` is then the 404's message). `stream`: the answer is an event stream,
 * relayed as it arrives. `deployment`: the upstream deployment called (where the object lives),
 * which the call's usage record names.
 */
export async function relayUpstream(
  ctx: RequestContext<unknown, unknown, unknown>,
  key: KeyRecord,
  send: UpstreamSend | undefined,
  notServed: string,
  stream = false,
  deployment?: string,
): Promise<HttpResponse> {
  const answer = await relayed(ctx, key, send, notServed, stream);
  if (deployment === undefined || answer.finish) return answer;
  return { ...answer, finish: async () => ({ credits: 0, deployment }) };
}

async function relayed(ctx: RequestContext<unknown, unknown, unknown>, key: KeyRecord, send: UpstreamSend | undefined, notServed: string, stream: boolean): Promise<HttpResponse> {
  const { accountGate, config, logger } = ctx.services;
  if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
  if (!send) throw new KeywardenError('not_found', notServed);
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), config.upstreamTimeoutMs);
  let answer: Response;
  try {
    answer = await send(controller.signal);
  } catch {
    clearTimeout(timer);
    logger.warn('upstream failed', { route: ctx.req.path.startsWith('/v1/conversations') ? 'conversation' : 'stored response', timedOut: controller.signal.aborted });
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
