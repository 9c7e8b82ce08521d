// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { ActorSlot } from '../schemas';

/**
 * What the Slack and Teams bots need from /v1 (routes/bots.ts): private conversations, delivery
 * claims, leak reports. All under /v1/bots: the rest of /v1 is shared with OpenAI's API, and a
 * bot route on one of its paths answers calls meant for OpenAI (issue 24: `client.conversations
 * .create()` reached the bots' conversation references and got a 400). Moved, not aliased: both
 * bots ship in the same bundle as the API, so no client of the old paths outlives the move.
 */

/** A service URL a bot may post to: https, or a loopback http one (the Bot Framework Emulator). */
const ServiceUrl = z
  .url({ error: 'serviceUrl must be a URL' })
  .max(512)
  .refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u), 'serviceUrl must be https (or loopback http)');
const refId = z.string().min(1).max(512);

export const ConversationReferenceSchema = z
  .strictObject({
    channelId: z.string().min(1).max(64),
    serviceUrl: ServiceUrl,
    conversation: z.strictObject({ id: refId, tenantId: z.string().max(128).optional(), conversationType: z.string().max(32).optional() }),
    bot: z.strictObject({ id: refId, name: z.string().max(256).optional() }),
    user: z.strictObject({ id: refId, aadObjectId: z.string().max(128).optional(), name: z.string().max(256).optional() }).optional(),
  })
  .meta({ id: 'ConversationReference' });

export const SaveConversationBody = z.strictObject({ reference: ConversationReferenceSchema });

export const ConversationSchema = z.strictObject({
  projectId: z.string(),
  identity: z.string(),
  bot: z.string(),
  reference: ConversationReferenceSchema,
  updatedAt: z.string(),
});

export const ConversationsQuery = z.object({
  bot: z.enum(['slack', 'teams']).optional(),
  identity: ActorSlot.optional(),
});

/**
 * `id`: 64 lowercase hex, an HMAC-SHA-256 under the bot-only secret of what the delivery is
 * (lambdas/core/delivery-claim.ts). `proof`: the same secret's HMAC over the calling key id and
 * the id; without a valid one the claim is refused (403): only the project's bots claim.
 */
export const ClaimDeliveryBody = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{64}$/, 'id must be 64 lowercase hex characters (a SHA-256)'),
  proof: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'proof must be 43 base64url characters (an HMAC-SHA-256)').optional(),
  /**
   * How long the claim holds, in seconds (default 600: covers every replay a platform signature
   * check would let through). Longer for notices sent once per key and threshold: up to 90 days.
   */
  keepForSeconds: z.number().int().min(60).max(90 * 86_400).optional(),
});

/** A key value a bot saw posted in a conversation (the leak guard), and where: possession is the authority to report it. */
export const ReportLeakBody = z.strictObject({
  key: z.string().min(1).max(200).describe('The key value as posted (sent in the body, never a URL; never stored or echoed)'),
  location: z.string().min(1).max(500).describe('Where it was posted: a channel or message link'),
});

export const ReportLeakResult = z.strictObject({
  object: z.literal('leak_report'),
  found: z.boolean().describe('false: not a live key of this environment (nothing done)'),
  keyId: z.string().nullable(),
  projectId: z.string().nullable(),
  handled: z.enum(['revoked', 'rotated', 'already']).nullable(),
});

export const BOT_CONTRACT = {
  saveConversation: contract({
    // A bot records where it reaches a person privately (Teams: the 1:1 chat captured at install).
    method: 'POST',
    path: '/v1/bots/conversations',
    operationId: 'saveConversation',
    summary: 'Save where this bot reaches the person named by X-Keywarden-Actor privately (a Bot Framework conversation reference)',
    tags: ['Bots'],
    auth: 'key',
    body: SaveConversationBody,
    success: { status: 200, description: 'Saved', schema: ConversationSchema },
  }),
  listConversations: contract({
    method: 'GET',
    path: '/v1/bots/conversations',
    operationId: 'listConversations',
    summary: 'Where the project’s bots reach people privately (needs bots:read)',
    tags: ['Bots'],
    auth: 'key',
    query: ConversationsQuery,
    success: { status: 200, description: 'The saved conversations', schema: z.strictObject({ object: z.literal('list'), data: z.array(ConversationSchema) }) },
  }),
  claimDelivery: contract({
    method: 'POST',
    path: '/v1/bots/deliveries',
    operationId: 'claimDelivery',
    summary: 'A bot claims an incoming platform request or a once-only notice before acting on it; a replay is 409 conflict',
    description:
      'Only a bot may claim: the body carries a proof signed with the bot-only secret and bound to the calling key and the id (any other key is 403). A claim is held per calling key, so no other key can take it first.',
    tags: ['Bots'],
    auth: 'key',
    body: ClaimDeliveryBody,
    success: { status: 200, description: 'Claimed: act on it', schema: z.strictObject({ claimed: z.literal(true) }) },
    errors: [403, 409],
  }),
  reportLeak: contract({
    method: 'POST',
    path: '/v1/bots/leaks',
    operationId: 'reportLeak',
    summary: 'A bot reports a key value it saw posted in a conversation: a live key (of any project) goes through the exposure pipeline (revoked now; the Automator key rotated)',
    description: 'Holding the value is the authority to report it. The answer names the key id and project, never the value.',
    tags: ['Bots'],
    auth: 'key',
    body: ReportLeakBody,
    success: { status: 200, description: 'Whether it was a live key, and what was done', schema: ReportLeakResult },
  }),
} as const;
