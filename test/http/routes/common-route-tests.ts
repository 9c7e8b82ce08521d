import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../../lambdas/core/key-format';
import type { Principal } from '../../../lambdas/core/principal';
import { resolveScopes } from '../../../lambdas/core/scopes';
import { API_ROUTE_TABLE, createApi } from '../../../lambdas/http/api';
import type { CONTRACT } from '../../../lambdas/http/contract';
import type { Route } from '../../../lambdas/http/route';
import type { ApiHandler } from '../../../lambdas/http/router';
import { isStreamed, type HttpRequest } from '../../../lambdas/http/types';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * The checks every route gets (unkey's `runCommonRouteTests`): a key-authenticated route refuses a
 * missing, malformed, checksum-failing, unknown, revoked, expired or rate-limited key in the
 * documented shape, never echoing it, and — where its surface file names the permission it needs
 * — a key without that permission; a route its file declares public answers the same whatever
 * key comes with it.
 * Each surface of /v1 has one security file (`<surface>.security.test.ts`) that calls
 * `runSurfaceTests` with one test stack; `SURFACES` places every route in exactly one of them
 * (route-coverage.test.ts checks it), so a new route without a security file fails.
 */
type OperationId = keyof typeof CONTRACT;

export const SURFACES = {
  models: ['listModels', 'getModel'],
  responses: ['createResponse', 'createChatCompletion'],
  'stored-responses': ['getResponse', 'deleteResponse', 'cancelResponse', 'listResponseInputItems'],
  conversations: ['createConversation', 'getConversation', 'updateConversation', 'deleteConversation', 'listConversationItems', 'createConversationItems', 'getConversationItem', 'deleteConversationItem'],
  embeddings: ['createEmbedding'],
  keys: ['createKey', 'listKeys', 'searchKeys', 'verifyKey', 'getKey', 'updateKey', 'disableKey', 'enableKey', 'rotateKey', 'revokeKey', 'deleteKey', 'getMe', 'keyStragglers'],
  audit: ['listAudit'],
  usage: ['listUsage', 'dailyUsage'],
  admins: ['listAdmins', 'checkAdmin'],
  bots: ['saveConversation', 'listConversations', 'claimDelivery'],
  exposure: ['reportExposed', 'exposureUsage', 'reportLeak'],
  console: ['createConsoleSession', 'getConsoleSession', 'deleteConsoleSession', 'createConsoleLink'],
  'secret-scanning': ['reportGithubSecrets'],
  service: ['getHealth', 'getOpenApiDocument'],
  webhooks: ['createWebhook', 'listWebhooks', 'deleteWebhook', 'listWebhookDeliveries'],
  'rotation-deliveries': ['listRotationDeliveries', 'claimRotationDelivery'],
  'key-requests': ['createKeyRequest', 'listKeyRequests', 'approveKeyRequest', 'denyKeyRequest', 'claimKeyRequest', 'setKeyRequestCeiling', 'getKeyRequestCeiling', 'clearKeyRequestCeiling'],
} as const satisfies Record<string, readonly OperationId[]>;
export type Surface = keyof typeof SURFACES;

/** What a surface file says about one of its routes beyond the common checks. */
export interface RouteOptions {
  /** The permission the route needs: a key holding every other scope (not `admin`) is 403. */
  needs?: string;
  /** A body that passes validation, for the permission check (default: none). */
  body?: unknown;
  /** The route is public: its answer to the sweep's request, whatever key comes with it. */
  publicStatus?: number;
}

/** One test stack per file and the refused keys the checks present, made through the services. */
export interface SecurityFixture {
  stack: TestStack;
  /** The router that ships, in-process (the same handler the local server serves). */
  api: ApiHandler;
  revoked: string;
  expired: string;
  /** A key whose one request in a day is spent. */
  limited: string;
  /** A live key of the project, for `:id` in a permission check. */
  victimId: string;
  /** A key holding every privileged scope except `scope` (and `admin`). */
  without(scope: string): Promise<string>;
}

/** Starts the file's one test stack (beforeAll) and stops it (afterAll); the fixture once started. */
export function useSecurityStack(): () => SecurityFixture {
  let fixture: SecurityFixture | undefined;
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
    const { keys, auth } = stack.services;
    const operator: Principal = { kind: 'operator', actor: 'cli:security-test', projectId: stack.bootstrap.projectId };
    const revoked = await keys.create(operator, { name: 'revoked' });
    await keys.revoke(operator, revoked.key.id);
    const expired = await keys.create(operator, { name: 'expired', expiresInMs: 1 });
    const limited = await keys.create(operator, { name: 'limited', rateLimit: { limit: 1, windowSeconds: 86_400 } });
    expect((await auth.authenticate(limited.secret)).result).toBe('valid');
    const victim = await keys.create(operator, { name: 'victim' });
    stack.clock.advance(1_000);
    const scoped = new Map<string, Promise<string>>();
    const all = resolveScopes('privileged', undefined);
    fixture = {
      stack,
      api: createApi(stack.services),
      revoked: revoked.secret,
      expired: expired.secret,
      limited: limited.secret,
      victimId: victim.key.id,
      without(scope) {
        if (!scoped.has(scope)) {
          const scopes = all.ok ? all.scopes.filter((s) => s !== scope && s !== 'admin') : [];
          scoped.set(scope, keys.create(operator, { name: `without ${scope}`, scopes }).then((k) => k.secret));
        }
        return scoped.get(scope)!;
      },
    };
  });
  afterAll(async () => stack?.stop());
  return () => {
    if (!fixture) throw new Error('the security stack is not started (useSecurityStack at the top of the file)');
    return fixture;
  };
}

/** A route of the table by its operationId. */
export function routeOf(operationId: OperationId): Route {
  const route = API_ROUTE_TABLE.find((r) => r.operationId === operationId);
  if (!route) throw new Error(`no route ${operationId} in API_ROUTE_TABLE`);
  return route;
}

/** Drives the in-process router, reading a streamed answer to its end. */
export async function drive(api: ApiHandler, req: HttpRequest): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const res = await api(req);
  if (!isStreamed(res)) return res;
  const parts: Buffer[] = [];
  for await (const chunk of res.stream) parts.push(Buffer.from(chunk));
  await res.finish?.({ completed: true });
  return { status: res.status, headers: res.headers, body: Buffer.concat(parts).toString('utf8') };
}

/** The request of the authentication sweep: any id, the model, and a body most routes refuse. */
function sweepRequest(route: Route, authorization: string | undefined): HttpRequest {
  return {
    method: route.method,
    path: route.path.replace(':id', 'key_0000000000000000000000').replace(':model', 'archibot').replace(':itemId', 'msg_0'),
    query: {},
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
    body: route.method === 'GET' ? undefined : '{"model":"archibot","input":"hi","id":"' + 'a'.repeat(64) + '"}',
    requestId: 'req_sweep',
  };
}

/** The common checks for one route. */
export function runCommonRouteTests(route: Route, fixture: () => SecurityFixture, options: RouteOptions = {}): void {
  const name = `${route.method} ${route.path}`;
  const send = async (authorization: string | undefined) => {
    const res = await drive(fixture().api, sweepRequest(route, authorization));
    return { ...res, json: JSON.parse(res.body || 'null') };
  };

  // Public only when the surface file says so: a key route turned public fails here, not silently.
  if (route.auth === 'public' || options.publicStatus !== undefined) {
    it(`${name} takes no bearer key: ${options.publicStatus} whatever key comes with it`, async () => {
      expect({ route: name, auth: route.auth, declared: options.publicStatus !== undefined }).toEqual({ route: name, auth: 'public', declared: true });
      const f = fixture();
      for (const key of [undefined, 'nonsense', generateKey(), f.revoked, f.expired, f.limited]) {
        expect((await send(key && `Bearer ${key}`)).status, route.path).toBe(options.publicStatus);
      }
      expect((await send('Basic abc')).status, route.path).toBe(options.publicStatus);
    });
    return;
  }

  it(`${name}: a missing, malformed, checksum-failing, unknown or non-Bearer key is 401 invalid_api_key, never echoed`, async () => {
    const unknown = generateKey();
    const broken = `${unknown.slice(0, -1)}${unknown.endsWith('0') ? '1' : '0'}`;
    for (const authorization of [undefined, 'Bearer nonsense', `Bearer ${broken}`, `Bearer ${unknown}`, 'Basic abc']) {
      const res = await send(authorization);
      expect({ route: name, status: res.status }).toEqual({ route: name, status: 401 });
      expect(res.json.error).toMatchObject({ code: 'invalid_api_key', type: 'authentication_error' });
      expect(res.body.includes(unknown)).toBe(false);
      expect(res.body.includes(broken)).toBe(false);
    }
  });

  it(`${name}: a revoked key is 401 key_revoked, an expired one 401 key_expired`, async () => {
    const f = fixture();
    for (const [key, code] of [
      [f.revoked, 'key_revoked'],
      [f.expired, 'key_expired'],
    ] as const) {
      const res = await send(`Bearer ${key}`);
      expectApiError({ status: res.status, body: res.json }, 401, code);
      expect(res.body.includes(key)).toBe(false);
    }
  });

  it(`${name}: a key over its rate limit is 429 rate_limit_exceeded, with Retry-After`, async () => {
    const f = fixture();
    const res = await send(`Bearer ${f.limited}`);
    expectApiError({ status: res.status, body: res.json }, 429, 'rate_limit_exceeded');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.includes(f.limited)).toBe(false);
  });

  const needs = options.needs;
  if (needs) {
    it(`${name}: a key without ${needs} is 403 insufficient_permissions`, async () => {
      const f = fixture();
      const key = await f.without(needs);
      const res = await drive(f.api, {
        method: route.method,
        path: route.path.replace(':id', f.victimId).replace(':model', 'archibot').replace(':itemId', 'msg_0'),
        query: {},
        headers: { authorization: `Bearer ${key}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        requestId: 'req_scope',
      });
      const json = JSON.parse(res.body);
      expectApiError({ status: res.status, body: json }, 403, 'insufficient_permissions');
      expect(json.error.message).toBe(`This key lacks the ${needs} permission.`);
    });
  }
}

/**
 * A surface's security file in one call: the common checks for each of its routes, against the
 * file's one stack. `options` may speak only of the surface's own routes.
 */
export function runSurfaceTests(
  surface: Surface,
  fixture: () => SecurityFixture,
  options: Partial<Record<(typeof SURFACES)[Surface][number], RouteOptions>> = {},
): void {
  const own = SURFACES[surface] as readonly OperationId[];
  for (const id of Object.keys(options)) if (!own.includes(id as OperationId)) throw new Error(`${id} is not a route of the ${surface} surface`);
  describe(`${surface}: the checks every route gets`, () => {
    for (const id of own) runCommonRouteTests(routeOf(id), fixture, options[id as keyof typeof options]);
  });
}
