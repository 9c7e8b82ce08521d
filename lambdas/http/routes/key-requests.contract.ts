// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { KEY_REQUEST_ID_PATTERN, KEY_REQUEST_STATUSES } from '../../core/key-request-record';
import { KEY_TYPES, SCOPES } from '../../core/scopes';
import { contract } from '../route-contract';
import { idSlot, isoTime, nullableTime, safeText } from '../schemas';
import { ChannelSlot, KEY_REQUEST_CEILING_CONTRACT } from './key-requests-ceilings.contract';
import { BudgetBody, CreateKeyBody, IssuedKeySchema, RateLimitSchema, RoleSchema } from './keys.contract';

/**
 * Keys asked for, approved or denied (routes/key-requests.ts, core/key-requests.ts): anyone of the
 * project asks, a key manager decides, the value goes only to the requester (claim, once).
 */

export const KeyRequestIdSlot = (param: string) => idSlot(param, KEY_REQUEST_ID_PATTERN, 'a key request id (kreq_ and 16 letters or digits)');

/** What text must hold to count as said: something besides spaces. */
const said = (param: string, max: number) => safeText(param, max).refine((v) => v.trim().length > 0, { message: `${param} must not be blank` });

/** The fields and checks of `POST /v1/keys`, the name required, and why. */
export const CreateKeyRequestBody = CreateKeyBody.extend({
  name: said('name', 200).describe('The key asked for; one pending request per requester and name'),
  reason: said('reason', 1000).describe('Why: shown to the admins who decide'),
  channel: ChannelSlot.optional().describe(
    'The chat channel asked from: sent only by a bot acting for a person (its key plus the person’s X-Keywarden-Actor), from anyone else 400. The channel’s ceiling, if any, binds the request (403 naming what is beyond it)',
  ),
});

export const DenyKeyRequestBody = z.strictObject({
  reason: said('reason', 1000).describe('Why not: shown to the requester'),
});

export const ListKeyRequestsQuery = z.object({
  status: z.enum(KEY_REQUEST_STATUSES).optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const KeyRequestSchema = z.strictObject({
  object: z.literal('key_request'),
  id: z.string(),
  projectId: z.string(),
  status: z.enum(KEY_REQUEST_STATUSES).describe('expired: a pending request not decided within 7 days'),
  requester: z.string().describe('Who asked: the person (slack:…, teams:…) a bot vouched for, or key:<id>'),
  viaBot: z.string().nullable(),
  channel: z.string().nullable().describe('The chat channel it was asked from, whose ceiling binds it'),
  reason: z.string(),
  key: z
    .strictObject({
      name: z.string(),
      type: z.enum(KEY_TYPES),
      scopes: z.array(z.enum(SCOPES)),
      roles: z.array(RoleSchema).nullable(),
      context: z.record(z.string(), z.string()).nullable(),
      prefix: z.string().nullable(),
      expiresInSeconds: z.number().int().nullable().describe('Lifetime from the approval; null: the approver’s default'),
      rateLimit: RateLimitSchema.nullable(),
      models: z.array(z.string()).nullable(),
      budget: BudgetBody.nullable(),
      tokenLimit: z.strictObject({ tokens: z.number().int(), windowSeconds: z.number().int() }).nullable(),
      maxConcurrent: z.number().int().nullable(),
    })
    .describe('Exactly the key an approval mints; what is null takes the default the approver’s own create gives'),
  createdAt: isoTime,
  expiresAt: isoTime.describe('Undecided by then, the request expires'),
  decidedBy: z.string().nullable().describe('The approver or the denier'),
  decidedAt: nullableTime,
  denyReason: z.string().nullable(),
  keyId: z.string().nullable().describe('Approved: the key minted (its value goes to the requester only, by claim)'),
  keyStart: z.string().nullable(),
  claimed: z.boolean().describe('The requester collected the key'),
  claimUntil: nullableTime.describe('Approved and not collected: the requester can claim it until then'),
});

const RequestIdParams = z.strictObject({ id: KeyRequestIdSlot('id') });
const tags = ['Key requests'];

export const KEY_REQUEST_CONTRACT = {
  createKeyRequest: contract({
    method: 'POST',
    path: '/v1/key-requests',
    operationId: 'createKeyRequest',
    summary: 'Ask for a key (any key of the project, a viewer key included, or a person through a bot); an admin approves or denies',
    tags,
    auth: 'key',
    body: CreateKeyRequestBody,
    success: { status: 201, description: 'The pending request', schema: KeyRequestSchema },
    errors: [409],
  }),
  listKeyRequests: contract({
    method: 'GET',
    path: '/v1/key-requests',
    operationId: 'listKeyRequests',
    summary: 'Key requests, newest first: all of the project’s for a key manager (keys:write and keys:read, or an admin person), the caller’s own for anyone else',
    tags,
    auth: 'key',
    query: ListKeyRequestsQuery,
    success: {
      status: 200,
      description: 'A page of requests',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(KeyRequestSchema), nextCursor: z.string().nullable() }),
    },
  }),
  approveKeyRequest: contract({
    method: 'POST',
    path: '/v1/key-requests/:id/approve',
    operationId: 'approveKeyRequest',
    summary: 'Approve: mints exactly the key asked for, with the approver as its creator and never wider than the approver could create; the value goes only to the requester (claim)',
    tags,
    auth: 'key',
    params: RequestIdParams,
    success: { status: 200, description: 'The approved request: the key’s id and visible start, never its value', schema: KeyRequestSchema },
    errors: [404, 409],
  }),
  denyKeyRequest: contract({
    method: 'POST',
    path: '/v1/key-requests/:id/deny',
    operationId: 'denyKeyRequest',
    summary: 'Deny a pending request with a reason the requester sees',
    tags,
    auth: 'key',
    params: RequestIdParams,
    body: DenyKeyRequestBody,
    success: { status: 200, description: 'The denied request', schema: KeyRequestSchema },
    errors: [404, 409],
  }),
  claimKeyRequest: contract({
    method: 'POST',
    path: '/v1/key-requests/:id/claim',
    operationId: 'claimKeyRequest',
    summary: 'The requester collects the approved key: its value, once, within 7 days of the approval',
    tags,
    auth: 'key',
    params: RequestIdParams,
    success: { status: 200, description: 'The key, its raw value and the setup script: the only answer that carries it', schema: IssuedKeySchema },
    errors: [404, 409],
  }),
  ...KEY_REQUEST_CEILING_CONTRACT,
} as const;
