// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { parseDuration } from '../../core/duration';
import type { IssuedKey } from '../../core/key-service';
import { keyStatus } from '../../core/key-status';
import { checkPermission, requireRead } from '../../core/policy';
import { setupScript } from '../../core/setup-script';
import { presentKey } from '../presenters';
import { defineRoute, type RequestContext, type Route } from '../router';
import {
  AdminCheckBody,
  AuditQuerySchema,
  AuditRecordSchema,
  CreateKeyBody,
  IssuedKeySchema,
  KeyIdSlot,
  KeyListSchema,
  KeySchema,
  ListKeysQuery,
  RotateKeyBody,
  VerifyKeyBody,
} from '../schemas';
import { json } from '../types';

/** Base URL of /v1 as callers see it: the configured public URL, else the Host the request came to. */
export function publicV1Url(ctx: RequestContext<unknown, unknown, unknown>): string {
  const configured = ctx.services.config.publicBaseUrl;
  if (configured) return `${configured.replace(/\/+$/, '')}/v1`;
  const host = ctx.req.headers['x-forwarded-host'] ?? ctx.req.headers.host ?? '127.0.0.1:8787';
  const proto = ctx.req.headers['x-forwarded-proto'] ?? 'http';
  return `${proto}://${host}/v1`;
}

/** The one response that ever carries a raw key: create and rotate. */
function issuedResponse(ctx: RequestContext<unknown, unknown, unknown>, issued: IssuedKey, status: number) {
  const { config, clock } = ctx.services;
  return json(status, {
    ...presentKey(issued.key, clock.now()),
    key: issued.secret,
    setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId, key: issued.secret }),
    // Rotation: the old key as it now stands (when it stops working), so no client needs a second call.
    ...(issued.replaced ? { replaced: presentKey(issued.replaced, clock.now()) } : {}),
  }, { 'cache-control': 'no-store' });
}

const KeyIdParams = z.strictObject({ id: KeyIdSlot('id') });
const tags = ['Keys'];

const VerifyResult = z.strictObject({
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

export const keyRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/keys',
    operationId: 'createKey',
    summary: 'Create a key; the raw key is in this answer and never again',
    tags,
    auth: 'key',
    body: CreateKeyBody,
    success: { status: 201, description: 'The new key, its raw value and the external coworker setup script', schema: IssuedKeySchema },
    handler: async (ctx) => {
      const body = ctx.input.body;
      const issued = await ctx.services.keys.create(await ctx.principal(), {
        name: body.name,
        type: body.type,
        scopes: body.scopes,
        roles: body.roles,
        context: body.context,
        prefix: body.prefix,
        expiresInMs: body.expiresIn ? parseDuration(body.expiresIn) : undefined,
        rateLimit: body.rateLimit,
        models: body.models,
      });
      return issuedResponse(ctx, issued, 201);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/keys',
    operationId: 'listKeys',
    summary: 'List and search the project’s keys (by name, visible start or full key), newest first',
    tags,
    auth: 'key',
    query: ListKeysQuery,
    success: { status: 200, description: 'A page of keys', schema: KeyListSchema },
    handler: async (ctx) => {
      const page = await ctx.services.keys.list(await ctx.principal(), ctx.input.query);
      const now = ctx.services.clock.now();
      return json(200, { object: 'list', data: page.items.map((k) => presentKey(k, now)), nextCursor: page.nextCursor ?? null });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys/verify',
    operationId: 'verifyKey',
    summary: 'Check a key of this project, and optionally a permission, for another platform service',
    tags,
    auth: 'key',
    body: VerifyKeyBody,
    success: { status: 200, description: 'Whether the key is valid (and allowed the permission, with its row filters)', schema: VerifyResult },
    handler: async (ctx) => {
      const caller = await ctx.key();
      requireRead({ kind: 'key', key: caller }, 'keys:read');
      const body = ctx.input.body;
      const key = await ctx.services.auth.inspect(body.key);
      const now = ctx.services.clock.now();
      // Keys of other projects are indistinguishable from unknown ones.
      if (!key || key.projectId !== caller.projectId) return json(200, { valid: false, code: 'invalid_api_key' });
      const status = keyStatus(key, now);
      const base = { keyId: key.id, projectId: key.projectId, type: key.type, scopes: key.scopes, status };
      if (status !== 'active') return json(200, { valid: false, code: status === 'expired' ? 'key_expired' : 'key_revoked', ...base });
      if (!body.permission) return json(200, { valid: true, ...base });
      const decision = checkPermission(key, body.permission, body.resource);
      return json(200, {
        valid: decision.allowed,
        ...(decision.allowed ? {} : { code: 'insufficient_permissions' }),
        ...base,
        permission: { name: body.permission, allowed: decision.allowed, ...(decision.allowed ? { filters: decision.filters } : { reason: decision.reason }) },
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/keys/:id',
    operationId: 'getKey',
    summary: 'Get a key',
    tags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The key', schema: KeySchema },
    errors: [404],
    handler: async (ctx) => {
      const key = await ctx.services.keys.get(await ctx.principal(), ctx.params.id);
      return json(200, presentKey(key, ctx.services.clock.now()));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys/:id/rotate',
    operationId: 'rotateKey',
    summary: 'Rotate a key: a replacement with the same powers; the old one stops now or after an overlap (≤ 7d)',
    tags,
    auth: 'key',
    params: KeyIdParams,
    body: RotateKeyBody,
    success: { status: 201, description: 'The replacement, its raw value, and the replaced key as it now stands', schema: IssuedKeySchema },
    errors: [404, 409],
    handler: async (ctx) => {
      const overlap = ctx.input.body.overlap;
      const issued = await ctx.services.keys.rotate(await ctx.principal(), ctx.params.id, overlap ? parseDuration(overlap) : 0);
      return issuedResponse(ctx, issued, 201);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys/:id/revoke',
    operationId: 'revokeKey',
    summary: 'Revoke a key, at once and idempotently; it stays listed',
    tags,
    auth: 'key',
    params: KeyIdParams,
    success: { status: 200, description: 'The revoked key', schema: KeySchema },
    errors: [404, 409],
    handler: async (ctx) => {
      const key = await ctx.services.keys.revoke(await ctx.principal(), ctx.params.id);
      return json(200, presentKey(key, ctx.services.clock.now()));
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/keys/:id',
    operationId: 'deleteKey',
    summary: 'Delete a user key (the Automator key is Protected: 409 protected_key)',
    tags,
    auth: 'key',
    params: KeyIdParams,
    success: {
      status: 200,
      description: 'Deleted',
      schema: z.strictObject({ object: z.literal('api_key.deleted'), id: z.string(), deleted: z.literal(true) }),
    },
    errors: [404, 409],
    handler: async (ctx) => {
      await ctx.services.keys.delete(await ctx.principal(), ctx.params.id);
      return json(200, { object: 'api_key.deleted', id: ctx.params.id, deleted: true });
    },
  }),
  defineRoute({
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
    handler: async (ctx) => {
      const page = await ctx.services.audit.query(await ctx.principal(), ctx.input.query);
      return json(200, { object: 'list', data: page.items, nextCursor: page.nextCursor ?? null });
    },
  }),
  defineRoute({
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
    handler: async (ctx) => {
      const admins = await ctx.services.keys.admins(await ctx.principal());
      return json(200, { object: 'list', data: admins.map((identity) => ({ identity })) });
    },
  }),
  defineRoute({
    // A bot asks, with the person's assertion, before offering an admin action; a "no" is audited.
    method: 'POST',
    path: '/v1/admins/check',
    operationId: 'checkAdmin',
    summary: 'Is the person named by X-Keywarden-Actor an admin of the project? A "no" is audited as a denied attempt',
    tags: ['Admins'],
    auth: 'key',
    body: AdminCheckBody,
    success: { status: 200, description: 'The person and the answer', schema: z.strictObject({ identity: z.string(), admin: z.boolean() }) },
    handler: async (ctx) => {
      const principal = await ctx.principal();
      const body = ctx.input.body;
      return json(200, await ctx.services.keys.checkPersonAdmin(principal, body.action, body.keyId));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'The calling key, its project and account, and the setup script with a placeholder',
    tags,
    auth: 'key',
    success: {
      status: 200,
      description: 'The calling key',
      schema: KeySchema.extend({
        project: z.strictObject({ id: z.string(), name: z.string() }).nullable(),
        account: z.strictObject({ id: z.string(), name: z.string(), apiAccess: z.boolean(), credits: z.number() }).nullable(),
        environment: z.string(),
        setupScript: z.string(),
      }),
    },
    handler: async (ctx) => {
      const key = await ctx.key();
      const { config, clock } = ctx.services;
      const { project, account } = await ctx.services.keys.owners(key);
      return json(200, {
        ...presentKey(key, clock.now()),
        project: project ? { id: project.id, name: project.name } : null,
        account: account ? { id: account.id, name: account.name, apiAccess: account.apiAccess, credits: account.credits } : null,
        environment: config.environment,
        setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId }),
      });
    },
  }),
];
