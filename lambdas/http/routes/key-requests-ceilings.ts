import { parseDuration } from '../../core/duration';
import { KeywardenError } from '../../core/errors';
import type { ChannelCeilingRecord } from '../../core/key-request-channel';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { KEY_REQUEST_CEILING_CONTRACT } from './key-requests-ceilings.contract';

function presentCeiling(r: ChannelCeilingRecord) {
  const c = r.ceiling;
  return {
    object: 'key_request_ceiling' as const,
    channel: r.channel,
    ceiling: {
      type: c.type ?? null,
      scopes: c.scopes ?? null,
      budget: c.budget ?? null,
      maxLifetimeSeconds: c.maxLifetimeMs === undefined ? null : Math.round(c.maxLifetimeMs / 1000),
    },
    version: r.version,
    setBy: r.setBy,
    setAt: r.setAt,
  };
}

const none = (channel: string) => new KeywardenError('not_found', `No request ceiling is set for ${channel}.`, { param: 'channel' });

/** A chat channel's ceiling on key requests (core/key-request-ceilings.ts). */
export const keyRequestCeilingRoutes: Route[] = [
  defineRoute(KEY_REQUEST_CEILING_CONTRACT.setKeyRequestCeiling, async (ctx) => {
    const { channel, ceiling } = ctx.input.body;
    const { expiresIn, ...rest } = ceiling;
    const stored = await ctx.services.keyRequests.ceilings.set(await ctx.principal(), channel, {
      ...rest,
      ...(expiresIn ? { maxLifetimeMs: parseDuration(expiresIn) } : {}),
    });
    return json(200, presentCeiling(stored));
  }),
  defineRoute(KEY_REQUEST_CEILING_CONTRACT.getKeyRequestCeiling, async (ctx) => {
    const { channel } = ctx.input.query;
    const stored = await ctx.services.keyRequests.ceilings.get(await ctx.principal(), channel);
    if (!stored) throw none(channel);
    return json(200, presentCeiling(stored));
  }),
  defineRoute(KEY_REQUEST_CEILING_CONTRACT.clearKeyRequestCeiling, async (ctx) => {
    const { channel } = ctx.input.query;
    if (!(await ctx.services.keyRequests.ceilings.clear(await ctx.principal(), channel))) throw none(channel);
    return json(200, { object: 'key_request_ceiling' as const, channel, deleted: true as const });
  }),
];
