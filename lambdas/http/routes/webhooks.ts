import type { DeliveryRecord, WebhookRecord } from '../../core/events';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { WEBHOOKS_CONTRACT } from './webhooks.contract';

/** A webhook as answered: never its secret, sealed or not. */
function presentWebhook(w: WebhookRecord) {
  return { object: 'webhook' as const, id: w.id, url: w.url, events: w.events, description: w.description ?? null, createdAt: w.createdAt, createdBy: w.createdBy };
}

function presentDelivery(d: DeliveryRecord) {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    object: 'webhook.delivery' as const,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    eventAt: d.eventAt,
    status: d.status,
    attempts: d.attempts,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastStatus: d.lastStatus ?? null,
    lastError: d.lastError ?? null,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAt) : null,
    deliveredAt: iso(d.deliveredAt),
  };
}

/** A project's webhooks and their delivery logs (core/webhooks.ts). */
export const webhookRoutes: Route[] = [
  defineRoute(WEBHOOKS_CONTRACT.createWebhook, async (ctx) => {
    const { webhook, secret } = await ctx.services.webhooks.create(await ctx.principal(), ctx.input.body);
    return json(201, { ...presentWebhook(webhook), secret }, { 'cache-control': 'no-store' });
  }),
  defineRoute(WEBHOOKS_CONTRACT.listWebhooks, async (ctx) => {
    const webhooks = await ctx.services.webhooks.list(await ctx.principal());
    return json(200, { object: 'list', data: webhooks.map(presentWebhook) });
  }),
  defineRoute(WEBHOOKS_CONTRACT.deleteWebhook, async (ctx) => {
    await ctx.services.webhooks.remove(await ctx.principal(), ctx.params.id);
    return json(200, { object: 'webhook', id: ctx.params.id, deleted: true });
  }),
  defineRoute(WEBHOOKS_CONTRACT.listWebhookDeliveries, async (ctx) => {
    const page = await ctx.services.webhooks.deliveries(await ctx.principal(), ctx.params.id, ctx.input.query);
    return json(200, { object: 'list', data: page.items.map(presentDelivery), nextCursor: page.nextCursor ?? null });
  }),
];
