// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import {
  AdminCheckBody,
  AdminCheckSchema,
  AuditQuerySchema,
  ConversationSchema,
  ConversationsQuery,
  SaveConversationBody,
  UsageListSchema,
  UsageQuerySchema,
  AuditRecordSchema,
  CreateKeyBody,
  IssuedKeySchema,
  KeyIdSlot,
  KeyListSchema,
  KeySchema,
  ListKeysQuery,
  ModelIdSlot,
  RotateKeyBody,
  VerifyKeyBody,
} from './schemas';
import { ConsoleLinkSchema, ConsoleSessionSchema, ConsoleSignInBody } from './schemas';

/** Error statuses a route can answer beyond the ones every route of its kind can (router.ts `errorStatuses`). */
export type RouteErrorStatus = 401 | 403 | 404 | 409 | 502 | 504;

/**
 * The /v1 contract: every route's method, path, `operationId`, request schemas and responses, as
 * data with no server code, so that both sides read the same declaration. The server attaches a
 * handler to each (lambdas/http/routes/*, `defineRoute`), and the typed client
 * (lambdas/http/client.ts, used by the CLI, both bots and the tests) builds its calls and result
 * types from it. The OpenAPI document and the CDK routes are generated from the route table.
 */
export interface RouteContract<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  S extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/keys/:id/rotate` style. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `key`: a bearer key is authenticated (and counted) before the query and body are read. */
  auth: 'key' | 'public';
  /**
   * Served by the gateway function in REST API `STREAM` mode: it answers first and does its
   * after-answer work (settlement, the usage record) once the body is out. The OpenAI-compatible
   * routes live there; the buffered API function writes a call's usage record before it returns.
   */
  streaming?: boolean;
  /**
   * A model call: every answer carries the billing evidence headers, rejections included, and the
   * handler admits the key itself, alongside the credit reservation (lambdas/http/gateway.ts).
   */
  billed?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  success: {
    status: 200 | 201;
    description: string;
    /** The JSON body; absent for bodies that are not ours (an upstream's answer). */
    schema?: S;
    /** Also answers `text/event-stream` (stream: true). */
    eventStream?: boolean;
  };
  errors?: readonly RouteErrorStatus[];
  /** The upstream's own 4xx error is relayed as is (its status, its OpenAI-shaped body). */
  relaysUpstreamErrors?: boolean;
}

/** Identity, for inference: keeps each contract's own schema types. */
function contract<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  S extends z.ZodType | undefined = undefined,
>(c: RouteContract<P, Q, B, S>): RouteContract<P, Q, B, S> {
  return c;
}

const KeyIdParams = z.strictObject({ id: KeyIdSlot('id') });

export const ModelSchema = z.strictObject({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() });

/**
 * The Responses API request as far as the gateway reads it: a model and the stream flag. Every
 * other field (`input`, `tools`, `reasoning`, …) is the upstream's business and is forwarded
 * unchanged, byte for byte.
 */
export const ResponsesBody = z.looseObject({
  model: z.string({ error: 'model is required (a model id such as archibot)' }).min(1, 'model is required (a model id such as archibot)'),
  stream: z.boolean({ error: 'stream must be a boolean' }).nullable().optional(),
  // A background response reports its usage to whoever polls the upstream for it, never to this
  // endpoint: served, it would be charged one request whatever it used (usage forgiven), so it is
  // refused until stored responses are served here.
  background: z
    .literal(false, { error: 'background responses are not served by this endpoint (their usage could not be billed); leave background unset or false' })
    .nullable()
    .optional(),
});

/** The Chat Completions request as far as the gateway reads it; every other field goes upstream unchanged. */
export const ChatCompletionsBody = z.looseObject({
  model: ResponsesBody.shape.model,
  messages: z.array(z.unknown(), { error: 'messages must be a list of chat messages' }).min(1, 'messages must not be empty'),
  stream: ResponsesBody.shape.stream,
});

export const VerifyResult = z.strictObject({
  valid: z.boolean(),
  code: z.enum(['invalid_api_key', 'key_expired', 'key_revoked', 'insufficient_permissions']).optional(),
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
  account: z.strictObject({ id: z.string(), name: z.string(), apiAccess: z.boolean(), credits: z.number() }).nullable(),
  environment: z.string(),
  setupScript: z.string(),
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

/**
 * Searching in a request body (SPEC §3: a full key value never travels in a URL, where access logs
 * keep it): the listing's filters, and `search` may be a whole key.
 */
export const SearchKeysBody = z.strictObject({
  ...ListKeysQuery.shape,
  search: z.string().min(1).max(200).describe('A name, a visible start (archie_4fQa) or a full key value'),
  limit: z.number().int().min(1).max(200).optional(),
});

const keyTags = ['Keys'];

export const CONTRACT = {
  listModels: contract({
    method: 'GET',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'List the models this key may call (never draws credits)',
    tags: ['Models'],
    auth: 'key',
    streaming: true,
    success: { status: 200, description: 'The models', schema: z.strictObject({ object: z.literal('list'), data: z.array(ModelSchema) }) },
  }),
  getModel: contract({
    method: 'GET',
    path: '/v1/models/:model',
    operationId: 'getModel',
    summary: 'One model (never draws credits)',
    tags: ['Models'],
    auth: 'key',
    streaming: true,
    params: z.strictObject({ model: ModelIdSlot('model') }),
    success: { status: 200, description: 'The model', schema: ModelSchema },
    errors: [404],
  }),
  createResponse: contract({
    method: 'POST',
    path: '/v1/responses',
    operationId: 'createResponse',
    summary: 'Create a model response (OpenAI Responses API), forwarded to the upstream; stream: true streams server-sent events',
    description:
      'Billing evidence is in the X-<Brand>-Request-Id, X-<Brand>-Credits-Charged and X-<Brand>-Credits-Remaining headers of every answer, rejections included.',
    tags: ['Responses'],
    auth: 'key',
    streaming: true,
    billed: true,
    body: ResponsesBody,
    success: { status: 200, description: 'The upstream’s response object, or its event stream', eventStream: true },
    errors: [404, 502, 504],
    relaysUpstreamErrors: true,
  }),
  createChatCompletion: contract({
    method: 'POST',
    path: '/v1/chat/completions',
    operationId: 'createChatCompletion',
    summary: 'Create a chat completion (OpenAI Chat Completions API), forwarded to the upstream; stream: true streams chunks ending in [DONE]',
    description:
      'The same checks and billing as /v1/responses. A stream carries a final usage chunk (empty choices): the gateway asks the upstream for it (stream_options.include_usage) to bill the stream by its usage.',
    tags: ['Responses'],
    auth: 'key',
    streaming: true,
    billed: true,
    body: ChatCompletionsBody,
    success: { status: 200, description: 'The upstream’s chat.completion, or its chat.completion.chunk stream', eventStream: true },
    errors: [404, 502, 504],
    relaysUpstreamErrors: true,
  }),
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
    success: { status: 200, description: 'The key', schema: KeySchema },
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
  listAudit: contract({
    method: 'GET',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'Audit records of the project (every create, rotate, revoke and delete, denied attempts included), newest first',
    tags: ['Audit'],
    auth: 'key',
    query: AuditQuerySchema,
    success: {
      status: 200,
      description: 'A page of audit records',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(AuditRecordSchema), nextCursor: z.string().nullable() }),
    },
  }),
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
  listAdmins: contract({
    method: 'GET',
    path: '/v1/admins',
    operationId: 'listAdmins',
    summary: 'The chat identities registered as admins of the project',
    tags: ['Admins'],
    auth: 'key',
    success: {
      status: 200,
      description: 'The project’s admins',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(z.strictObject({ identity: z.string() })) }),
    },
  }),
  checkAdmin: contract({
    // A bot asks, with the person's assertion, before offering an admin action; a "no" is audited.
    method: 'POST',
    path: '/v1/admins/check',
    operationId: 'checkAdmin',
    summary: 'Is the person named by X-Keywarden-Actor an admin of the project (and, with search, which keys match)? A "no" is audited as a denied attempt',
    tags: ['Admins'],
    auth: 'key',
    body: AdminCheckBody,
    success: { status: 200, description: 'The person and the answer; for an admin, the keys matching `search`', schema: AdminCheckSchema },
  }),
  getMe: contract({
    method: 'GET',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'The calling key, its project and account, and the setup script with a placeholder',
    tags: keyTags,
    auth: 'key',
    success: { status: 200, description: 'The calling key', schema: MeSchema },
  }),
  saveConversation: contract({
    // A bot records where it reaches a person privately (Teams: the 1:1 chat captured at install).
    method: 'POST',
    path: '/v1/conversations',
    operationId: 'saveConversation',
    summary: 'Save where this bot reaches the person named by X-Keywarden-Actor privately (a Bot Framework conversation reference)',
    tags: ['Bots'],
    auth: 'key',
    body: SaveConversationBody,
    success: { status: 200, description: 'Saved', schema: ConversationSchema },
  }),
  listConversations: contract({
    method: 'GET',
    path: '/v1/conversations',
    operationId: 'listConversations',
    summary: 'Where the project’s bots reach people privately (needs bots:read)',
    tags: ['Bots'],
    auth: 'key',
    query: ConversationsQuery,
    success: { status: 200, description: 'The saved conversations', schema: z.strictObject({ object: z.literal('list'), data: z.array(ConversationSchema) }) },
  }),
  claimDelivery: contract({
    method: 'POST',
    path: '/v1/deliveries',
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
  getHealth: contract({
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    summary: 'Liveness, no key needed (the local server answers 503 service_unavailable with Retry-After until it is ready)',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'Ready', schema: z.strictObject({ status: z.literal('ok'), environment: z.string() }) },
  }),
  getOpenApiDocument: contract({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document: the OpenAPI 3.1 description of /v1',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.literal('3.1.0') }) },
  }),
  createConsoleSession: contract({
    method: 'POST',
    path: '/v1/console/sessions',
    operationId: 'createConsoleSession',
    summary: 'Sign in to the console with a one-time link or an API key: sets the session cookie (HttpOnly, SameSite=Strict, 8 hours; __Host- prefixed and Secure behind HTTPS)',
    description:
      'Same origin only (the Origin header must be the console’s configured origin). The session token is in Set-Cookie, never in the body; the body carries the binding the page sends back as X-Keywarden-Console. A request carrying more than one session cookie is refused (400).',
    tags: ['Console'],
    auth: 'public',
    body: ConsoleSignInBody,
    success: {
      status: 201,
      description: 'Signed in',
      schema: ConsoleSessionSchema.extend({
        binding: z.string().describe('Sent back by the page as X-Keywarden-Console on every call: proves the session cookie is this page’s own, not one tossed in from another origin'),
      }),
    },
    errors: [401, 403],
  }),
  getConsoleSession: contract({
    method: 'GET',
    path: '/v1/console/session',
    operationId: 'getConsoleSession',
    summary: 'The console session this request’s cookie belongs to: who acts, for which project, until when',
    tags: ['Console'],
    auth: 'key',
    success: { status: 200, description: 'The session', schema: ConsoleSessionSchema },
    errors: [404],
  }),
  deleteConsoleSession: contract({
    method: 'DELETE',
    path: '/v1/console/session',
    operationId: 'deleteConsoleSession',
    summary: 'Sign out: the session ends now and its cookie is cleared',
    tags: ['Console'],
    auth: 'key',
    success: { status: 200, description: 'Signed out', schema: z.strictObject({ object: z.literal('console.session'), deleted: z.literal(true) }) },
    errors: [404],
  }),
  createConsoleLink: contract({
    // A bot asks, with the person's assertion, when an admin says `/apikeys console` (Teams: `console`).
    method: 'POST',
    path: '/v1/console/links',
    operationId: 'createConsoleLink',
    summary: 'A one-time console sign-in link (5 minutes, single use) for the admin named by X-Keywarden-Actor; a non-admin is refused and audited',
    tags: ['Console'],
    auth: 'key',
    success: { status: 201, description: 'The link', schema: ConsoleLinkSchema },
  }),
} as const;

export type OperationId = keyof typeof CONTRACT;
