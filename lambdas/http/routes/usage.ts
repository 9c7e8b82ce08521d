import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { USAGE_CONTRACT } from './usage.contract';

/**
 * One record per authenticated call, with per-key totals (SPEC §4; each written after its answer,
 * after-answer.ts), and the daily counters kept beside them: per key or for the account, per UTC day.
 */
export const usageRoutes: Route[] = [
  defineRoute(USAGE_CONTRACT.listUsage, async (ctx) => {
    const page = await ctx.services.usage.query(await ctx.principal(), ctx.input.query);
    return json(200, { object: 'list', data: page.items, nextCursor: page.nextCursor ?? null, totals: page.totals, totalsComplete: page.totalsComplete });
  }),
  defineRoute(USAGE_CONTRACT.dailyUsage, async (ctx) => {
    const daily = await ctx.services.usage.daily(await ctx.principal(), ctx.input.query);
    return json(200, { object: 'usage.daily', keyId: daily.keyId, accountId: daily.accountId, data: daily.data });
  }),
];
