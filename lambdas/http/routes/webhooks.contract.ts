// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { EVENT_TYPES } from '../../core/events';
import { contract } from '../route-contract';
import { idSlot, isoTime, nullableTime, safeText } from '../schemas';

/**
 * A project's webhooks (routes/webhooks.ts, core/webhooks.ts): endpoints that receive the
 * project's lifecycle events (docs/events.md), signed per the Standard Webhooks specification.
 */

export const WEBHOOK_ID_PATTERN = /^wh_[0-9A-Za-z]{16}$/;
export const WebhookIdSlot = (param: string) => idSlot(param, WEBHOOK_ID_PATTERN, 'a webhook id (wh_ and 16 letters or digits)');

export const CreateWebhookBody = z.strictObject({
  url: safeText('url', 2048).min(1).describe('https only (locally, http to a loopback address with KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK=1); never a private, loopback, link-local or metadata address'),
  events: z
    .array(z.enum(EVENT_TYPES))
    .min(1)
    .max(EVENT_TYPES.length)
    .optional()
    .describe('The event types it receives; absent = every type'),
  description: safeText('description', 200).optional(),
});

export const WebhookSchema = z.strictObject({
  object: z.literal('webhook'),
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  description: z.string().nullable(),
  createdAt: isoTime,
  createdBy: z.string(),
});

export const DeliverySchema = z.strictObject({
  object: z.literal('webhook.delivery'),
  webhookId: z.string(),
  eventId: z.string().describe('The event id: the webhook-id header of every attempt'),
  eventType: z.enum(EVENT_TYPES),
  eventAt: isoTime,
  status: z.enum(['pending', 'delivered', 'failed']).describe('failed: given up after 24 hours of retries'),
  attempts: z.number().int(),
  lastAttemptAt: nullableTime,
  lastStatus: z.number().int().nullable().describe('The HTTP status the endpoint answered last, if it answered'),
  lastError: z.string().nullable(),
  nextAttemptAt: nullableTime,
  deliveredAt: nullableTime,
});

const ListQuery = z.object({
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const WEBHOOKS_CONTRACT = {
  createWebhook: contract({
    method: 'POST',
    path: '/v1/webhooks',
    operationId: 'createWebhook',
    summary: 'Register a webhook endpoint for the project’s lifecycle events; its signing secret is shown once',
    description:
      'Needs webhooks:write, and audit:read without row filters (an event tells what the audit trail does). The URL is checked now and its address again at every delivery (no private, loopback, link-local or metadata address; no redirect followed). ' +
      'Deliveries are signed per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature) with the secret answered here, and retried with exponential backoff for 24 hours.',
    tags: ['Webhooks'],
    auth: 'key',
    body: CreateWebhookBody,
    success: {
      status: 201,
      description: 'The webhook, with its signing secret (whsec_…): the only answer that carries it',
      schema: WebhookSchema.extend({ secret: z.string().describe('whsec_…: verify deliveries with it (the standardwebhooks package)') }),
    },
    errors: [409],
  }),
  listWebhooks: contract({
    method: 'GET',
    path: '/v1/webhooks',
    operationId: 'listWebhooks',
    summary: 'The project’s webhook endpoints (never their secrets)',
    tags: ['Webhooks'],
    auth: 'key',
    success: { status: 200, description: 'Every webhook of the project', schema: z.strictObject({ object: z.literal('list'), data: z.array(WebhookSchema) }) },
  }),
  deleteWebhook: contract({
    method: 'DELETE',
    path: '/v1/webhooks/:id',
    operationId: 'deleteWebhook',
    summary: 'Remove a webhook endpoint: nothing more is sent to it',
    tags: ['Webhooks'],
    auth: 'key',
    params: z.object({ id: WebhookIdSlot('id') }),
    success: { status: 200, description: 'Removed', schema: z.strictObject({ object: z.literal('webhook'), id: z.string(), deleted: z.literal(true) }) },
    errors: [404],
  }),
  listWebhookDeliveries: contract({
    method: 'GET',
    path: '/v1/webhooks/:id/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'A webhook’s delivery log, newest event first: each event’s attempts, last answer and next retry',
    tags: ['Webhooks'],
    auth: 'key',
    params: z.object({ id: WebhookIdSlot('id') }),
    query: ListQuery,
    success: {
      status: 200,
      description: 'A page of deliveries',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
    },
    errors: [404],
  }),
} as const;
