// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeywardenError } from '../core/errors';
import type { Principal } from '../core/principal';
import type { KeyRecord } from '../core/types';
import type { Services } from '../services';
import { assertionOf, bearerToken, requireValid } from './auth';
import { ExposedKeyError, HttpError, toErrorResponse } from './errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth';
import { isStreamed, type HttpRequest, type HttpResponse } from './types';

/** What a route handler gets: the request, path params, services, and auth on demand. */
export class RequestContext {
  /** Headers every response of this request carries (rate-limit state once authenticated). */
  readonly responseHeaders: Record<string, string> = {};
  private caller?: KeyRecord;

  constructor(
    readonly req: HttpRequest,
    readonly params: Record<string, string>,
    readonly services: Services,
  ) {}

  get logger(): Logger {
    return this.services.logger;
  }

  /** Authenticates the bearer key and counts the request against its rate limit. */
  async key(): Promise<KeyRecord> {
    if (this.caller) return this.caller;
    const token = bearerToken(this.req);
    if (!token) {
      throw new KeywardenError('invalid_api_key', 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".');
    }
    const check = await this.services.keys.authenticate(token);
    const now = this.services.clock.now();
    if (check.result === 'rate_limited' || check.result === 'valid') {
      this.logger.appendKeys({ keyId: check.key.id, projectId: check.key.projectId });
    }
    const { key, headers } = requireValid(check, now);
    Object.assign(this.responseHeaders, headers);
    this.caller = key;
    return key;
  }

  /** The caller as a principal, with a verified person when a bot sent an actor assertion. */
  async principal(): Promise<Principal> {
    return this.services.keys.principalFor(await this.key(), assertionOf(this.req));
  }

  /** Parses the JSON body against a schema; a missing body counts as `{}`. */
  body<T extends z.ZodType>(schema: T): z.infer<T> {
    const raw = this.req.body;
    let value: unknown = {};
    if (raw !== undefined && raw.trim() !== '') {
      try {
        value = JSON.parse(raw, refuseProtoKey);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'invalid_request_error', 'The request body is not valid JSON.');
      }
    }
    return schema.parse(value);
  }

  query<T extends z.ZodType>(schema: T): z.infer<T> {
    return schema.parse(this.req.query);
  }
}

/** `__proto__` is never a field of ours; validators would silently drop it, so it is refused outright. */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new HttpError(400, 'invalid_request_error', 'The request body uses the reserved name __proto__.');
  return value;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/keys/:id/rotate` style. */
  path: string;
  /** A schema per `:param`, checked before the handler runs (before any key check or lookup). */
  params?: Record<string, z.ZodType<string>>;
  handler: (ctx: RequestContext) => Promise<HttpResponse>;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, regex: new RegExp(`^${pattern}/?$`), names };
}

export type ApiHandler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * The /v1 router: method and path matching, the body-size limit, and the one place where thrown
 * errors become the documented error shape. Nothing here knows about Lambda or node:http.
 */
export function createRouter(services: Services, routes: Route[]): ApiHandler {
  const compiled = routes.map(compile);
  return async (req) => {
    const logger = services.logger;
    logger.resetKeys?.();
    logger.appendKeys({ requestId: req.requestId });
    let ctx: RequestContext | undefined;
    try {
      const size = req.body === undefined ? 0 : Buffer.byteLength(req.body);
      if (size > services.config.maxBodyBytes) {
        throw new HttpError(413, 'invalid_request_error', `The request body exceeds ${services.config.maxBodyBytes} bytes.`);
      }
      if (req.body !== undefined && exceedsJsonDepth(req.body)) {
        throw new HttpError(400, 'invalid_request_error', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
      }
      const samePath = compiled.filter((r) => r.regex.test(req.path));
      if (samePath.length === 0) throw new KeywardenError('not_found', `Unknown path ${safePath(req.path)}.`);
      const route = samePath.find((r) => r.method === req.method);
      if (!route) {
        throw new HttpError(405, 'invalid_request_error', `Method ${req.method} is not allowed on ${safePath(req.path)}.`);
      }
      const params = parseParams(route, route.regex.exec(req.path)!);
      ctx = new RequestContext(req, params, services);
      const response = await route.handler(ctx);
      response.headers = { ...ctx.responseHeaders, ...response.headers, 'x-request-id': req.requestId };
      if (!isStreamed(response)) logger.info('request', { method: req.method, route: route.path, status: response.status });
      return response;
    } catch (err) {
      if (err instanceof ExposedKeyError) await reportExposed(services, err);
      const response = toErrorResponse(err, { ...(ctx?.responseHeaders ?? {}), 'x-request-id': req.requestId });
      if (response.status >= 500) logger.error('request failed', { method: req.method, path: safePath(req.path), error: describe(err) });
      else logger.info('request rejected', { method: req.method, path: safePath(req.path), status: response.status, code: codeOf(err) });
      return response;
    }
  };
}

/** Path parameters, percent-decoded (a malformed escape is a 400) and checked against the route's schemas. */
function parseParams(route: CompiledRoute, match: RegExpExecArray): Record<string, string> {
  const params: Record<string, string> = {};
  route.names.forEach((name, i) => {
    let value: string;
    try {
      value = decodeURIComponent(match[i + 1] ?? '');
    } catch {
      throw new HttpError(400, 'invalid_request_error', `The ${name} in the path is not validly percent-encoded.`, name);
    }
    const schema = route.params?.[name];
    if (!schema) return void (params[name] = value);
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new HttpError(400, 'invalid_request_error', parsed.error.issues[0]?.message ?? `Invalid ${name}.`, name);
    params[name] = parsed.data;
  });
  return params;
}

/** A key sent where it does not belong is revoked before the 400 goes out; a failure to do so is logged, never hidden by a 5xx. */
async function reportExposed(services: Services, err: ExposedKeyError): Promise<void> {
  try {
    await services.keys.exposed(err.raw);
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
