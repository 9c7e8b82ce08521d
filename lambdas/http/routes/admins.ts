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
    const principal = await ctx.principal();
    const { action, keyId, search } = ctx.input.body;
    // The search runs alongside the check; only an admin sees what it found.
    const [check, found] = await Promise.all([
      ctx.services.keys.checkPersonAdmin(principal, action, keyId),
      search === undefined ? undefined : ctx.services.keys.list(principal, { search, limit: 50 }),
    ]);
    const now = ctx.services.clock.now();
    return json(200, { ...check, ...(check.admin && found ? { matches: found.items.map((k) => presentKey(k, now)) } : {}) });
  }),
];
