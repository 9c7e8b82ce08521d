import { presentKey } from '../presenters';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { ADMIN_CONTRACT } from './admins.contract';

/** The chat identities that administer the project, and the check a bot makes before it offers an admin action. */
export const adminRoutes: Route[] = [
  defineRoute(ADMIN_CONTRACT.listAdmins, async (ctx) => {
    const admins = await ctx.services.keys.admins(await ctx.principal());
    return json(200, { object: 'list', data: admins.map((identity) => ({ identity })) });
  }),
  defineRoute(ADMIN_CONTRACT.checkAdmin, async (ctx) => {
    const { action, keyId, search } = ctx.input.body;
    // With a search, the person's admin entry is read with the matching keys (one round trip); only an admin sees them.
    const { identity, admin, matches } = await ctx.services.keys.checkPersonAdmin(await ctx.principal(), action, keyId, search);
    const now = ctx.services.clock.now();
    return json(200, { identity, admin, ...(matches ? { matches: matches.map((k) => presentKey(k, now)) } : {}) });
  }),
];
