import { parseDuration } from '../../core/duration';
import type { IssuedKey } from '../../core/key-service';
import { keyStatus } from '../../core/key-service';
import { setupScript } from '../../core/setup-script';
import { presentKey } from '../presenters';
import type { RequestContext, Route } from '../router';
import { AdminCheckBody, AuditQuerySchema, CreateKeyBody, KeyIdSlot, ListKeysQuery, RotateKeyBody, VerifyKeyBody } from '../schemas';

const idParam = { id: KeyIdSlot('id') };
import { json } from '../types';

/** Base URL of /v1 as callers see it: the configured public URL, else the Host the request came to. */
export function publicV1Url(ctx: RequestContext): string {
  const configured = ctx.services.config.publicBaseUrl;
  if (configured) return `${configured.replace(/\/+$/, '')}/v1`;
  const host = ctx.req.headers['x-forwarded-host'] ?? ctx.req.headers.host ?? '127.0.0.1:8787';
  const proto = ctx.req.headers['x-forwarded-proto'] ?? 'http';
  return `${proto}://${host}/v1`;
}

/** The one response that ever carries a raw key: create and rotate. */
function issuedResponse(ctx: RequestContext, issued: IssuedKey, status: number) {
  const { config, clock } = ctx.services;
  return json(status, {
    ...presentKey(issued.key, clock.now()),
    key: issued.secret,
    setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId, key: issued.secret }),
    // Rotation: the old key as it now stands (when it stops working), so no client needs a second call.
    ...(issued.replaced ? { replaced: presentKey(issued.replaced, clock.now()) } : {}),
  }, { 'cache-control': 'no-store' });
}

export const keyRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/keys',
    handler: async (ctx) => {
      const principal = await ctx.principal();
      const body = ctx.body(CreateKeyBody);
      const issued = await ctx.services.keys.create(principal, {
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
  },
  {
    method: 'GET',
    path: '/v1/keys',
    handler: async (ctx) => {
      const query = ctx.query(ListKeysQuery);
      const page = await ctx.services.keys.list(await ctx.principal(), query);
      const now = ctx.services.clock.now();
      return json(200, { object: 'list', data: page.items.map((k) => presentKey(k, now)), nextCursor: page.nextCursor ?? null });
    },
  },
  {
    method: 'POST',
    path: '/v1/keys/verify',
    handler: async (ctx) => {
      const caller = await ctx.key();
      ctx.services.keys.requireRead({ kind: 'key', key: caller }, 'keys:read');
      const body = ctx.body(VerifyKeyBody);
      const key = await ctx.services.keys.inspect(body.key);
      const now = ctx.services.clock.now();
      // Keys of other projects are indistinguishable from unknown ones.
      if (!key || key.projectId !== caller.projectId) return json(200, { valid: false, code: 'invalid_api_key' });
      const status = keyStatus(key, now);
      const base = { keyId: key.id, projectId: key.projectId, type: key.type, scopes: key.scopes, status };
      if (status !== 'active') return json(200, { valid: false, code: status === 'expired' ? 'key_expired' : 'key_revoked', ...base });
      if (!body.permission) return json(200, { valid: true, ...base });
      const decision = ctx.services.keys.check(key, body.permission, body.resource);
      return json(200, {
        valid: decision.allowed,
        ...(decision.allowed ? {} : { code: 'insufficient_permissions' }),
        ...base,
        permission: { name: body.permission, allowed: decision.allowed, ...(decision.allowed ? { filters: decision.filters } : { reason: decision.reason }) },
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/keys/:id',
    params: idParam,
    handler: async (ctx) => {
      const key = await ctx.services.keys.get(await ctx.principal(), ctx.params.id!);
      return json(200, presentKey(key, ctx.services.clock.now()));
    },
  },
  {
    method: 'POST',
    path: '/v1/keys/:id/rotate',
    params: idParam,
    handler: async (ctx) => {
      const principal = await ctx.principal();
      const body = ctx.body(RotateKeyBody);
      const issued = await ctx.services.keys.rotate(principal, ctx.params.id!, body.overlap ? parseDuration(body.overlap) : 0);
      return issuedResponse(ctx, issued, 201);
    },
  },
  {
    method: 'POST',
    path: '/v1/keys/:id/revoke',
    params: idParam,
    handler: async (ctx) => {
      const key = await ctx.services.keys.revoke(await ctx.principal(), ctx.params.id!);
      return json(200, presentKey(key, ctx.services.clock.now()));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/keys/:id',
    params: idParam,
    handler: async (ctx) => {
      const id = ctx.params.id!;
      await ctx.services.keys.delete(await ctx.principal(), id);
      return json(200, { object: 'api_key.deleted', id, deleted: true });
    },
  },
  {
    method: 'GET',
    path: '/v1/audit',
    handler: async (ctx) => {
      const query = ctx.query(AuditQuerySchema);
      const page = await ctx.services.keys.auditLog(await ctx.principal(), query);
      return json(200, { object: 'list', data: page.items, nextCursor: page.nextCursor ?? null });
    },
  },
  {
    method: 'GET',
    path: '/v1/admins',
    handler: async (ctx) => {
      const principal = await ctx.principal();
      ctx.services.keys.requireRead(principal, 'keys:read');
      const key = await ctx.key();
      const admins = await ctx.services.store.listAdmins(key.projectId);
      return json(200, { object: 'list', data: admins.map((identity) => ({ identity })) });
    },
  },
  {
    // A bot asks, with the person's assertion, before offering an admin action; a "no" is audited.
    method: 'POST',
    path: '/v1/admins/check',
    handler: async (ctx) => {
      const principal = await ctx.principal();
      const body = ctx.body(AdminCheckBody);
      return json(200, await ctx.services.keys.checkPersonAdmin(principal, body.action, body.keyId));
    },
  },
  {
    method: 'GET',
    path: '/v1/me',
    handler: async (ctx) => {
      const key = await ctx.key();
      const { store, config, clock } = ctx.services;
      const [project, account] = await Promise.all([store.getProject(key.projectId), store.getAccount(key.accountId)]);
      return json(200, {
        ...presentKey(key, clock.now()),
        project: project ? { id: project.id, name: project.name } : null,
        account: account ? { id: account.id, name: account.name, apiAccess: account.apiAccess, credits: account.credits } : null,
        environment: config.environment,
        setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId }),
      });
    },
  },
];
