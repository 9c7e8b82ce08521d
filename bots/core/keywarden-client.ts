import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import { deliveryClaimId, signDeliveryClaim } from '../../lambdas/core/delivery-claim';
import { KeywardenApi, type CallInput, type CallOutput } from '../../lambdas/http/client';
import type {
  ApiAuditRecord,
  ApiConversationReference,
  ApiError,
  ApiIssuedKey,
  ApiKey,
  ApiMe,
  ApiResult,
  ApiVerifyResult,
  BotName,
  ApiExposureReport,
  ApiExposureUsage,
  ApiStragglers,
  ApiLeakReport,
  CreateKeyRequest,
  KeyStatus,
  UpdateKeyRequest,
  UsageTotal,
} from './api-types';
import type { RotationOrigin } from './rotation-origin';

/** The key-changing actions a person may attempt through a bot (audit action names). */
export type AdminAction = 'key.create' | 'key.rotate' | 'key.revoke' | 'key.delete' | 'key.update' | 'key.disable' | 'key.enable';

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
 * actions (create, rotate, revoke, delete, edit, pause, resume) and the admin check also carry `X-Keywarden-Actor`, a
 * short-lived assertion naming the person (spent by the one action it carries), so the API can
 * check that person is a project admin and audit them.
 * Expected failures come back as `{ ok: false, error }`, never as exceptions.
 */
export class KeywardenClient {
  readonly v1: string;
  readonly bot: BotName;
  private readonly api: KeywardenApi;
  private me_?: ApiMe;
  private model_?: string;

  constructor(private readonly options: KeywardenClientOptions) {
    this.api = new KeywardenApi({ baseUrl: options.baseUrl, key: options.viewerKey, timeoutMs: options.timeoutMs, fetch: options.fetch });
    this.v1 = this.api.v1;
    this.bot = options.bot;
  }

  /** The viewer key's own record, project and account. The key id is cached (it signs assertions). */
  async me(fresh = false): Promise<ApiResult<ApiMe>> {
    if (this.me_ && !fresh) return { ok: true, value: this.me_, status: 200 };
    const result = await this.api.call('getMe', {});
    if (result.ok) this.me_ = result.value;
    return result;
  }

  async listKeys(
    query: { search?: string; status?: KeyStatus; limit?: number; cursor?: string } = {},
  ): Promise<ApiResult<{ keys: ApiKey[]; more: boolean; nextCursor: string | null }>> {
    const limit = query.limit ?? 50;
    // Whatever a person typed goes in a body (it may be a whole key, or most of one): never in a URL.
    const result = query.search
      ? await this.api.call('searchKeys', { body: { search: query.search, status: query.status, limit, cursor: query.cursor } })
      : await this.api.call('listKeys', { query: { status: query.status, limit, cursor: query.cursor } });
    return result.ok
      ? { ok: true, status: result.status, value: { keys: result.value.data, more: result.value.nextCursor !== null, nextCursor: result.value.nextCursor } }
      : result;
  }

  getKey(id: string): Promise<ApiResult<ApiKey>> {
    return this.api.call('getKey', { params: { id } });
  }

  /** Identities registered as admins of the bot's project (all platforms). */
  async admins(): Promise<ApiResult<string[]>> {
    const result = await this.api.call('listAdmins', {});
    return result.ok ? { ok: true, status: result.status, value: result.value.data.map((a) => a.identity) } : result;
  }

  /**
   * Asks the API, with `actor`'s assertion, whether that person may act as an admin of the
   * project. The API audits a "no" as a denied attempt naming the person and the bot. With
   * `search`, an admin's answer also carries the matching keys (what `listKeys` would find).
   */
  async checkAdmin(
    actor: string,
    action: AdminAction,
    target: { keyId?: string; search?: string } = {},
  ): Promise<ApiResult<{ identity: string; admin: boolean; matches?: ApiKey[] }>> {
    const body = { action, ...(target.keyId ? { keyId: target.keyId } : {}), ...(target.search ? { search: target.search } : {}) };
    return this.asActor(actor, (headers) => this.api.call('checkAdmin', { body }, { headers }));
  }

  async audit(query: { keyId?: string; actor?: string; limit?: number }): Promise<ApiResult<ApiAuditRecord[]>> {
    const result = await this.api.call('listAudit', { query: { keyId: query.keyId, actor: query.actor, limit: query.limit ?? 20 } });
    return result.ok ? { ok: true, status: result.status, value: result.value.data } : result;
  }

  /** Calls, tokens and credits per key since `since` (ISO), of one key or all: `GET /v1/usage`'s totals. */
  async usageTotals(query: { since: string; keyId?: string }): Promise<ApiResult<{ totals: UsageTotal[]; complete: boolean }>> {
    const result = await this.api.call('listUsage', { query: { since: query.since, keyId: query.keyId, limit: 1 } });
    return result.ok ? { ok: true, status: result.status, value: { totals: result.value.totals, complete: result.value.totalsComplete } } : result;
  }

  /**
   * Claims a delivery — an incoming platform request, or a notice sent once — so it runs at most
   * once across every bot instance. `what` names it in plain words (`slack-event:Ev…`,
   * `leak-alert:slack:key_…`); the id sent is its HMAC under the bot-only secret, with a proof
   * bound to this bot's key (lambdas/core/delivery-claim.ts), so no other key can compute the id
   * or claim it first. A replay answers `{ ok: false, error.code: 'conflict' }`.
   */
  async claimDelivery(what: string, keepForSeconds?: number): Promise<ApiResult<{ claimed: true }>> {
    const me = await this.me();
    if (!me.ok) return me;
    const id = deliveryClaimId(this.options.assertionSecret, what);
    const proof = signDeliveryClaim(this.options.assertionSecret, me.value.id, id);
    return this.api.call('claimDelivery', { body: { id, proof, ...(keepForSeconds === undefined ? {} : { keepForSeconds }) } });
  }

  /** Records where this bot reaches `actor` privately (their 1:1 chat), with their assertion. */
  saveConversation(actor: string, reference: ApiConversationReference): Promise<ApiResult<unknown>> {
    return this.asActor(actor, (headers) => this.api.call('saveConversation', { body: { reference } }, { headers }));
  }

  /** Where this bot reaches each person privately, by identity. */
  async conversations(): Promise<ApiResult<Map<string, ApiConversationReference>>> {
    const result = await this.api.call('listConversations', { query: { bot: this.bot } });
    return result.ok ? { ok: true, status: result.status, value: new Map(result.value.data.map((c) => [c.identity, c.reference])) } : result;
  }

  /** Is this raw key a live key of the bot's project? (leak guard) */
  verify(key: string): Promise<ApiResult<ApiVerifyResult>> {
    return this.api.call('verifyKey', { body: { key } });
  }

  /**
   * A key value seen posted in a conversation (the leak guard): a live key goes through the
   * exposure pipeline at once (revoked; the Automator key rotated). Holding the value is the
   * authority; the value travels in the body only, and the answer names the key by id.
   */
  reportLeak(key: string, location: string): Promise<ApiResult<ApiLeakReport>> {
    return this.api.call('reportLeak', { body: { key, location } });
  }

  /** `exposed <key>`: reports a key exposed as `actor` (their assertion: the API decides whether they may). */
  reportExposed(actor: string, id: string, location?: string): Promise<ApiResult<ApiExposureReport>> {
    return this.asActor(actor, (headers) => this.api.call('reportExposed', { params: { id }, body: location ? { location } : {} }, { headers }));
  }

  /** What a key did since it was first seen exposed: calls, tokens, credits, first and last use, addresses and user agents. */
  exposureUsage(id: string): Promise<ApiResult<ApiExposureUsage>> {
    return this.api.call('exposureUsage', { params: { id } });
  }

  /** Who still calls with a rotated-out key during its overlap (issue 25 point 4). */
  stragglers(id: string): Promise<ApiResult<ApiStragglers>> {
    return this.api.call('keyStragglers', { params: { id } });
  }

  /** End-user chat through the OpenAI-compatible Responses endpoint, with the viewer key. */
  async respond(input: string, model?: string): Promise<ApiResult<{ text: string }>> {
    const chosen = model ?? (await this.chatModel());
    if (typeof chosen !== 'string') return chosen;
    const result = await this.api.call('createResponse', { body: { model: chosen, input } });
    return result.ok ? { ok: true, status: result.status, value: { text: outputText(result.value as ResponsesBody) } } : result;
  }

  /**
   * The model end users chat with: the first the catalog lists for the viewer key (SPEC §4,
   * `MODELS`), read once per instance — an operator who renames the catalog's models does not
   * break the bots' chat.
   */
  private async chatModel(): Promise<string | ApiResult<never>> {
    if (this.model_) return this.model_;
    const listed = await this.api.call('listModels', {});
    if (!listed.ok) return listed;
    const first = listed.value.data[0]?.id;
    if (!first) return { ok: false, error: { status: 404, code: 'model_not_found', message: 'The viewer key may use no model.' } satisfies ApiError };
    this.model_ = first;
    return first;
  }

  /** A one-time console sign-in link for `actor` (an admin; the API refuses and audits anyone else). */
  consoleLink(actor: string): Promise<ApiResult<{ url: string; expiresAt: string }>> {
    return this.asActor(actor, (headers) => this.api.call('createConsoleLink', {}, { headers }));
  }

  /** `request <name> …`: asks the admins for a key as `actor` (the requester the API records is the person). */
  requestKey(actor: string, body: CallInput<'createKeyRequest'>['body']): Promise<ApiResult<CallOutput<'createKeyRequest'>>> {
    return this.asActor(actor, (headers) => this.api.call('createKeyRequest', { body }, { headers }));
  }

  /**
   * Key requests as `actor` sees them: all of the project's for an admin (the API decides), with
   * the status asked for. Read for the approval cards, which go only to that admin.
   */
  listKeyRequests(actor: string, query: CallInput<'listKeyRequests'>['query']): Promise<ApiResult<CallOutput<'listKeyRequests'>>> {
    return this.asActor(actor, (headers) => this.api.call('listKeyRequests', { query }, { headers }));
  }

  /** Approves a key request as `actor` (the API: an admin, never wider than they could create, once). The answer never carries the value. */
  approveKeyRequest(actor: string, id: string): Promise<ApiResult<CallOutput<'approveKeyRequest'>>> {
    return this.asActor(actor, (headers) => this.api.call('approveKeyRequest', { params: { id } }, { headers }));
  }

  /** Denies a key request as `actor`, with the reason its requester sees. */
  denyKeyRequest(actor: string, id: string, reason: string): Promise<ApiResult<CallOutput<'denyKeyRequest'>>> {
    return this.asActor(actor, (headers) => this.api.call('denyKeyRequest', { params: { id }, body: { reason } }, { headers }));
  }

  /** The approved key's value, to its requester `actor` only, once: for the edge's private delivery alone. */
  claimKeyRequest(actor: string, id: string): Promise<ApiResult<ApiIssuedKey>> {
    return this.asActor(actor, (headers) => this.api.call('claimKeyRequest', { params: { id } }, { headers }));
  }

  // Per-channel request ceilings (issue 25 point 1; request-ceiling-command.ts's CeilingCalls): each call as
  // `actor`, so the API decides whether that person is a key manager and audits a refusal.

  /** Sets (replaces) the ceiling on key requests from `channel`, a verified `slack:…`/`teams:…` channel. */
  setRequestCeiling(actor: string, channel: string, ceiling: CallInput<'setKeyRequestCeiling'>['body']['ceiling']): Promise<ApiResult<CallOutput<'setKeyRequestCeiling'>>> {
    return this.asActor(actor, (headers) => this.api.call('setKeyRequestCeiling', { body: { channel, ceiling } }, { headers }));
  }

  /** The ceiling on key requests from `channel` (404 when it has none). */
  getRequestCeiling(actor: string, channel: string): Promise<ApiResult<CallOutput<'getKeyRequestCeiling'>>> {
    return this.asActor(actor, (headers) => this.api.call('getKeyRequestCeiling', { query: { channel } }, { headers }));
  }

  /** Lifts the ceiling on key requests from `channel` (404 when it had none). */
  clearRequestCeiling(actor: string, channel: string): Promise<ApiResult<CallOutput<'clearKeyRequestCeiling'>>> {
    return this.asActor(actor, (headers) => this.api.call('clearKeyRequestCeiling', { query: { channel } }, { headers }));
  }

  // ── Scheduled rotations delivered to a key's chat owner (rotation-delivery-notices.ts) ──
  /** The rotated values still held for their owners (never the values): whom to tell. */
  listRotationDeliveries(): Promise<ApiResult<CallOutput<'listRotationDeliveries'>>> {
    return this.api.call('listRotationDeliveries', { query: { status: 'pending' } });
  }

  /** A rotated key's value, to its owner `actor` only, once: for the edge's private delivery alone. */
  claimRotationDelivery(actor: string, keyId: string): Promise<ApiResult<ApiIssuedKey>> {
    return this.asActor(actor, (headers) => this.api.call('claimRotationDelivery', { params: { id: keyId } }, { headers }));
  }

  createKey(actor: string, body: CreateKeyRequest): Promise<ApiResult<ApiIssuedKey>> {
    return this.asActor(actor, (headers) => this.api.call('createKey', { body }, { headers }));
  }

  /** `origin`: the channel or group conversation the person rotated in (from the platform's verified payload), told of stragglers. */
  rotateKey(actor: string, id: string, overlap?: string, origin?: RotationOrigin): Promise<ApiResult<ApiIssuedKey>> {
    const body = { ...(overlap ? { overlap } : {}), ...(origin ? { origin } : {}) };
    return this.asActor(actor, (headers) => this.api.call('rotateKey', { params: { id }, body }, { headers }));
  }

  revokeKey(actor: string, id: string): Promise<ApiResult<ApiKey>> {
    return this.asActor(actor, (headers) => this.api.call('revokeKey', { params: { id } }, { headers }));
  }

  deleteKey(actor: string, id: string): Promise<ApiResult<{ id: string; deleted: boolean }>> {
    return this.asActor(actor, (headers) => this.api.call('deleteKey', { params: { id } }, { headers }));
  }

  /** An edit in place; with `version`, only of that version (`If-Match`: a key changed since answers 409). */
  updateKey(actor: string, id: string, body: UpdateKeyRequest, version?: number): Promise<ApiResult<ApiKey>> {
    return this.asActor(actor, (headers) => this.api.call('updateKey', { params: { id }, body }, { headers: { ...headers, ...ifMatch(version) } }));
  }

  /** Pauses a key (`disabled`); with `version`, only of that version. */
  disableKey(actor: string, id: string, version?: number): Promise<ApiResult<ApiKey>> {
    return this.asActor(actor, (headers) => this.api.call('disableKey', { params: { id } }, { headers: { ...headers, ...ifMatch(version) } }));
  }

  /** Resumes a paused key; with `version`, only of that version. */
  enableKey(actor: string, id: string, version?: number): Promise<ApiResult<ApiKey>> {
    return this.asActor(actor, (headers) => this.api.call('enableKey', { params: { id } }, { headers: { ...headers, ...ifMatch(version) } }));
  }

  /** Signs a fresh assertion for `actor` (a platform identity), bound to the viewer key's id. */
  private async asActor<T>(actor: string, call: (headers: Record<string, string>) => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
    const me = await this.me();
    if (!me.ok) return me;
    const assertion = signAssertion(this.options.assertionSecret, { sub: actor, bot: this.bot, kid: me.value.id });
    return call({ [ASSERTION_HEADER]: assertion });
  }
}

function ifMatch(version: number | undefined): Record<string, string> {
  return version === undefined ? {} : { 'if-match': String(version) };
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
