import type { StoredResponseCall } from '../../core/ports';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { ownedBy, storedAt } from '../stored-owners';
import type { HttpResponse } from '../types';
import { STORED_RESPONSE_CONTRACT as C, InputItemsQuery, RetrieveResponseQuery } from './responses-stored.contract';
import { passedOn, relayUpstream } from './responses-stored-relay';

/**
 * OpenAI's stored responses, relayed to the upstream for the project that created them (and only
 * for it: stored-owners.ts): the key admitted and counted with `responses:write`, the owner record
 * read — and only then the upstream called (responses-stored-relay.ts): the deployment the record
 * names (the one that answered the create), else the default upstream, never another.
 */
export const storedResponseRoutes: Route[] = [
  defineRoute(C.getResponse, (ctx) => relay(ctx, 'retrieve', ctx.params.id, passedOn(ctx, Object.keys(RetrieveResponseQuery.shape)))),
  defineRoute(C.deleteResponse, (ctx) => relay(ctx, 'delete', ctx.params.id)),
  defineRoute(C.cancelResponse, (ctx) => relay(ctx, 'cancel', ctx.params.id)),
  defineRoute(C.listResponseInputItems, (ctx) => relay(ctx, 'input_items', ctx.params.id, passedOn(ctx, Object.keys(InputItemsQuery.shape)))),
];

async function relay(ctx: RequestContext<unknown, unknown, unknown>, action: StoredResponseCall['action'], id: string, query: Array<[string, string]> = []): Promise<HttpResponse> {
  const ref = { kind: 'response' as const, id };
  const { key, owner } = await ownedBy(ctx, ref);
  // Where the response lives: the deployment that created it, else the default upstream.
  const upstream = storedAt(ctx, ref, owner);
  const stream = action === 'retrieve' && query.some(([name, value]) => name === 'stream' && value === 'true');
  const send = upstream.stored && ((signal: AbortSignal) => upstream.stored!({ id, action, query, stream }, signal));
  return relayUpstream(ctx, key, send, 'Stored responses are not served by this gateway’s upstream.', stream, owner.deployment);
}
