import { publicBase } from '../../config';
import { publicPolicy } from '../../core/account-policy';
import { parseDuration } from '../../core/duration';
import { KeywardenError } from '../../core/errors';
import { versionOf } from '../../core/key-edits';
import type { IssuedKey } from '../../core/key-service';
import { keyStatus } from '../../core/key-status';
import { checkPermission, requireRead } from '../../core/policy';
import { setupScript } from '../../core/setup-script';
import type { KeyRecord } from '../../core/types';
import { stragglerReport } from '../../core/straggler-report';
import { presentKey } from '../presenters';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { EXPOSURE_CONTRACT, KEY_CONTRACT, ME_CONTRACT } from './keys.contract';

/** Base URL of /v1 as callers see it: from configuration only, never from the Host a request names. */
export function publicV1Url(ctx: RequestContext): string {
  return `${publicBase(ctx.services.config)}/v1`;
}

/** The one response that ever carries a raw key: create and rotate, and a held value's collection (key requests, rotation deliveries). */
export function issuedResponse(ctx: RequestContext, issued: IssuedKey, status: number) {
  const { config, clock } = ctx.services;
  return json(status, {
    ...presentKey(issued.key, clock.now()),
    key: issued.secret,
    setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId, key: issued.secret }),
    // Rotation: the old key as it now stands (when it stops working), so no client needs a second call.
    ...(issued.replaced ? { replaced: presentKey(issued.replaced, clock.now()) } : {}),
  }, { 'cache-control': 'no-store' });
}

/** One key as answered, with its version as the ETag (what an edit's If-Match names). */
function keyResponse(ctx: RequestContext, key: KeyRecord) {
  return json(200, presentKey(key, ctx.services.clock.now()), { etag: `"${versionOf(key)}"` });
}

/** `If-Match: 3` or the ETag form `"3"` (or `W/"3"`): the version an edit applies to; `*` or none: any. */
export function ifMatchVersion(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (!raw || raw === '*') return undefined;
  const match = /^(?:W\/)?"?([1-9][0-9]{0,15})"?$/.exec(raw);
  if (!match) throw new KeywardenError('invalid_request_error', 'If-Match must be a key version, e.g. 3 or "3".', { param: 'If-Match' });
  return Number(match[1]);
}

/** Verify's code for a key that is not active. */
const NOT_ACTIVE_CODE = { expired: 'key_expired', revoked: 'key_revoked', disabled: 'key_disabled' } as const;

/**
 * Issue 22: a key reported exposed, and what a key did since it was. The report goes through the
 * one exposure pipeline (`KeyService.expose`: marked exposed once, audited, stopped at once — the
 * Automator key rotated), after the authority check (`KeyService.reportExposed`: a key may always
 * report itself; any other key needs what revoking it needs).
 */
export const exposureRoutes: Route[] = [
  defineRoute(EXPOSURE_CONTRACT.reportExposed, async (ctx) => {
    const outcome = await ctx.services.keys.reportExposed(await ctx.principal(), ctx.params.id, ctx.input.body.location);
    return json(200, { object: 'key.exposure_report', handled: outcome.handled, key: presentKey(outcome.key, ctx.services.clock.now()) });
  }),
  defineRoute(EXPOSURE_CONTRACT.exposureUsage, async (ctx) => {
    const usage = await ctx.services.usage.sinceExposure(await ctx.principal(), ctx.params.id);
    return json(200, { object: 'key.exposure_usage', ...usage });
  }),
];

/** Project-scoped API keys: create, list, search, verify, get, edit, pause, resume, rotate, revoke, delete, report exposed. */
export const keyRoutes: Route[] = [
  defineRoute(KEY_CONTRACT.createKey, async (ctx) => {
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
      budget: body.budget,
      tokenLimit: body.tokenLimit,
      maxConcurrent: body.maxConcurrent,
      rotation: body.rotation,
    });
    return issuedResponse(ctx, issued, 201);
  }),
  defineRoute(KEY_CONTRACT.listKeys, async (ctx) => {
    const page = await ctx.services.keys.list(await ctx.principal(), ctx.input.query);
    const now = ctx.services.clock.now();
    return json(200, { object: 'list', data: page.items.map((k) => presentKey(k, now)), nextCursor: page.nextCursor ?? null });
  }),
  defineRoute(KEY_CONTRACT.searchKeys, async (ctx) => {
    const page = await ctx.services.keys.list(await ctx.principal(), ctx.input.body);
    const now = ctx.services.clock.now();
    return json(200, { object: 'list', data: page.items.map((k) => presentKey(k, now)), nextCursor: page.nextCursor ?? null });
  }),
  defineRoute(KEY_CONTRACT.verifyKey, async (ctx) => {
    const caller = await ctx.key();
    requireRead({ kind: 'key', key: caller }, 'keys:read');
    const body = ctx.input.body;
    const key = await ctx.services.auth.inspect(body.key);
    const now = ctx.services.clock.now();
    // Keys of other projects are indistinguishable from unknown ones.
    if (!key || key.projectId !== caller.projectId) return json(200, { valid: false, code: 'invalid_api_key' });
    const status = keyStatus(key, now);
    const base = { keyId: key.id, projectId: key.projectId, type: key.type, scopes: key.scopes, status };
    if (status !== 'active') return json(200, { valid: false, code: NOT_ACTIVE_CODE[status], ...base });
    if (!body.permission) return json(200, { valid: true, ...base });
    const decision = checkPermission(key, body.permission, body.resource);
    return json(200, {
      valid: decision.allowed,
      ...(decision.allowed ? {} : { code: 'insufficient_permissions' }),
      ...base,
      permission: { name: body.permission, allowed: decision.allowed, ...(decision.allowed ? { filters: decision.filters } : { reason: decision.reason }) },
    });
  }),
  defineRoute(KEY_CONTRACT.getKey, async (ctx) => keyResponse(ctx, await ctx.services.keys.get(await ctx.principal(), ctx.params.id))),
  defineRoute(KEY_CONTRACT.updateKey, async (ctx) => {
    const principal = await ctx.principal();
    const ifVersion = ifMatchVersion(ctx.req.headers['if-match']);
    const { expiresIn, expiresAt, ...rest } = ctx.input.body;
    const expiry =
      expiresIn !== undefined ? ctx.services.clock.now() + parseDuration(expiresIn)! : expiresAt === undefined || expiresAt === null ? expiresAt : Date.parse(expiresAt);
    const key = await ctx.services.keys.update(principal, ctx.params.id, { ...rest, ...(expiry === undefined ? {} : { expiresAt: expiry }) }, { ifVersion });
    return keyResponse(ctx, key);
  }),
  defineRoute(KEY_CONTRACT.disableKey, async (ctx) => {
    const ifVersion = ifMatchVersion(ctx.req.headers['if-match']);
    return keyResponse(ctx, await ctx.services.keys.disable(await ctx.principal(), ctx.params.id, { ifVersion }));
  }),
  defineRoute(KEY_CONTRACT.enableKey, async (ctx) => {
    const ifVersion = ifMatchVersion(ctx.req.headers['if-match']);
    return keyResponse(ctx, await ctx.services.keys.enable(await ctx.principal(), ctx.params.id, { ifVersion }));
  }),
  defineRoute(KEY_CONTRACT.rotateKey, async (ctx) => {
    const { overlap, revokeWhenIdle, origin } = ctx.input.body;
    const issued = await ctx.services.keys.rotate(await ctx.principal(), ctx.params.id, overlap ? parseDuration(overlap) : 0, {
      ...(revokeWhenIdle ? { revokeWhenIdleMs: parseDuration(revokeWhenIdle) } : {}),
      ...(origin ? { origin } : {}),
    });
    return issuedResponse(ctx, issued, 201);
  }),
  defineRoute(KEY_CONTRACT.revokeKey, async (ctx) => {
    const key = await ctx.services.keys.revoke(await ctx.principal(), ctx.params.id);
    return json(200, presentKey(key, ctx.services.clock.now()));
  }),
  defineRoute(KEY_CONTRACT.deleteKey, async (ctx) => {
    await ctx.services.keys.delete(await ctx.principal(), ctx.params.id);
    return json(200, { object: 'api_key.deleted', id: ctx.params.id, deleted: true });
  }),
  ...exposureRoutes,
  defineRoute(KEY_CONTRACT.keyStragglers, async (ctx) => {
    const report = await stragglerReport(ctx.services, await ctx.principal(), ctx.params.id);
    return json(200, { object: 'key.stragglers', ...report });
  }),
];

/** GET /v1/me: the calling key, its project and account, and the setup script with a placeholder. */
export const meRoutes: Route[] = [
  defineRoute(ME_CONTRACT.getMe, async (ctx) => {
    const key = await ctx.key();
    const { config, clock } = ctx.services;
    const { project, account } = await ctx.services.keys.owners(key);
    return json(200, {
      ...presentKey(key, clock.now()),
      project: project ? { id: project.id, name: project.name } : null,
      account: account ? { id: account.id, name: account.name, apiAccess: account.apiAccess, credits: account.credits, policy: publicPolicy(account.policy) } : null,
      environment: config.environment,
      setupScript: setupScript({ baseUrl: publicV1Url(ctx), brand: config.headerBrand, modelId: config.modelId }),
    });
  }),
];
