// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { MODEL_ID_PATTERN } from '../core/models';
import { parseDuration } from '../core/duration';
import { findKeysInText } from '../core/key-scan';
import { AUDIT_ACTIONS, KEY_ID_PATTERN, MAX_OVERLAP_MS } from '../core/key-service';
import { KEY_TYPES, SCOPES } from '../core/scopes';
import { ExposedKeyError } from './errors';

/** Request schemas of /v1 (also the source of the OpenAPI document's request bodies). */

/**
 * Every value we keep or look up by passes here first: a raw key inside it is never stored or
 * looked up — it is thrown as exposed (the router revokes it and answers 400).
 */
function refuseKeys(param: string) {
  return (value: string) => {
    const [found] = findKeysInText(value);
    if (found !== undefined) throw new ExposedKeyError(param, found);
  };
}

/** A string that is looked up or stored: bounded, and never a raw key. */
const safeText = (param: string, max: number) =>
  z
    .string()
    .max(max)
    .check((ctx) => refuseKeys(param)(ctx.value));

/** An id slot (path, query or body): a well-formed id or a 400, checked before any lookup. */
export const idSlot = (param: string, pattern: RegExp, what: string) =>
  safeText(param, 200).regex(pattern, `${param} must be ${what}`);

export const KeyIdSlot = (param: string) => idSlot(param, KEY_ID_PATTERN, 'a key id (key_ and 22 letters or digits)');
export const ModelIdSlot = (param: string) => idSlot(param, MODEL_ID_PATTERN, 'a model id');
/** Actors in audit records: `key:<id>`, `slack:<team>:<user>`, `teams:<tenant>:<aad>`, `cli:<user>`, `system`. */
const ActorSlot = idSlot('actor', /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,199}$/, 'an actor such as key:key_…, slack:T…:U… or teams:…');

/**
 * Names of context entries and filter attributes: identifiers only. Names such as `constructor`
 * or `__proto__` would shadow Object.prototype in every layer that reads them (policy, marshalling).
 */
const AttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, 'names must start with a letter and use only letters, digits, _ . -')
  .refine((name) => !(name in Object.prototype), 'that name is reserved');
const duration = (what: string) =>
  z.string().refine((v) => parseDuration(v) !== undefined && parseDuration(v)! > 0, {
    message: `${what} must look like 90d, 12h, 30m or 45s`,
  });

export const RoleSchema = z.strictObject({
  name: safeText('roles', 100).min(1),
  permissions: z.array(z.string().regex(/^(\*|[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)*)$/, 'permissions look like bots:read or *').max(100)).max(100),
  filters: z.record(AttributeName, safeText('roles', 500)).optional(),
});

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
});

export const RotateKeyBody = z.strictObject({
  overlap: duration('overlap')
    .refine((v) => parseDuration(v)! <= MAX_OVERLAP_MS, { message: 'overlap must be at most 7d' })
    .optional(),
});

export const VerifyKeyBody = z.strictObject({
  key: z.string().min(1).max(200),
  permission: z.string().min(1).max(100).optional(),
  resource: z.record(AttributeName, z.string().max(500)).optional(),
});

export const ListKeysQuery = z.object({
  search: z.string().max(200).optional(),
  type: z.enum(KEY_TYPES).optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const AuditQuerySchema = z.object({
  keyId: KeyIdSlot('keyId').optional(),
  actor: ActorSlot.optional(),
  since: z.iso.datetime().optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const UsageQuerySchema = z.object({
  requestId: z.string().regex(/^req_[0-9A-Za-z]{1,64}$/, 'requestId must be a request id (req_…)').optional(),
  keyId: KeyIdSlot('keyId').optional(),
  since: z.iso.datetime().optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

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

export const AdminCheckBody = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  keyId: KeyIdSlot('keyId').optional(),
  /**
   * What the person named the key by (as `GET /v1/keys?search=`): an admin's answer carries the
   * matching keys, so a bot resolves the key and asks in one call before it offers a confirmation.
   */
  search: z.string().min(1).max(200).optional(),
});

// ── Response schemas: what the server answers, per route and status (the OpenAPI document's
// response bodies, and what the fuzz suite holds every answer to) ───────────────────────────

const isoTime = z.string().describe('ISO 8601 date-time');
const nullableTime = isoTime.nullable();

export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      message: z.string(),
      type: z.string(),
      code: z.string(),
      param: z.string().nullable(),
    }),
  })
;

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
    status: z.enum(['active', 'revoked', 'expired']),
    scopes: z.array(z.enum(SCOPES)),
    roles: z.array(RoleSchema),
    context: z.record(z.string(), z.string()),
    rateLimit: RateLimitSchema,
    models: z.array(z.string()).nullable().describe('Models the key may call; null = every model'),
    createdAt: isoTime,
    createdBy: z.string(),
    expiresAt: nullableTime,
    lastUsedAt: nullableTime,
    revokedAt: nullableTime,
    rotatedFrom: z.string().nullable(),
    replacedBy: z.string().nullable(),
    graceUntil: nullableTime,
  })
;

export const IssuedKeySchema = KeySchema.extend({
  key: z.string().describe('The raw key. Returned once, here, and never again.'),
  setupScript: z.string().describe('External coworker setup script (shell), with the new key.'),
  replaced: KeySchema.optional().describe('Rotation: the replaced key as it now stands (revoked now, or at graceUntil).'),
});

export const KeyListSchema = z.strictObject({ object: z.literal('list'), data: z.array(KeySchema), nextCursor: z.string().nullable() });

export const AdminCheckSchema = z.strictObject({
  identity: z.string(),
  admin: z.boolean(),
  /** With `search`, to an admin only: the first 50 matching keys, newest first. */
  matches: z.array(KeySchema).optional(),
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
    usage: z.strictObject({ inputTokens: tokenCount, outputTokens: tokenCount, totalTokens: tokenCount }).optional(),
    credits: z.number().min(0),
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

export const AuditRecordSchema = z
  .strictObject({
    id: z.string(),
    at: isoTime,
    projectId: z.string(),
    action: z.string(),
    outcome: z.enum(['success', 'denied', 'error']),
    actor: z.string(),
    viaKeyId: z.string().optional(),
    viaBot: z.string().optional(),
    keyId: z.string().optional(),
    reason: z.string().optional(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
;

// ── Console sign-in (issue 11) ──

/** Either a one-time link's token or an API key; the key is exchanged for a session and never stored or echoed. */
export const ConsoleSignInBody = z
  .strictObject({
    link: z.string().max(200).optional().describe('The token of a one-time sign-in link (what follows #link= in its URL)'),
    key: z.string().max(200).optional().describe('An API key holding keys:read; the session acts as this key'),
  })
  .refine((b) => (b.link === undefined) !== (b.key === undefined), { message: 'Send either link or key.' });

export const ConsoleSessionSchema = z.strictObject({
  object: z.literal('console.session'),
  kind: z.enum(['person', 'key']).describe('person: a chat admin (acting through the Automator key); key: acting as the key signed in with'),
  actor: z.string().describe('Who the audit names, "via console"'),
  projectId: z.string(),
  keyId: z.string(),
  expiresAt: isoTime,
});

export const ConsoleLinkSchema = z.strictObject({
  object: z.literal('console.link'),
  url: z.string().describe('One-time sign-in link: valid 5 minutes, single use, for the person named by X-Keywarden-Actor only'),
  expiresAt: isoTime,
});
