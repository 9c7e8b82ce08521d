// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import type * as z from 'zod';
import { findKeysInText } from '../core/key-scan';
import { CONTRACT, type OperationId } from './contract';
import type { RouteContract } from './route-contract';
import type { AuditRecordSchema } from './routes/audit.contract';
import type { ConversationReferenceSchema } from './routes/bots.contract';
import type { CreateKeyBody, IssuedKeySchema, KeySchema, MeSchema, VerifyResult } from './routes/keys.contract';

/**
 * The one typed client of /v1, built from the contract the server serves: each call names an
 * operation, its input is typed by that route's request schemas and its result by its success
 * schema. Used by the CLI, both bots and the tests. Expected failures come back as data
 * (`{ ok: false, error }`), never as exceptions; an unreachable or silent API is `unreachable`.
 */
type Parts<Op extends OperationId> = (typeof CONTRACT)[Op] extends RouteContract<infer P, infer Q, infer B, infer S> ? { P: P; Q: Q; B: B; S: S } : never;

export type CallInput<Op extends OperationId> = (Parts<Op>['P'] extends z.ZodType ? { params: z.input<Parts<Op>['P']> } : { params?: never }) &
  (Parts<Op>['Q'] extends z.ZodType ? { query?: z.input<Parts<Op>['Q']> } : { query?: never }) &
  (Parts<Op>['B'] extends z.ZodType ? { body: z.input<Parts<Op>['B']> } : { body?: never });

export type CallOutput<Op extends OperationId> = Parts<Op>['S'] extends z.ZodType ? z.output<Parts<Op>['S']> : unknown;

/** The wire shapes clients read, from the same schemas the server answers with. */
export type ApiKey = z.output<typeof KeySchema>;
/** Create and rotate: the only responses that carry a raw key (rotate: `replaced`, the old key as it now stands). */
export type ApiIssuedKey = z.output<typeof IssuedKeySchema>;
export type ApiMe = z.output<typeof MeSchema>;
export type ApiAuditRecord = z.output<typeof AuditRecordSchema>;
export type ApiVerifyResult = z.output<typeof VerifyResult>;
export type ApiConversationReference = z.output<typeof ConversationReferenceSchema>;
export type CreateKeyRequest = z.input<typeof CreateKeyBody>;

/**
 * A failed call, as data. `code` is the API's error code (`insufficient_quota`, `not_found`, …) or
 * `unreachable` when no HTTP answer came back. The message never contains a submitted key.
 */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  /** The request part the error is about, when the API names one (e.g. `X-Keywarden-Actor`). */
  param?: string;
  retryAfterSeconds?: number;
  /** `unreachable`: the network failure's code (`ECONNREFUSED`, `ENOTFOUND`, …) or `timeout`. */
  cause?: string;
}

export type ApiResult<T> = { ok: true; value: T; status: number } | { ok: false; error: ApiError };

export interface KeywardenApiOptions {
  /** The API base (`https://api.example.com` or `…/v1`); `/v1` is appended when missing. */
  baseUrl: string;
  /** The bearer key every call authenticates with (none for public routes only). */
  key?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class KeywardenApi {
  /** The `/v1` base every path is joined to. */
  readonly v1: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: KeywardenApiOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.v1 = base.endsWith('/v1') ? base : `${base}/v1`;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** The URL of an operation with its path parameters and query filled in. */
  url<Op extends OperationId>(op: Op, input: CallInput<Op>): string {
    const route: RouteContract = CONTRACT[op];
    const params = (input.params ?? {}) as Record<string, string>;
    const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries((input.query ?? {}) as Record<string, unknown>)) {
      if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
    }
    return `${this.v1}${path.replace(/^\/v1/, '')}${query.size ? `?${query}` : ''}`;
  }

  async call<Op extends OperationId>(op: Op, input: CallInput<Op>, options: { headers?: Record<string, string> } = {}): Promise<ApiResult<CallOutput<Op>>> {
    const route: RouteContract = CONTRACT[op];
    const body = (input as { body?: unknown }).body;
    const url = this.url(op, input);
    // The server would refuse it and revoke the key, but by then a proxy log may hold it: never send.
    if (findKeysInText(decodeURIComponent(url.replace(/\+/g, ' '))).length > 0) {
      return {
        ok: false,
        error: { status: 0, code: 'key_in_url', message: 'Not sent: the URL would carry an API key. Search by key with searchKeys (POST /v1/keys/search).' },
      };
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: route.method,
        headers: {
          ...(this.options.key ? { authorization: `Bearer ${this.options.key}` } : {}),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return {
        ok: false,
        error: {
          status: 0,
          code: 'unreachable',
          message: timedOut ? 'Keywarden did not answer in time.' : 'Keywarden could not be reached.',
          cause: timedOut ? 'timeout' : (cause ?? 'no answer'),
        },
      };
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined && route.success.schema) {
        return { ok: false, error: { status: res.status, code: 'not_json', message: `${this.v1} answered ${res.status} with something other than JSON.` } };
      }
      return { ok: true, value: parsed as CallOutput<Op>, status: res.status };
    }
    return { ok: false, error: apiError(res, parsed) };
  }
}

function apiError(res: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; param?: unknown } } | undefined)?.error;
  const retryAfter = Number(res.headers.get('retry-after'));
  return {
    status: res.status,
    code: typeof error?.code === 'string' ? error.code : `http_${res.status}`,
    message: typeof error?.message === 'string' ? error.message : `Keywarden answered ${res.status}.`,
    ...(typeof error?.param === 'string' ? { param: error.param } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}
