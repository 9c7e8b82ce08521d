import * as z from 'zod';
import { KeywardenError, type ErrorCode } from '../core/errors';
import { json, type BufferedResponse } from './types';

/** Status and OpenAI error `type` per code: the only place where outcomes become HTTP. */
const STATUS: Record<ErrorCode, { status: number; type: string; code?: string }> = {
  invalid_api_key: { status: 401, type: 'authentication_error' },
  key_expired: { status: 401, type: 'authentication_error' },
  key_revoked: { status: 401, type: 'authentication_error' },
  key_disabled: { status: 401, type: 'authentication_error' },
  insufficient_permissions: { status: 403, type: 'permission_error' },
  api_access_disabled: { status: 403, type: 'permission_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, type: 'rate_limit_error' },
  concurrency_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  insufficient_quota: { status: 429, type: 'insufficient_quota' },
  invalid_request_error: { status: 400, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'not_found_error' },
  protected_key: { status: 409, type: 'conflict_error' },
  last_admin_key: { status: 409, type: 'conflict_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'conflict_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_timeout: { status: 504, type: 'api_error', code: 'upstream_error' },
  service_unavailable: { status: 503, type: 'api_error' },
};

const NEVER_RETRY = new Set<ErrorCode>(['insufficient_quota', 'api_access_disabled', 'invalid_api_key', 'key_expired', 'key_revoked', 'key_disabled']);

/** An HTTP-only error (wrong method, body too large): still the documented shape. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * A value passing the key format and checksum arrived where it must not be (an id slot, a stored
 * text field). The router treats the key as exposed (`KeyService.exposed`) and answers 400; the
 * value lives only in a private field, so no log, serializer or error body can reach it.
 */
export class ExposedKeyError extends Error {
  override name = 'ExposedKeyError';
  readonly #raw: string;
  constructor(
    readonly param: string,
    raw: string,
  ) {
    super(
      `The ${param} value is an API key, not ${param.toLowerCase().endsWith('id') ? 'an id' : 'text we may store'}. ` +
        'A key sent where it does not belong is treated as exposed: it has been revoked if it was live. ' +
        'Replace it wherever it was used.',
    );
    this.#raw = raw;
  }
  get raw(): string {
    return this.#raw;
  }
}

export function errorBody(message: string, type: string, code: string, param: string | null = null) {
  return { error: { message, type, code, param } };
}

/**
 * On every answer of the service, success or error, streamed or not, the router's and the local
 * server's own alike: no browser sniffs a JSON answer into something it renders, and no cache
 * (browser, proxy, CDN) keeps one — they carry keys, sessions, audit and usage, and the console
 * shares its origin with them. (API Gateway's own answers carry them too: lib/keywarden-api.ts.)
 */
export const EDGE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

/** An error answer the local server writes itself (before or beside the router), in the documented shape. */
export function errorAnswer(
  status: number,
  body: ReturnType<typeof errorBody>,
  headers: Record<string, string> = {},
): { statusCode: number; headers: Record<string, string>; body: string } {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...EDGE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * Maps anything thrown to the documented error shape. Unknown errors become a generic 500 whose
 * message reveals nothing (the details go to the log, which never holds a raw key).
 */
export function toErrorResponse(err: unknown, headers: Record<string, string> = {}): BufferedResponse {
  if (err instanceof KeywardenError) {
    const s = STATUS[err.code];
    const extra: Record<string, string> = { ...headers };
    if (err.context.retryAfterSeconds !== undefined) extra['retry-after'] = String(err.context.retryAfterSeconds);
    // Answers no retry can change: OpenAI's SDKs honour this and do not retry them (SPEC §4).
    if (NEVER_RETRY.has(err.code) || err.context.neverRetry) extra['x-should-retry'] = 'false';
    return json(s.status, errorBody(err.message, s.type, s.code ?? err.code, err.context.param ?? null), extra);
  }
  if (err instanceof ExposedKeyError) {
    return json(400, errorBody(err.message, 'invalid_request_error', 'invalid_request_error', err.param), headers);
  }
  if (err instanceof HttpError) {
    return json(err.status, errorBody(err.message, 'invalid_request_error', err.code, err.param), headers);
  }
  if (err instanceof z.ZodError) {
    const issue = err.issues[0];
    const param = issue ? issue.path.join('.') || null : null;
    const message = issue ? `Invalid ${param ?? 'request body'}: ${issue.message}` : 'Invalid request.';
    return json(400, errorBody(message, 'invalid_request_error', 'invalid_request_error', param), headers);
  }
  if (isTransientInfrastructureFailure(err)) {
    return json(503, errorBody('The service is temporarily unavailable; retry shortly.', 'api_error', 'service_unavailable'), {
      ...headers,
      'retry-after': '1',
    });
  }
  return json(500, errorBody('The server had an error while processing your request.', 'api_error', 'internal_error'), headers);
}

const TRANSIENT_NAMES = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|ServiceUnavailable|InternalServerError|TimeoutError|LimitExceeded/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A storage or secrets call that failed for reasons of its own (throttled, unreachable, 5xx) is a
 * 503 with Retry-After, the documented code for it; anything else unexpected stays a 500.
 */
function isTransientInfrastructureFailure(err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string; code?: string } | null;
  if (!e || typeof e !== 'object' || e.$metadata === undefined) return false;
  const status = e.$metadata.httpStatusCode;
  return (
    (e.code !== undefined && NETWORK_CODES.has(e.code)) ||
    TRANSIENT_NAMES.test(e.name ?? '') ||
    status === undefined ||
    status >= 500
  );
}
