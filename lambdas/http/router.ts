import { KeywardenError } from '../core/errors';
import type { Services } from '../services-core';
import { billingEvidence, withUsageRecord } from './after-answer';
import { EDGE_HEADERS, ExposedKeyError, HttpError, toErrorResponse } from './errors';
import { parseJsonBody } from './json-body';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth';
import { KeyInUrlError, refuseKeyInUnroutedPath, refuseKeysInQuery } from './key-in-url';
import { describeError, safePath } from './log-safe';
import { RequestContext } from './request-context';
import { compiledFor, type CompiledRoute, type Route } from './route';
import { isStreamed, type HttpRequest, type HttpResponse } from './types';
import { inOpenAiNamespace } from './route-origin';

export type ApiHandler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * The /v1 router: method and path matching, the body-size and depth limits, input validation in
 * a fixed order (path parameters first — before any key check or lookup —, then the key, then
 * the query and the body), and the one place where thrown errors become the documented shape.
 * Nothing here knows about Lambda or node:http. Beside it: a route's declaration and matching
 * (route.ts), what its handler gets (request-context.ts), what runs after the answer (after-answer.ts).
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
        // A path of OpenAI's API this gateway does not serve (yet) says so: the SDK's NotFoundError reads clearly.
        const what = inOpenAiNamespace(req.path) ? ' is part of OpenAI’s API that this gateway does not serve' : '';
        throw new KeywardenError('not_found', what ? `${safePath(req.path)}${what}.` : `Unknown path ${safePath(req.path)}.`);
      }
      if (!match) {
        throw new HttpError(405, 'invalid_request_error', `Method ${req.method} is not allowed on ${safePath(req.path)}.`);
      }
      route = match.route;
      // A raw key in a path slot is refused (and exposed) before anything; any other bad path
      // value of a key route waits for the key check, as bad query and body values do.
      const raw = decodeParams(match, match.regex.exec(req.path)!);
      let params: Record<string, string> = raw;
      let badParams: unknown;
      try {
        params = parseParams(match, raw);
      } catch (err) {
        if (route.auth !== 'key' || err instanceof ExposedKeyError) throw err;
        badParams = err;
      }
      ctx = new RequestContext(req, { params, query: {}, body: undefined }, services);
      Object.assign(ctx.responseHeaders, early);
      // A billed route admits the key itself, alongside its credit reservation (core/model-call.ts):
      // here only what needs no I/O, so a missing or malformed key is still a 401 first.
      if (route.auth === 'key') await (route.billed ? ctx.bearer() : ctx.key());
      if (badParams !== undefined) {
        await ctx.key();
        throw badParams;
      }
      // Bad input with an unknown key is still a 401: the key is admitted before the 400 goes out.
      try {
        const query = route.query ? route.query.parse(req.query) : {};
        const body = route.body ? route.body.parse(parseJsonBody(req.body)) : undefined;
        Object.assign(ctx.input, { query, body });
      } catch (err) {
        if (route.auth === 'key') await ctx.key();
        throw err;
      }
      // Events of the changes its principal makes are confirmed after the answer (request-context.ts
      // `principal`; withUsageRecord waits for them).
      const response = await route.handler(ctx as RequestContext<never, never, never>);
      response.headers = { ...ctx.responseHeaders, ...response.headers, ...EDGE_HEADERS, 'x-request-id': req.requestId };
      if (!isStreamed(response)) logger.info('request', { method: req.method, route: route.path, status: response.status });
      return withUsageRecord(services, ctx, `${route.method} ${route.path}`, response);
    } catch (err) {
      if (err instanceof ExposedKeyError) await reportExposed(services, err, route ? `${route.method} ${route.path}` : req.method);
      const response = toErrorResponse(err, { ...early, ...(ctx?.responseHeaders ?? {}), ...EDGE_HEADERS, 'x-request-id': req.requestId });
      if (response.status >= 500) logger.error('request failed', { method: req.method, path: safePath(req.path), error: describeError(err) });
      else logger.info('request rejected', { method: req.method, path: safePath(req.path), status: response.status, code: codeOf(err) });
      return ctx && route ? withUsageRecord(services, ctx, `${route.method} ${route.path}`, response) : response;
    }
  };
}

/** Path parameters, percent-decoded (a malformed escape is a 400: the request target itself is broken). */
function decodeParams(match: CompiledRoute, found: RegExpExecArray): Record<string, string> {
  const raw: Record<string, string> = {};
  match.names.forEach((name, i) => {
    try {
      raw[name] = decodeURIComponent(found[i + 1] ?? '');
    } catch {
      throw new HttpError(400, 'invalid_request_error', `The ${name} in the path is not validly percent-encoded.`, name);
    }
  });
  return raw;
}

/** Path values as the route's contract reads them (a raw key in one is thrown as exposed). */
function parseParams(match: CompiledRoute, raw: Record<string, string>): Record<string, string> {
  if (!match.route.params) return raw;
  const parsed = match.route.params.safeParse(raw);
  if (parsed.success) return parsed.data as Record<string, string>;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? match.names[0] ?? 'path');
  throw new HttpError(400, 'invalid_request_error', issue?.message ?? `Invalid ${name}.`, name);
}

/** A key sent where it does not belong is revoked before the 400 goes out; a failure to do so is logged, never hidden by a 5xx. */
async function reportExposed(services: Services, err: ExposedKeyError, route: string): Promise<void> {
  try {
    // The location is the route as declared: the request's own path may hold the key.
    await services.keys.exposed(err.raw, err instanceof KeyInUrlError ? { source: 'url', location: `${route} (${err.param}, in a URL)` } : { source: 'id_slot', location: `${route} (${err.param})` });
  } catch (failure) {
    services.logger.error('could not revoke an exposed key', { param: err.param, error: describeError(failure) });
  }
}

function codeOf(err: unknown): string | undefined {
  return err instanceof KeywardenError || err instanceof HttpError ? err.code : undefined;
}
