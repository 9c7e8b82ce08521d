import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { AUDIT_CONTRACT } from './audit.contract';

/** Who did what to which key, denied attempts included (lambdas/core/audit-log.ts). */
export const auditRoutes: Route[] = [
  defineRoute(AUDIT_CONTRACT.listAudit, async (ctx) => {
    const page = await ctx.services.audit.query(await ctx.principal(), ctx.input.query);
    return json(200, { object: 'list', data: page.items, nextCursor: page.nextCursor ?? null });
  }),
];
