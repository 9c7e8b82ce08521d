import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import type {
  ApiAuditRecord,
  ApiError,
  ApiIssuedKey,
  ApiKey,
  ApiMe,
  ApiResult,
  ApiVerifyResult,
  BotName,
  CreateKeyRequest,
} from './api-types';

/** The key-changing actions a person may attempt through a bot (audit action names). */
export type AdminAction = 'key.create' | 'key.rotate' | 'key.revoke' | 'key.delete';

export interface KeywardenClientOptions {
  /** The API base (`https://api.example.com` or `…/v1`); `/v1` is appended when missing. */
  baseUrl: string;
  /** The bot's Locked-Down Viewer key: every call authenticates with it. */
  viewerKey: string;
  /** The bot-only secret that signs actor assertions for admin actions. */
  assertionSecret: string;
  bot: BotName;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * An HTTP client of `/v1` for one bot. Reads go out with the viewer key alone; key-changing
 * actions (create, rotate, revoke, delete) also carry `X-Keywarden-Actor`, a short-lived single-use
 * assertion naming the person, so the API can check that person is a project admin and audit them.
 * Expected failures come back as `{ ok: false, error }`, never as exceptions.
 */
export class KeywardenClient {
  readonly v1: string;
  readonly bot: BotName;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private me_?: ApiMe;

  constructor(private readonly options: KeywardenClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.v1 = base.endsWith('/v1') ? base : `${base}/v1`;
    this.bot = options.bot;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** The viewer key's own record, project and account. The key id is cached (it signs assertions). */
  async me(fresh = false): Promise<ApiResult<ApiMe>> {
    if (this.me_ && !fresh) return { ok: true, value: this.me_ };
    const result = await this.call<ApiMe>('GET', '/me');
    if (result.ok) this.me_ = result.value;
    return result;
  }

  async listKeys(query: { search?: string; status?: string; limit?: number } = {}): Promise<ApiResult<{ keys: ApiKey[]; more: boolean }>> {
    const params = new URLSearchParams();
    if (query.search) params.set('search', query.search);
    if (query.status) params.set('status', query.status);
    params.set('limit', String(query.limit ?? 50));
    const result = await this.call<{ data: ApiKey[]; nextCursor: string | null }>('GET', `/keys?${params}`);
    return result.ok ? { ok: true, value: { keys: result.value.data, more: result.value.nextCursor !== null } } : result;
  }

  getKey(id: string): Promise<ApiResult<ApiKey>> {
    return this.call('GET', `/keys/${encodeURIComponent(id)}`);
  }

  /** Identities registered as admins of the bot's project (all platforms). */
  async admins(): Promise<ApiResult<string[]>> {
    const result = await this.call<{ data: { identity: string }[] }>('GET', '/admins');
    return result.ok ? { ok: true, value: result.value.data.map((a) => a.identity) } : result;
  }

  /**
   * Asks the API, with `actor`'s assertion, whether that person may act as an admin of the
   * project. The API audits a "no" as a denied attempt naming the person and the bot.
   */
  async checkAdmin(actor: string, action: AdminAction, keyId?: string): Promise<ApiResult<{ identity: string; admin: boolean }>> {
    return this.asActor(actor, 'POST', '/admins/check', { action, ...(keyId ? { keyId } : {}) });
  }

  async audit(query: { keyId?: string; actor?: string; limit?: number }): Promise<ApiResult<ApiAuditRecord[]>> {
    const params = new URLSearchParams();
    if (query.keyId) params.set('keyId', query.keyId);
    if (query.actor) params.set('actor', query.actor);
    params.set('limit', String(query.limit ?? 20));
    const result = await this.call<{ data: ApiAuditRecord[] }>('GET', `/audit?${params}`);
    return result.ok ? { ok: true, value: result.value.data } : result;
  }

  /**
   * Claims an incoming platform request (`id`: SHA-256 hex of what identifies it) so it runs at
   * most once across every bot instance. A replay answers `{ ok: false, error.code: 'conflict' }`.
   */
  claimDelivery(id: string): Promise<ApiResult<{ claimed: true }>> {
    return this.call('POST', '/deliveries', { id });
  }

  /** Is this raw key a live key of the bot's project? (leak guard) */
  verify(key: string): Promise<ApiResult<ApiVerifyResult>> {
    return this.call('POST', '/keys/verify', { key });
  }

  /** End-user chat through the OpenAI-compatible Responses endpoint, with the viewer key. */
  async respond(input: string, model = 'archibot'): Promise<ApiResult<{ text: string }>> {
    const result = await this.call<ResponsesBody>('POST', '/responses', { model, input });
    return result.ok ? { ok: true, value: { text: outputText(result.value) } } : result;
  }

  createKey(actor: string, body: CreateKeyRequest): Promise<ApiResult<ApiIssuedKey>> {
    return this.asActor(actor, 'POST', '/keys', body);
  }

  rotateKey(actor: string, id: string, overlap?: string): Promise<ApiResult<ApiIssuedKey>> {
    return this.asActor(actor, 'POST', `/keys/${encodeURIComponent(id)}/rotate`, overlap ? { overlap } : {});
  }

  revokeKey(actor: string, id: string): Promise<ApiResult<ApiKey>> {
    return this.asActor(actor, 'POST', `/keys/${encodeURIComponent(id)}/revoke`, {});
  }

  deleteKey(actor: string, id: string): Promise<ApiResult<{ id: string; deleted: boolean }>> {
    return this.asActor(actor, 'DELETE', `/keys/${encodeURIComponent(id)}`);
  }

  /** Signs a fresh assertion for `actor` (a platform identity), bound to the viewer key's id. */
  private async asActor<T>(actor: string, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const me = await this.me();
    if (!me.ok) return me;
    const assertion = signAssertion(this.options.assertionSecret, { sub: actor, bot: this.bot, kid: me.value.id });
    return this.call<T>(method, path, body, { [ASSERTION_HEADER]: assertion });
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.v1}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.viewerKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return { ok: false, error: { status: 0, code: 'unreachable', message: timedOut ? 'Keywarden did not answer in time.' : 'Keywarden could not be reached.' } };
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) return { ok: true, value: parsed as T };
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

interface ResponsesBody {
  output_text?: string;
  output?: { type?: string; content?: { type?: string; text?: string }[] }[];
}

/** The assistant text of a Responses API answer (`output_text` when present, else the message parts). */
export function outputText(body: ResponsesBody | undefined): string {
  if (!body) return '';
  if (typeof body.output_text === 'string' && body.output_text) return body.output_text;
  return (body.output ?? [])
    .filter((item) => item.type === 'message')
    .flatMap((item) => item.content ?? [])
    .filter((part) => part.type === 'output_text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}
