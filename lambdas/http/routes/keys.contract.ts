// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { parseDuration } from '../../core/duration';
import { AccountPolicySchema } from '../../core/account-policy-schema';
import { MAX_OVERLAP_MS } from '../../core/key-service';
import { MAX_BUDGET_CREDITS } from '../../core/budget';
import { EXPOSURE_SOURCES } from '../../core/exposure';
import { KEY_TYPES, SCOPES } from '../../core/scopes';
import { BUDGET_PERIODS } from '../../core/types';
import { contract } from '../route-contract';
import { KeyRotationBody, KeyRotationSchema, RevokeWhenIdleBody, RotatedInSchema, RotationOriginBody, StragglersSchema } from './keys-rotation.contract';
import { AttributeName, duration, isoTime, KeyIdSlot, ModelIdSlot, nullableTime, safeText } from '../schemas';

/** Project-scoped API keys (routes/keys.ts): their requests, the key as answered, and `/v1/me`. */

export const RoleSchema = z.strictObject({
  name: safeText('roles', 100).min(1),
  permissions: z.array(z.string().regex(/^(\*|[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)*)$/, 'permissions look like bots:read or *').max(100)).max(100),
  filters: z.record(AttributeName, safeText('roles', 500)).optional(),
});

/** A key's spending cap: credits per UTC calendar period (day from 00:00, week from Monday, month from the 1st) or in total. */
export const BudgetBody = z
  .strictObject({
    credits: z.number().gt(0).max(MAX_BUDGET_CREDITS),
    period: z.enum(BUDGET_PERIODS),
  })
  .describe('Credits this key may spend per period, reservations of calls in flight included; the account balance still applies');

/** Settled usage tokens per window (OpenAI's TPM, any window up to 30 days). */
export const TokenLimitBody = z
  .strictObject({
    tokens: z.number().int().min(1).max(10_000_000_000),
    windowSeconds: z.number().int().min(1).max(2_592_000),
  })
  .describe('Settled usage tokens per window; once reached, model calls are refused until the window resets');

export const MaxConcurrentBody = z.number().int().min(1).max(1000).describe('Most model calls of this key in flight at once, streams included');

export const CreateKeyBody = z.strictObject({
  name: safeText('name', 200).optional(),
  type: z.enum(KEY_TYPES.filter((t) => t !== 'system') as ['privileged', 'viewer']).optional(),
  scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
  roles: z.array(RoleSchema).max(50).optional(),
  context: z.record(AttributeName, safeText('context', 500)).optional(),
  models: z.array(ModelIdSlot('models')).min(1).max(50).optional(),
  prefix: z.string().regex(/^[a-z][a-z0-9]{1,11}$/, 'prefix must match [a-z][a-z0-9]{1,11}').optional(),
  expiresIn: duration('expiresIn').optional(),
  rateLimit: z
    .strictObject({
      limit: z.number().int().min(1).max(1_000_000),
      windowSeconds: z.number().int().min(1).max(86_400),
    })
    .optional(),
  budget: BudgetBody.optional(),
  tokenLimit: TokenLimitBody.optional(),
  maxConcurrent: MaxConcurrentBody.optional(),
  rotation: KeyRotationBody.optional(),
});

export const RotateKeyBody = z
  .strictObject({
    overlap: duration('overlap')
      .refine((v) => parseDuration(v)! <= MAX_OVERLAP_MS, { message: 'overlap must be at most 7d' })
      .optional(),
    revokeWhenIdle: RevokeWhenIdleBody.optional(),
    origin: RotationOriginBody.optional(),
  })
  .refine((b) => b.revokeWhenIdle === undefined || b.overlap !== undefined, { message: 'revokeWhenIdle needs an overlap to end early', path: ['revokeWhenIdle'] });

/** Free-form labels of a key: shown and searchable, never used for authorization. */
export const MetadataSchema = z
  .record(AttributeName, safeText('metadata', 256))
  .refine((m) => Object.keys(m).length <= 20, 'metadata holds at most 20 entries');

const RateLimitBody = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
});

/**
 * An edit in place: any of these, the rest kept. `null` removes what may be absent (metadata, the
 * model list, the expiry). The result is no wider than the actor on any axis (SPEC §3).
 */
export const UpdateKeyBody = z
  .strictObject({
    name: safeText('name', 200).optional(),
    metadata: MetadataSchema.nullable().optional(),
    scopes: CreateKeyBody.shape.scopes,
    roles: CreateKeyBody.shape.roles,
    context: CreateKeyBody.shape.context,
    models: z.array(ModelIdSlot('models')).min(1).max(50).nullable().optional(),
    rateLimit: RateLimitBody.optional(),
    budget: BudgetBody.nullable().optional(),
    tokenLimit: TokenLimitBody.nullable().optional(),
    maxConcurrent: MaxConcurrentBody.nullable().optional(),
    rotation: KeyRotationBody.nullable().optional(),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional().describe('When the key stops working (ISO time), or null for never'),
    expiresIn: duration('expiresIn').optional(),
  })
  .refine((b) => !(b.expiresAt !== undefined && b.expiresIn !== undefined), { message: 'send expiresAt or expiresIn, not both', path: ['expiresIn'] })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'name at least one field to change' });

export const VerifyKeyBody = z.strictObject({
  key: z.string().min(1).max(200),
  permission: z.string().min(1).max(100).optional(),
  resource: z.record(AttributeName, z.string().max(500)).optional(),
});

export const ListKeysQuery = z.object({
  search: z.string().max(200).optional(),
  type: z.enum(KEY_TYPES).optional(),
  status: z.enum(['active', 'disabled', 'revoked', 'expired']).optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/**
 * Searching in a request body (SPEC §3: a full key value never travels in a URL, where access logs
 * keep it): the listing's filters, and `search` may be a whole key.
 */
export const SearchKeysBody = z.strictObject({
  ...ListKeysQuery.shape,
  search: z.string().min(1).max(200).describe('A name, a visible start (archie_4fQa) or a full key value'),
  limit: z.number().int().min(1).max(200).optional(),
});

// ── What the key routes answer ──

export const BudgetSchema = z.strictObject({
  credits: z.number(),
  period: z.enum(BUDGET_PERIODS),
  spent: z.number().min(0).describe('Credits spent in the current period, calls in flight included'),
  remaining: z.number().min(0),
  resetsAt: nullableTime.describe('When the period ends (UTC); null for total'),
});

export const RateLimitSchema = z.strictObject({ limit: z.number().int(), windowSeconds: z.number().int() });

export const KeySchema = z
  .strictObject({
    object: z.literal('api_key'),
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    type: z.enum(KEY_TYPES),
    protected: z.boolean(),
    prefix: z.string(),
    start: z.string().describe('The non-secret visible start of the key, e.g. archie_4fQa'),
    status: z.enum(['active', 'disabled', 'revoked', 'expired']).describe('disabled: paused (POST …/disable), kept as it is until enabled again'),
    version: z.number().int().min(1).describe('Grows with every change to the key; send it as If-Match to edit only the version you read'),
    metadata: z.record(z.string(), z.string()).describe('Free-form labels: shown and searchable, never used for authorization'),
    scopes: z.array(z.enum(SCOPES)),
    roles: z.array(RoleSchema),
    context: z.record(z.string(), z.string()),
    rateLimit: RateLimitSchema,
    models: z.array(z.string()).nullable().describe('Models the key may call; null = every model'),
    budget: BudgetSchema.nullable().describe('The key’s spending cap and where it stands; null = none (the account balance only)'),
    tokenLimit: z.strictObject({ tokens: z.number().int(), windowSeconds: z.number().int() }).nullable(),
    maxConcurrent: z.number().int().nullable(),
    createdAt: isoTime,
    createdBy: z.string(),
    expiresAt: nullableTime,
    lastUsedAt: nullableTime,
    revokedAt: nullableTime,
    rotatedFrom: z.string().nullable(),
    replacedBy: z.string().nullable(),
    graceUntil: nullableTime,
    exposure: z
      .strictObject({ source: z.enum(EXPOSURE_SOURCES), location: z.string(), at: isoTime })
      .nullable()
      .describe('Set when the key was found exposed (the first time): where, and when; it then stopped working'),
    rotation: KeyRotationSchema,
    rotatedIn: RotatedInSchema,
  })
;

export const IssuedKeySchema = KeySchema.extend({
  key: z.string().describe('The raw key. Returned once, here, and never again.'),
  setupScript: z.string().describe('External coworker setup script (shell), with the new key.'),
  replaced: KeySchema.optional().describe('Rotation: the replaced key as it now stands (revoked now, or at graceUntil).'),
});

export const KeyListSchema = z.strictObject({ object: z.literal('list'), data: z.array(KeySchema), nextCursor: z.string().nullable() });

export const VerifyResult = z.strictObject({
  valid: z.boolean(),
  code: z.enum(['invalid_api_key', 'key_expired', 'key_revoked', 'key_disabled', 'insufficient_permissions']).optional(),
  keyId: z.string().optional(),
  projectId: z.string().optional(),
  type: KeySchema.shape.type.optional(),
  scopes: KeySchema.shape.scopes.optional(),
  status: KeySchema.shape.status.optional(),
  permission: z
    .strictObject({
      name: z.string(),
      allowed: z.boolean(),
      filters: z.array(z.record(z.string(), z.string())).optional(),
      reason: z.enum(['scope', 'role', 'filter']).optional(),
    })
    .optional(),
});

export const MeSchema = KeySchema.extend({
  project: z.strictObject({ id: z.string(), name: z.string() }).nullable(),
  account: z
    .strictObject({
      id: z.string(),
      name: z.string(),
      apiAccess: z.boolean(),
      credits: z.number(),
      policy: AccountPolicySchema.nullable().describe('Limits an operator set on every key of the account (docs/operating.md §11); null: none'),
    })
    .nullable(),
  environment: z.string(),
  setupScript: z.string(),
});

const KeyIdParams = z.strictObject({ id: KeyIdSlot('id') });
/** A change to a key applies only to the version named (409 conflict once the key has moved on). */
const IfMatchHeader = z.object({
  'If-Match': z.string().max(100).optional().describe('The key version this change applies to: 3, "3" or W/"3" (* or none: any)'),
});
const keyTags = ['Keys'];

export const KEY_CONTRACT = {
  createKey: contract({
    method: 'POST',
    path: '/v1/keys',
    operationId: 'createKey',
    summary: 'Create a key; the raw key is in this answer and never again',
    tags: keyTags,
    auth: 'key',
    body: CreateKeyBody,
    success: { status: 201, description: 'The new key, its raw value and the external coworker setup script', schema: IssuedKeySchema },
  }),
  listKeys: contract({
    method: 'GET',
    path: '/v1/keys',
    operationId: 'listKeys',
    summary: 'List the project’s keys, newest first, optionally matching a name or visible start',
    description: 'A value shaped like a key in the query is a 400: search by a full key with POST /v1/keys/search. A live key sent in a URL is treated as exposed and revoked.',
    tags: keyTags,
    auth: 'key',
    query: ListKeysQuery,
    success: { status: 200, description: 'A page of keys', schema: KeyListSchema },
  }),
  searchKeys: contract({
    method: 'POST',
    path: '/v1/keys/search',
    operationId: 'searchKeys',
    summary: 'Search the project’s keys by name, visible start or full key value, sent in the body so no key reaches a URL',
    tags: keyTags,
    auth: 'key',
    body: SearchKeysBody,
    success: { status: 200, description: 'A page of matching keys', schema: KeyListSchema },
  }),
  verifyKey: contract({
    method: 'POST',
    path: '/v1/keys/verify',
    operationId: 'verifyKey',
    summary: 'Check a key of this project, and optionally a permission, for another platform service',
    tags: keyTags,
    auth: 'key',
    body: VerifyKeyBody,
    success: { status: 200, description: 'Whether the key is valid (and allowed the permission, with its row filters)', schema: VerifyResult },
  }),
  getKey: contract({
    method: 'GET',
    path: '/v1/keys/:id',
    operationId: 'getKey',
    summary: 'Get a key',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The key', schema: KeySchema, etag: true },
    errors: [404],
  }),
  keyStragglers: contract({
    method: 'GET',
    path: '/v1/keys/:id/stragglers',
    operationId: 'keyStragglers',
    summary: 'Who still calls with a rotated-out key during its overlap: address, user agent, route, count, last seen',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The callers still on the old key since its rotation', schema: StragglersSchema },
    errors: [404],
  }),
  rotateKey: contract({
    method: 'POST',
    path: '/v1/keys/:id/rotate',
    operationId: 'rotateKey',
    summary: 'Rotate a key: a replacement with the same powers; the old one stops now or after an overlap (≤ 7d)',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    body: RotateKeyBody,
    success: { status: 201, description: 'The replacement, its raw value, and the replaced key as it now stands', schema: IssuedKeySchema },
    errors: [404, 409],
  }),
  updateKey: contract({
    method: 'PATCH',
    path: '/v1/keys/:id',
    operationId: 'updateKey',
    summary: 'Edit a key in place (name, metadata, scopes, roles, context, models, rate limit, budget, token limit, concurrency cap, expiry); null removes an optional one; If-Match: <version> makes it conditional',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    requestHeaders: IfMatchHeader,
    body: UpdateKeyBody,
    success: { status: 200, description: 'The key as it now stands', schema: KeySchema, etag: true },
    errors: [404, 409],
  }),
  disableKey: contract({
    method: 'POST',
    path: '/v1/keys/:id/disable',
    operationId: 'disableKey',
    summary: 'Pause a key: refused (401 key_disabled) until enabled again; it stays listed with its settings; If-Match: <version> makes it conditional',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    requestHeaders: IfMatchHeader,
    success: { status: 200, description: 'The paused key', schema: KeySchema, etag: true },
    errors: [404, 409],
  }),
  enableKey: contract({
    method: 'POST',
    path: '/v1/keys/:id/enable',
    operationId: 'enableKey',
    summary: 'Resume a paused key, at once (a revoked or expired key cannot be enabled: 409); If-Match: <version> makes it conditional',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    requestHeaders: IfMatchHeader,
    success: { status: 200, description: 'The resumed key', schema: KeySchema, etag: true },
    errors: [404, 409],
  }),
  revokeKey: contract({
    method: 'POST',
    path: '/v1/keys/:id/revoke',
    operationId: 'revokeKey',
    summary: 'Revoke a key, at once and idempotently; it stays listed',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The revoked key', schema: KeySchema },
    errors: [404, 409],
  }),
  deleteKey: contract({
    method: 'DELETE',
    path: '/v1/keys/:id',
    operationId: 'deleteKey',
    summary: 'Delete a user key (the Automator key is Protected: 409 protected_key)',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    success: {
      status: 200,
      description: 'Deleted',
      schema: z.strictObject({ object: z.literal('api_key.deleted'), id: z.string(), deleted: z.literal(true) }),
    },
    errors: [404, 409],
  }),
} as const;

/** The calling key (Keys in the document, listed after the admins there and in the route table). */
export const ME_CONTRACT = {
  getMe: contract({
    method: 'GET',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'The calling key, its project and account, and the setup script with a placeholder',
    tags: keyTags,
    auth: 'key',
    success: { status: 200, description: 'The calling key', schema: MeSchema },
  }),
} as const;

// ── Exposure (issue 22): report a key exposed, and what it did since ──

export const ReportExposedBody = z.strictObject({
  location: safeText('location', 500).optional().describe('Where it leaked: a URL, a channel, a few words (never the key itself)'),
});

export const ExposureOutcomeSchema = z.strictObject({
  object: z.literal('key.exposure_report'),
  handled: z.enum(['revoked', 'rotated', 'already']).describe('revoked now, rotated now (the Automator key), or already stopped'),
  key: KeySchema,
});

/** What a key did since it was first seen exposed: from its usage records (each keeps the caller's address and user agent). */
export const ExposureUsageSchema = z.strictObject({
  object: z.literal('key.exposure_usage'),
  keyId: z.string(),
  exposure: KeySchema.shape.exposure,
  since: nullableTime.describe('The first exposure (null: never exposed, and the figures cover the key’s whole life)'),
  calls: z.number().int().min(0),
  tokens: z.number().int().min(0),
  credits: z.number().min(0),
  firstUse: nullableTime,
  lastUse: nullableTime,
  sources: z
    .array(z.strictObject({ address: z.string().nullable(), userAgent: z.string().nullable(), calls: z.number().int().min(1) }))
    .describe('Distinct caller addresses and user agents seen, most calls first (at most 20)'),
  complete: z.boolean().describe('false when the walk stopped at 10,000 records'),
});

export const EXPOSURE_CONTRACT = {
  reportExposed: contract({
    method: 'POST',
    path: '/v1/keys/:id/report-exposed',
    operationId: 'reportExposed',
    summary: 'Report a key exposed: it stops at once (revoked; the Automator key rotated), the exposure is recorded and the project’s admins are told',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    body: ReportExposedBody,
    success: { status: 200, description: 'What was done with the key', schema: ExposureOutcomeSchema },
    errors: [404],
  }),
  exposureUsage: contract({
    method: 'GET',
    path: '/v1/keys/:id/exposure',
    operationId: 'exposureUsage',
    summary: 'What a key did since it was first seen exposed: calls, tokens, credits, first and last use, caller addresses and user agents',
    tags: keyTags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The key’s use since its exposure', schema: ExposureUsageSchema },
    errors: [404],
  }),
} as const;
