import type { ConversationCall, Upstream } from '../../core/ports';
import type { KeyRecord } from '../../core/types';
import { UPSTREAM_ID_PATTERN } from '../openai-apis';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { ownedBy, recordOwners, storedAt, storedObjectsKey } from '../stored-owners';
import { isStreamed, type HttpResponse } from '../types';
import { CONVERSATION_CONTRACT as C, ItemQuery, ItemsListQuery } from './conversations.contract';
import { passedOn, relayUpstream } from './responses-stored-relay';

/**
 * OpenAI's Conversations API, relayed to the upstream that keeps the conversations, owned per
 * project as stored responses are (stored-owners.ts): creating one needs `responses:write`, and
 * its id is recorded as the caller's project's after the answer (no round trip before it); every
 * call naming a conversation is refused with 404 unless the caller's project owns it, before the
 * upstream is called. A conversation continued by `POST /v1/responses` (`conversation`) passes the
 * same test (openai-relay.ts → `requireOwned`).
 */
export const conversationRoutes: Route[] = [
  defineRoute(C.createConversation, async (ctx) => {
    const key = await storedObjectsKey(ctx);
    return create(ctx, key, { method: 'POST', body: JSON.stringify(ctx.input.body) });
  }),
  defineRoute(C.getConversation, (ctx) => owned(ctx, { method: 'GET', id: ctx.params.id })),
  defineRoute(C.updateConversation, (ctx) => owned(ctx, { method: 'POST', id: ctx.params.id, body: JSON.stringify(ctx.input.body) })),
  defineRoute(C.deleteConversation, (ctx) => owned(ctx, { method: 'DELETE', id: ctx.params.id })),
  defineRoute(C.listConversationItems, (ctx) => owned(ctx, { method: 'GET', id: ctx.params.id, items: true, query: passedOn(ctx, Object.keys(ItemsListQuery.shape)) })),
  defineRoute(C.createConversationItems, (ctx) =>
    owned(ctx, { method: 'POST', id: ctx.params.id, items: true, query: passedOn(ctx, Object.keys(ItemQuery.shape)), body: JSON.stringify(ctx.input.body) }),
  ),
  defineRoute(C.getConversationItem, (ctx) => owned(ctx, { method: 'GET', id: ctx.params.id, items: ctx.params.itemId, query: passedOn(ctx, Object.keys(ItemQuery.shape)) })),
  defineRoute(C.deleteConversationItem, (ctx) => owned(ctx, { method: 'DELETE', id: ctx.params.id, items: ctx.params.itemId })),
];

/**
 * A call on a conversation the caller's project owns (else 404, the upstream never called), at
 * the deployment its owner record names, else the default upstream — never another.
 */
async function owned(ctx: RequestContext<unknown, unknown, unknown>, call: ConversationCall & { id: string }): Promise<HttpResponse> {
  const ref = { kind: 'conversation' as const, id: call.id };
  const { key, owner } = await ownedBy(ctx, ref);
  return relay(ctx, key, storedAt(ctx, ref, owner), call, owner.deployment);
}

function relay(ctx: RequestContext<unknown, unknown, unknown>, key: KeyRecord, upstream: Upstream, call: ConversationCall, deployment?: string): Promise<HttpResponse> {
  const send = upstream.conversations && ((signal: AbortSignal) => upstream.conversations!(call, signal));
  return relayUpstream(ctx, key, send, 'Conversations are not served by this gateway’s upstream.', false, deployment);
}

/**
 * A new conversation is kept where the default model (the catalog's first: what bots and scripts
 * call) is served, so `responses.create({ model, conversation })` finds it there: at the default
 * model's deployments when it has them — tried in order, a 429, 5xx or no connection moving it on,
 * as a model call does (upstream-deployments.ts `inOrder`) — and the deployment that created it is
 * recorded with its owner; else at the default upstream.
 */
async function create(ctx: RequestContext<unknown, unknown, unknown>, key: KeyRecord, call: ConversationCall): Promise<HttpResponse> {
  const { catalog, deployments } = ctx.services;
  const at = catalog.defaultModel.deployments;
  if (!at) return recordCreated(ctx, key, await relay(ctx, key, ctx.services.upstream, call));
  let createdAt: string | undefined;
  const send = async (signal: AbortSignal) => {
    const { answer, deployment } = await deployments.inOrder(at, (upstream) => upstream.conversations(call, signal), signal);
    createdAt = deployment.name;
    return answer;
  };
  const response = await relayUpstream(ctx, key, send, 'Conversations are not served by this gateway’s upstream.');
  return recordCreated(ctx, key, response, createdAt);
}

/**
 * The conversation the upstream created becomes the caller's project's, written after the answer
 * beside its usage record, with the deployment that keeps it. An answer that is not a conversation
 * with a well-formed id records nothing (its id would be nobody's: 404 to everyone, the safe side).
 */
function recordCreated(ctx: RequestContext<unknown, unknown, unknown>, key: KeyRecord, response: HttpResponse, deployment?: string): HttpResponse {
  if (response.status !== 200 || isStreamed(response)) return response;
  let id: unknown;
  try {
    const parsed = JSON.parse(response.body) as { object?: unknown; id?: unknown } | null;
    id = parsed?.object === 'conversation' ? parsed.id : undefined;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !UPSTREAM_ID_PATTERN.test(id)) return response;
  const conversation = id;
  const used = deployment ? { deployment } : {};
  return { ...response, finish: async () => ({ credits: 0, ...used, written: recordOwners(ctx, key, undefined, [{ kind: 'conversation', id: conversation }], deployment) }) };
}
