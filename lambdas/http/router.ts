// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeywardenError } from '../core/errors';
import type { Principal } from '../core/principal';
import type { KeyCheck } from '../core/authenticator';
import type { KeyRecord } from '../core/types';
import type { Services } from '../services';
import { parseKey } from '../core/key-format';
import { bindingMatches, CONSOLE_BINDING_HEADER, readSessionCookie } from '../core/console-cookie';
import { consoleIsHttps, consoleOrigins } from '../config';
import { consoleSessions, type ConsoleAdmission, type ConsoleSessionInfo } from '../core/console-sessions';
import { assertionOf, bearerToken, checkHeaders, requireValid } from './auth';
import { EDGE_HEADERS, ExposedKeyError, HttpError, toErrorResponse } from './errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth';
import { KeyInUrlError, refuseKeyInUnroutedPath, refuseKeysInQuery } from './key-in-url';
import type { RouteContract } from './contract';
import { isStreamed, type CallUsage, type Finish, type HttpRequest, type HttpResponse } from './types';

/** Validated input of a request, as the route's schemas declare it. */
export interface RouteInput<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
}

/** What a route handler gets: the request, its validated input, services, and auth on demand. */
export class RequestContext<P = unknown, Q = unknown, B = unknown> {
  /** Headers every response of this request carries (rate-limit state once authenticated). */
  readonly responseHeaders: Record<string, string> = {};
  private caller?: KeyRecord;
  /** A valid key refused only by its rate limit: not admitted, but the call is still its. */
  private limited?: KeyRecord;
  /** A console session (cookie, no bearer key), once `key()` has admitted it. */
  private session?: ConsoleAdmission;

  constructor(
    readonly req: HttpRequest,
    readonly input: RouteInput<P, Q, B>,
    readonly services: Services,
  ) {}

  get params(): P {
    return this.input.params;
  }

  get logger(): Logger {
    return this.services.logger;
  }

  /** The authenticated key, once `key()` has admitted it. */
  get authenticated(): KeyRecord | undefined {
    return this.caller;
  }

  /**
   * The key this call is recorded against (SPEC §4 usage, seed 003): the admitted key, or a valid
   * key its rate limit refused. Never a revoked, expired or unknown one.
   */
  get attributedTo(): KeyRecord | undefined {
    return this.caller ?? this.limited;
  }

  /**
   * The bearer token, checked without any I/O: present, and of the key format with a valid
   * checksum (anything else is a 401 that never reaches storage).
   */
  bearer(): string {
    const token = bearerToken(this.req);
    if (!token) {
      throw new KeywardenError('invalid_api_key', 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".');
    }
    if (!parseKey(token).ok) throw new KeywardenError('invalid_api_key', 'Incorrect API key provided.');
    return token;
  }

  /** Authenticates the bearer key and counts the request against its rate limit. */
  async key(): Promise<KeyRecord> {
    if (this.caller) return this.caller;
    // A request with no bearer key may come from the console with its session cookie.
    if (bearerToken(this.req) === undefined) {
      const cookie = sessionCookieOf(this.req, this.services);
      if (cookie !== undefined) return this.sessionKey(cookie);
    }
    const check = await this.services.auth.authenticate(this.bearer());
    return this.admit(check, {});
  }

  /** The one way a key check becomes the caller: logs, rate-limit headers, and the refusal if any. */
  private admit(check: KeyCheck, log: { via?: string }): KeyRecord {
    const now = this.services.clock.now();
    if (check.result === 'rate_limited' || check.result === 'valid') {
      this.logger.appendKeys({ keyId: check.key.id, projectId: check.key.projectId, ...log });
    }
    if (check.result === 'rate_limited') this.limited = check.key;
    Object.assign(this.responseHeaders, checkHeaders(check, now));
    this.caller = requireValid(check, now);
    return this.caller;
  }

  /** The caller as a principal, with a verified person when a bot sent an actor assertion. */
  async principal(): Promise<Principal> {
    const key = await this.key();
    if (this.session?.principal) return this.session.principal;
    return this.services.auth.principalFor(key, assertionOf(this.req));
  }

  /** The console session this request came with, once admitted. */
  get consoleSession(): ConsoleSessionInfo | undefined {
    return this.session?.session;
  }

  /**
   * A console session admits its key like a bearer key (counted, rate-limit headers, the same
   * errors); anything that changes state must come from the console's own origin.
   */
  private async sessionKey(token: string): Promise<KeyRecord> {
    requireSameOrigin(this.req, this.services);
    // The page proves the session is its own (console-cookie.ts): a session tossed in from another origin has no binding here.
    if (!bindingMatches(token, this.req.headers[CONSOLE_BINDING_HEADER])) {
      throw new KeywardenError('invalid_api_key', 'This console session was not opened on this page (another site on this host may have set it). Sign in again.');
    }
    const admission = await consoleSessions(this.services).admit(token);
    const caller = this.admit(admission.check, { via: 'console' });
    this.session = admission;
    return caller;
  }
}

/**
 * The console session token a request carries, if any. More than one session cookie, or one under
 * a name that is not ours, is refused: the server cannot tell the person's own from one another
 * site tossed in (console-cookie.ts), so it acts on neither.
 */
export function sessionCookieOf(req: HttpRequest, services: Services): string | undefined {
  const cookie = readSessionCookie(req.headers.cookie, consoleIsHttps(services.config));
  if (cookie.kind === 'tossed') {
    throw new HttpError(
      400,
      'invalid_request_error',
      'This request carries more than one Keywarden console session cookie, or one this site did not set: another site on this host may have planted it. Nothing was done. Clear this site’s cookies, then sign in again.',
      'Cookie',
    );
  }
  return cookie.kind === 'one' ? cookie.token : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated calls that change state come from the console's own origin only: the
 * configured public and console URLs (config.ts `consoleOrigins`), never anything built from the
 * request's own Host or X-Forwarded-Host, which a client chooses. A browser that sends no Origin
 * on a same-origin request still sends Sec-Fetch-Site, which no page can set; a request with
 * neither is refused. SameSite=Strict already keeps other sites' requests cookie-less; this is
 * the second lock.
 */
export function requireSameOrigin(req: HttpRequest, services: Services): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin ? consoleOrigins(services.config).includes(origin) : req.headers['sec-fetch-site'] === 'same-origin') return;
  throw new KeywardenError('insufficient_permissions', 'Console requests that change anything must come from the console itself (Origin).');
}

/** A JSON body (a missing or blank one counts as `{}`); `__proto__` anywhere is refused. */
function parseJsonBody(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return {};
  try {
    return JSON.parse(raw, refuseProtoKey);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'invalid_request_error', 'The request body is not valid JSON.');
  }
}

/** `__proto__` is never a field of ours; validators would silently drop it, so it is refused outright. */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new HttpError(400, 'invalid_request_error', 'The request body uses the reserved name __proto__.');
  return value;
}

/**
 * A route: its contract (lambdas/http/contract.ts — method, path, `operationId`, request schemas,
 * the response per status) and its handler. The router validates with the contract's schemas,
 * the OpenAPI document is generated from the table of routes, the CDK stack builds its API
 * Gateway resources from it, and the local server picks the streaming handler by `streaming`.
 */
export type Route = RouteContract & {
  handler: (ctx: RequestContext) => Promise<HttpResponse>;
};

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/** Attaches a handler to a contract, the handler typed by the contract's own schemas. */
export function defineRoute<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, S extends z.ZodType | undefined>(
  contract: RouteContract<P, Q, B, S>,
  handler: (ctx: RequestContext<Out<P>, Out<Q>, Out<B>>) => Promise<HttpResponse>,
): Route {
  return { ...(contract as RouteContract), handler: handler as Route['handler'] };
}

/** Every error status a route can answer: the common ones of its kind, then its own. */
export function errorStatuses(route: Route): number[] {
  const common = [400, 503];
  if (route.auth === 'key') common.push(401, 403, 429);
  if (route.body) common.push(413);
  return [...new Set([...common, ...(route.errors ?? [])])].sort((a, b) => a - b);
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, regex: new RegExp(`^${pattern}/?$`), names };
}

/** Each route table's patterns, compiled once (the local server asks `findRoute` on every request). */
const compiledTables = new WeakMap<readonly Route[], CompiledRoute[]>();
function compiledFor(routes: readonly Route[]): CompiledRoute[] {
  let compiled = compiledTables.get(routes);
  if (!compiled) compiledTables.set(routes, (compiled = routes.map(compile)));
  return compiled;
}

/** The route a method and path reach, if any (the local server picks its handler by it). */
export function findRoute(routes: readonly Route[], method: string, path: string): Route | undefined {
  return compiledFor(routes).find((c) => c.route.method === method && c.regex.test(path))?.route;
}

export type ApiHandler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * The /v1 router: method and path matching, the body-size and depth limits, input validation in
 * a fixed order (path parameters first — before any key check or lookup —, then the key, then
 * the query and the body), and the one place where thrown errors become the documented shape.
 * Nothing here knows about Lambda or node:http.
 */
export function createRouter(services: Services, routes: readonly Route[]): ApiHandler {
  const compiled = compiledFor(routes);
  return async (req) => {
    const logger = services.logger;
    logger.resetKeys?.();
    logger.appendKeys({ requestId: req.requestId });
    let ctx: RequestContext | undefined;
    let route: Route | undefined;
    const early: Record<string, string> = {};
    try {
      const samePath = compiled.filter((r) => r.regex.test(req.path));
      const match = samePath.find((r) => r.route.method === req.method);
      // A model call's answers all carry the billing evidence, rejections included.
      if (match?.route.billed) Object.assign(early, billingEvidence(services, req.requestId, 0));
      // Before any other check, key check or lookup: a key in a URL is refused (and exposed) on every path.
      refuseKeysInQuery(req.queryPairs ?? Object.entries(req.query));
      const size = req.body === undefined ? 0 : Buffer.byteLength(req.body);
      if (size > services.config.maxBodyBytes) {
        throw new HttpError(413, 'invalid_request_error', `The request body exceeds ${services.config.maxBodyBytes} bytes.`);
      }
      if (req.body !== undefined && exceedsJsonDepth(req.body)) {
        throw new HttpError(400, 'invalid_request_error', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
      }
      if (samePath.length === 0) {
        refuseKeyInUnroutedPath(req.path);
        throw new KeywardenError('not_found', `Unknown path ${safePath(req.path)}.`);
      }
      if (!match) {
        throw new HttpError(405, 'invalid_request_error', `Method ${req.method} is not allowed on ${safePath(req.path)}.`);
      }
      route = match.route;
      const params = parseParams(match, match.regex.exec(req.path)!);
      ctx = new RequestContext(req, { params, query: {}, body: undefined }, services);
      Object.assign(ctx.responseHeaders, early);
      // A billed route admits the key itself, alongside its credit reservation (gateway.ts):
      // here only what needs no I/O, so a missing or malformed key is still a 401 first.
      if (route.auth === 'key') await (route.billed ? ctx.bearer() : ctx.key());
      // Bad input with an unknown key is still a 401: the key is admitted before the 400 goes out.
      try {
        const query = route.query ? route.query.parse(req.query) : {};
        const body = route.body ? route.body.parse(parseJsonBody(req.body)) : undefined;
        Object.assign(ctx.input, { query, body });
      } catch (err) {
        if (route.auth === 'key') await ctx.key();
        throw err;
      }
      const response = await route.handler(ctx as RequestContext<never, never, never>);
      response.headers = { ...ctx.responseHeaders, ...response.headers, ...EDGE_HEADERS, 'x-request-id': req.requestId };
      if (!isStreamed(response)) logger.info('request', { method: req.method, route: route.path, status: response.status });
      return withUsageRecord(services, ctx, `${route.method} ${route.path}`, response);
    } catch (err) {
      if (err instanceof ExposedKeyError) await reportExposed(services, err);
      const response = toErrorResponse(err, { ...early, ...(ctx?.responseHeaders ?? {}), ...EDGE_HEADERS, 'x-request-id': req.requestId });
      if (response.status >= 500) logger.error('request failed', { method: req.method, path: safePath(req.path), error: describe(err) });
      else logger.info('request rejected', { method: req.method, path: safePath(req.path), status: response.status, code: codeOf(err) });
      return ctx && route ? withUsageRecord(services, ctx, `${route.method} ${route.path}`, response) : response;
    }
  };
}

/**
 * Every authenticated call is a usage record (SPEC §4), written after the answer: the route's own
 * after-work (a gateway call's settlement) runs first and says what the call used; a write it left
 * in flight (a refund) and the usage record then go out side by side.
 */
function withUsageRecord(services: Services, ctx: RequestContext, route: string, response: HttpResponse): HttpResponse {
  const own = response.finish;
  const failed = (what: string) => (err: unknown) => services.logger.error(what, { route, error: describe(err) });
  response.finish = async (outcome) => {
    let used: CallUsage | void = undefined;
    try {
      used = await own?.(outcome);
    } catch (err) {
      failed('after-answer work failed')(err);
    }
    const { written, ...call } = used ?? { credits: 0 };
    const settled = written?.catch(failed('after-answer work failed'));
    const key = ctx.attributedTo;
    if (!key) {
      await settled;
      return call;
    }
    const model = (ctx.input.body as { model?: unknown } | undefined)?.model;
    const recorded = services.usage
      .record({
        requestId: ctx.req.requestId,
        at: new Date(services.clock.now()).toISOString(),
        projectId: key.projectId,
        accountId: key.accountId,
        keyId: key.id,
        route,
        status: response.status,
        ...(typeof model === 'string' && services.catalog.find(model) ? { model } : {}),
        ...call,
      })
      .catch(failed('usage record not written'));
    await Promise.all([settled, recorded]);
    return call;
  };
  return response;
}

/** The billing evidence headers (`X-<Brand>-Request-Id`, `-Credits-Charged`, `-Credits-Remaining`). */
export function billingEvidence(services: Services, requestId: string, charged: number, remaining?: number): Record<string, string> {
  const brand = services.config.headerBrand.toLowerCase();
  return {
    [`x-${brand}-request-id`]: requestId,
    [`x-${brand}-credits-charged`]: String(charged),
    ...(remaining === undefined ? {} : { [`x-${brand}-credits-remaining`]: String(remaining) }),
  };
}

/** Path parameters, percent-decoded (a malformed escape is a 400) and checked against the route's schema. */
function parseParams(match: CompiledRoute, found: RegExpExecArray): Record<string, string> {
  const raw: Record<string, string> = {};
  match.names.forEach((name, i) => {
    try {
      raw[name] = decodeURIComponent(found[i + 1] ?? '');
    } catch {
      throw new HttpError(400, 'invalid_request_error', `The ${name} in the path is not validly percent-encoded.`, name);
    }
  });
  if (!match.route.params) return raw;
  const parsed = match.route.params.safeParse(raw);
  if (parsed.success) return parsed.data as Record<string, string>;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? match.names[0] ?? 'path');
  throw new HttpError(400, 'invalid_request_error', issue?.message ?? `Invalid ${name}.`, name);
}

/** A key sent where it does not belong is revoked before the 400 goes out; a failure to do so is logged, never hidden by a 5xx. */
async function reportExposed(services: Services, err: ExposedKeyError): Promise<void> {
  try {
    await services.keys.exposed(err.raw, err instanceof KeyInUrlError ? 'a key was sent in a URL, which access logs keep' : undefined);
  } catch (failure) {
    services.logger.error('could not revoke an exposed key', { param: err.param, error: describe(failure) });
  }
}

/** Paths may carry user input (a pasted key in an id slot): never log or echo more than the shape. */
function safePath(path: string): string {
  return path
    .split('/')
    .map((part) => (part.length > 40 || /_[0-9A-Za-z]{24,}/.test(part) ? '…' : part))
    .join('/');
}

function codeOf(err: unknown): string | undefined {
  return err instanceof KeywardenError || err instanceof HttpError ? err.code : undefined;
}

function describe(err: unknown): Record<string, string> {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'unknown' };
}
