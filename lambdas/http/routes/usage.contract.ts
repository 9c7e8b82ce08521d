// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { isoTime, KeyIdSlot } from '../schemas';

/** One record per authenticated call (routes/usage.ts). */

export const UsageQuerySchema = z.object({
  // `req_<time>_<unique>` (core/ids.ts `mintRequestId`), or the `req_<32 hex>` minted before.
  requestId: z.string().regex(/^req_(?:[0-9a-z]{9}_)?[0-9A-Za-z]{1,64}$/, 'requestId must be a request id (req_…)').optional(),
  keyId: KeyIdSlot('keyId').optional(),
  since: z.iso.datetime().optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const tokenCount = z.number().int().min(0);

export const UsageRecordSchema = z
  .strictObject({
    requestId: z.string(),
    at: isoTime,
    projectId: z.string(),
    accountId: z.string(),
    keyId: z.string(),
    route: z.string().describe('The route as declared, e.g. POST /v1/chat/completions'),
    status: z.number().int(),
    model: z.string().optional(),
    streamed: z.boolean().optional(),
    usage: z
      .strictObject({
        inputTokens: tokenCount,
        outputTokens: tokenCount,
        totalTokens: tokenCount,
        cachedInputTokens: tokenCount.optional().describe('Input tokens served from the upstream’s prompt cache (part of inputTokens), billed at the model’s cached-input price'),
      })
      .optional(),
    credits: z.number().min(0),
    deployment: z.string().optional().describe('The upstream deployment that answered, for a model with more than one (MODEL_UPSTREAMS); its prices are what credits charged'),
    sourceIp: z.string().optional().describe('The caller’s address as the edge saw it'),
    userAgent: z.string().optional().describe('The caller’s user agent, cut to 200 characters (any key in it redacted)'),
  })
  .meta({ id: 'UsageRecord' });

export const UsageListSchema = z.strictObject({
  object: z.literal('list'),
  data: z.array(UsageRecordSchema),
  nextCursor: z.string().nullable(),
  /** Per key, over every record the filters match (not only this page). */
  totals: z.array(z.strictObject({ keyId: z.string(), requests: z.number().int(), totalTokens: tokenCount, credits: z.number().min(0) })),
  totalsComplete: z.boolean().describe('false when the totals stopped at 10,000 records'),
});

export const DailyUsageQuery = z.object({
  keyId: KeyIdSlot('keyId').optional().describe('One key of the project; without it, the totals of the project’s account'),
  days: z.coerce.number().int().min(1).max(90).optional().describe('How many UTC days, ending today (default 30)'),
});

export const DailyUsageSchema = z.strictObject({
  object: z.literal('usage.daily'),
  keyId: z.string().nullable(),
  accountId: z.string().nullable().describe('Set when these are the account’s totals (no keyId)'),
  data: z
    .array(
      z.strictObject({
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('The UTC day'),
        requests: z.number().int().min(0),
        tokens: tokenCount,
        credits: z.number().min(0),
      }),
    )
    .describe('One entry per day, oldest first, today last; days without calls are zeros'),
});

export const USAGE_CONTRACT = {
  listUsage: contract({
    method: 'GET',
    path: '/v1/usage',
    operationId: 'listUsage',
    summary: 'Usage records of the project (one per authenticated call: key, route, model, streamed, status, tokens, credits), newest first, with per-key totals',
    tags: ['Usage'],
    auth: 'key',
    query: UsageQuerySchema,
    success: { status: 200, description: 'A page of usage records and the per-key totals', schema: UsageListSchema },
  }),
  dailyUsage: contract({
    method: 'GET',
    path: '/v1/usage/daily',
    operationId: 'dailyUsage',
    summary: 'Requests, tokens and credits per UTC day (≤ 90 days) for one key or the whole account, from daily counters kept as calls settle',
    tags: ['Usage'],
    auth: 'key',
    query: DailyUsageQuery,
    success: { status: 200, description: 'One entry per day, oldest first', schema: DailyUsageSchema },
    errors: [404],
  }),
} as const;
