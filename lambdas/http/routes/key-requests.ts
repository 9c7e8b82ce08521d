import { parseDuration } from '../../core/duration';
import type { KeyRequestRecord } from '../../core/key-request-record';
import { keyRequestStatus } from '../../core/key-request-record';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { keyRequestCeilingRoutes } from './key-requests-ceilings';
import { KEY_REQUEST_CONTRACT } from './key-requests.contract';
import { issuedResponse } from './keys';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A request as answered: never its sealed value, nor an approval's lock. */
function presentKeyRequest(r: KeyRequestRecord, now: number) {
  const k = r.key;
  return {
    object: 'key_request' as const,
    id: r.id,
    projectId: r.projectId,
    status: keyRequestStatus(r, now),
    requester: r.requester,
    viaBot: r.viaBot ?? null,
    channel: r.channel ?? null,
    reason: r.reason,
    key: {
      name: k.name,
      type: k.type,
      scopes: k.scopes,
      roles: k.roles ?? null,
      context: k.context ?? null,
      prefix: k.prefix ?? null,
      expiresInSeconds: k.expiresInMs === undefined ? null : Math.round(k.expiresInMs / 1000),
      rateLimit: k.rateLimit ?? null,
      models: k.models ?? null,
      budget: k.budget ?? null,
      tokenLimit: k.tokenLimit ?? null,
      maxConcurrent: k.maxConcurrent ?? null,
    },
    createdAt: r.createdAt,
    expiresAt: new Date(r.expiresAt).toISOString(),
    decidedBy: r.decidedBy ?? null,
    decidedAt: r.decidedAt ?? null,
    denyReason: r.denyReason ?? null,
    keyId: r.keyId ?? null,
    keyStart: r.keyStart ?? null,
    claimed: r.claimedAt !== undefined,
    claimUntil: r.status === 'approved' && r.claimedAt === undefined ? iso(r.claimUntil) : null,
  };
}

/** Keys asked for, decided, and collected by their requester (core/key-requests.ts). */
export const keyRequestRoutes: Route[] = [
  defineRoute(KEY_REQUEST_CONTRACT.createKeyRequest, async (ctx) => {
    const { expiresIn, ...body } = ctx.input.body;
    const request = await ctx.services.keyRequests.request(await ctx.principal(), {
      ...body,
      ...(expiresIn ? { expiresInMs: parseDuration(expiresIn) } : {}),
    });
    return json(201, presentKeyRequest(request, ctx.services.clock.now()));
  }),
  defineRoute(KEY_REQUEST_CONTRACT.listKeyRequests, async (ctx) => {
    const page = await ctx.services.keyRequests.list(await ctx.principal(), ctx.input.query);
    const now = ctx.services.clock.now();
    return json(200, { object: 'list', data: page.items.map((r) => presentKeyRequest(r, now)), nextCursor: page.nextCursor ?? null });
  }),
  defineRoute(KEY_REQUEST_CONTRACT.approveKeyRequest, async (ctx) => {
    const request = await ctx.services.keyRequests.approve(await ctx.principal(), ctx.params.id);
    return json(200, presentKeyRequest(request, ctx.services.clock.now()));
  }),
  defineRoute(KEY_REQUEST_CONTRACT.denyKeyRequest, async (ctx) => {
    const request = await ctx.services.keyRequests.deny(await ctx.principal(), ctx.params.id, ctx.input.body.reason);
    return json(200, presentKeyRequest(request, ctx.services.clock.now()));
  }),
  defineRoute(KEY_REQUEST_CONTRACT.claimKeyRequest, async (ctx) => {
    const issued = await ctx.services.keyRequests.claim(await ctx.principal(), ctx.params.id);
    return issuedResponse(ctx, issued, 200);
  }),
  ...keyRequestCeilingRoutes,
];
