import { CONTRACT } from '../contract';
import { defineRoute, type Route } from '../route';
import { json } from '../types';

/** Where the bots reach people privately (lambdas/core/conversations.ts). */
export const conversationRoutes: Route[] = [
  defineRoute(CONTRACT.saveConversation, async (ctx) => {
    const record = await ctx.services.conversations.save(await ctx.principal(), ctx.input.body.reference);
    return json(200, record);
  }),
  defineRoute(CONTRACT.listConversations, async (ctx) => {
    const records = await ctx.services.conversations.list(await ctx.principal(), ctx.input.query);
    return json(200, { object: 'list', data: records });
  }),
];
