import { createHash, randomUUID } from 'node:crypto';
import type { AuditLog } from './audit-log';
import { listingCursors, pageSize } from './cursor';
import { KeywardenError } from './errors';
import {
  claimable,
  KEY_REQUEST_ID_PATTERN,
  KEY_REQUEST_TTL_MS,
  keyRequestStatus,
  newKeyRequestId,
  type KeyRequestRecord,
  type KeyRequestStatus,
  type RequestedKey,
} from './key-request-record';
import type { IssuedKey, KeyService } from './key-service';
import type { EventOutbox } from './event-outbox';
import type { EventType } from './events';
import { KeyRequestCeilings } from './key-request-ceilings';
import { channelOf } from './key-request-channel';
import { sealValue, unsealValue } from './sealed-values';
import { keyRequestEvent } from './key-request-events';
import { checkPermission } from './policy';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import { resolveScopes } from './scopes';
import type { Page } from './types';

/**
 * Keys asked for and approved (SPEC §3 "Request", issue 25 point 1). Anyone of the project asks —
 * any key, a viewer key included, or a person a bot vouches for; a key manager approves or denies.
 *
 * Approval goes through `KeyService.create` with the approver as the actor: the one check
 * `POST /v1/keys` makes (a key manager, the API gate, never wider than the approver), the same
 * audit record and `key.created` event. It mints at approval, so what the approver saw is what is
 * checked and minted, under the approver's authority as it stands at that moment.
 *
 * The value goes only to the requester: the approver's answer carries the key's id and visible
 * start, never its value. Until the requester claims it (`claim`, once, within 7 days), the value
 * is held sealed — AES-256-GCM under a key derived (HKDF) from the environment's hashing secret,
 * the request id as associated data — and the claim removes it in the same conditional write that
 * hands it out. The table never holds a usable key; a replayed claim finds nothing.
 *
 * Exactly one key per request: an approval first takes the request (a conditional write: pending,
 * unexpired, no other approval's lock), mints, then records the decision conditional on its lock.
 * A second approval, concurrent or later, is refused 409 and mints nothing.
 */

/** How long one approval holds a request between taking it and recording its key. */
const APPROVAL_LOCK_MS = 30_000;
const SEAL_INFO = 'keywarden key request values v1';

export type KeyRequestAction = 'key_request.create' | 'key_request.approve' | 'key_request.deny' | 'key_request.claim' | 'key_request.withdraw';

export interface KeyRequestInput extends Omit<RequestedKey, 'type' | 'scopes'> {
  type?: RequestedKey['type'];
  scopes?: string[];
  reason: string;
  /** The chat channel asked from: only a bot acting for a person names it (key-request-channel.ts). */
  channel?: string;
}

export interface KeyRequestsDeps {
  store: Store;
  secrets: SecretsProvider;
  clock: Clock;
  audit: AuditLog;
  keys: KeyService;
  /**
   * Where each decision's `key_request.*` event is stored at once (key-request-events.ts). Without
   * it the event sweep (event-sweep.ts) finds and stores them on its next run, once either way.
   */
  events?: EventOutbox;
}

export class KeyRequests {
  /** Per-channel ceilings: set by key managers, checked on request and again on approval. */
  readonly ceilings: KeyRequestCeilings;

  constructor(private readonly deps: KeyRequestsDeps) {
    this.ceilings = new KeyRequestCeilings({ ...deps, isKeyManager: (p) => this.isKeyManager(p) });
  }

  /** A new pending request: one per requester and name at a time (409 naming the pending one). */
  async request(p: Principal, input: KeyRequestInput): Promise<KeyRequestRecord> {
    const type = input.type ?? 'privileged';
    const resolved = resolveScopes(type, input.scopes);
    if (!resolved.ok) {
      throw new KeywardenError('invalid_request_error', `Scopes not allowed for a ${type} key: ${resolved.invalid.join(', ')}.`, { param: 'scopes' });
    }
    const name = input.name.trim();
    if (!name) throw new KeywardenError('invalid_request_error', 'A request names the key it asks for.', { param: 'name' });
    const { reason, channel: from, ...asked } = input;
    const channel = from === undefined ? undefined : channelOf(p, from);
    const now = this.deps.clock.now();
    const projectId = principalProject(p);
    const requester = principalActor(p);
    const refused = channel && (await this.ceilings.refusal(projectId, channel, { ...asked, type, scopes: resolved.scopes }));
    if (refused) {
      await this.deps.audit.record(p, 'key_request.create', 'denied', { reason: 'beyond the channel ceiling', details: { requester, name, type, channel: channel! } }, { once: true });
      throw refused;
    }
    const request: KeyRequestRecord = {
      id: newKeyRequestId(),
      projectId,
      requester,
      ...(p.kind === 'key' ? { viaKeyId: p.key.id } : {}),
      ...(p.kind === 'key' && p.person ? { viaBot: p.person.bot } : p.kind === 'key' && p.via ? { viaBot: p.via } : {}),
      key: { ...asked, name, type, scopes: resolved.scopes },
      reason: reason.trim(),
      ...(channel ? { channel } : {}),
      status: 'pending',
      createdAt: new Date(now).toISOString(),
      expiresAt: now + KEY_REQUEST_TTL_MS,
    };
    await this.takeSlot(request, now);
    try {
      // The person's assertion is spent here, before anything is asked on their behalf.
      await this.deps.audit.record(p, 'key_request.create', 'success', { details: { requestId: request.id, requester, name, type } }, { once: true });
      if (!(await this.deps.store.putKeyRequest(request))) throw new KeywardenError('conflict', 'Request id collision; try again.');
    } catch (err) {
      await this.deps.store.releaseKeyRequestSlot(projectId, slotOf(requester, name), request.id).catch(() => undefined);
      throw err;
    }
    await this.announce(p, request, 'key_request.requested');
    return request;
  }

  /** One pending request per requester and name: the slot, taken over only from a request that no longer waits. */
  private async takeSlot(request: KeyRequestRecord, now: number): Promise<void> {
    const { store } = this.deps;
    const slot = slotOf(request.requester, request.key.name);
    if (await store.takeKeyRequestSlot(request.projectId, slot, request.id, request.expiresAt, now)) return;
    const holder = await store.keyRequestSlot(request.projectId, slot);
    const held = holder ? await store.getKeyRequest(holder.requestId) : undefined;
    if (holder && held && keyRequestStatus(held, now) === 'pending') {
      throw new KeywardenError('conflict', `You already have a pending request for a key named "${held.key.name}" (${held.id}); it is decided or expires first.`);
    }
    if (holder && (await store.takeKeyRequestSlot(request.projectId, slot, request.id, request.expiresAt, now, holder.requestId))) return;
    throw new KeywardenError('conflict', 'Another request for a key of this name was just made; try again.');
  }

  /**
   * Requests of the project, newest first: all of them for a key manager (with `keys:read`), the
   * caller's own for anyone else. `status` filters on the status as it stands (expired included).
   */
  async list(p: Principal, query: { status?: KeyRequestStatus; cursor?: string; limit?: number }): Promise<Page<KeyRequestRecord>> {
    const projectId = principalProject(p);
    const all = (await this.isKeyManager(p)) && (p.kind === 'operator' || checkPermission(p.key, 'keys:read').allowed);
    const requester = principalActor(p);
    const limit = pageSize(query.limit);
    const cursors = await listingCursors(this.deps.secrets, ['key-requests', projectId, all ? '*' : requester, query.status ?? '']);
    const now = this.deps.clock.now();
    const items: KeyRequestRecord[] = [];
    let cursor = cursors.open(query.cursor);
    do {
      const page = await this.deps.store.listKeyRequests(projectId, { cursor, limit: 200 });
      for (const r of page.items) {
        if ((!all && r.requester !== requester) || (query.status && keyRequestStatus(r, now) !== query.status)) continue;
        items.push(r);
        if (items.length === limit) return { items, nextCursor: cursors.seal(this.deps.store.keyRequestsCursorAfter(r)) };
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { items };
  }

  /**
   * Mints exactly the key asked for, with the approver as its creator (`KeyService.create`: the
   * check, audit and event of `POST /v1/keys`), once. The answer never carries the key's value.
   */
  async approve(p: Principal, id: string): Promise<KeyRequestRecord> {
    const request = await this.target(p, id);
    // The channel's ceiling as it stands now: one lowered since the request still binds it.
    const beyond = request.channel && (await this.ceilings.refusal(request.projectId, request.channel, request.key));
    if (beyond) return this.refuse(p, 'key_request.approve', request, beyond, 'beyond the channel ceiling');
    const now = this.deps.clock.now();
    const holder = randomUUID();
    if (!(await this.deps.store.lockKeyRequest(id, holder, now + APPROVAL_LOCK_MS, now))) {
      const current = (await this.deps.store.getKeyRequest(id)) ?? request;
      return this.refuse(p, 'key_request.approve', current, undecidable(current, this.deps.clock.now()));
    }
    let issued: IssuedKey;
    try {
      const { name, ...powers } = request.key;
      // Marked as this request's approval: the one way to a privileged key under the account's privilegedRequiresApproval policy.
      issued = await this.deps.keys.create(p, { name, ...powers }, { approvedRequest: id });
    } catch (err) {
      await this.deps.store.unlockKeyRequest(id, holder).catch(() => undefined);
      // A policy's refusal names the policy (its param, `policy.<name>`) in the audit reason.
      const reason = err instanceof KeywardenError ? (err.context?.param?.startsWith('policy.') ? `${err.code} (${err.context.param})` : err.code) : 'error';
      await this.deps.audit.record(p, 'key_request.approve', 'denied', { reason, details: this.names(request, principalActor(p)) }).catch(() => undefined);
      throw err;
    }
    const decided = await this.deps.store.decideKeyRequest(id, {
      status: 'approved',
      holder,
      decidedBy: principalActor(p),
      decidedAt: new Date(this.deps.clock.now()).toISOString(),
      keyId: issued.key.id,
      keyStart: issued.key.start,
      sealedKey: await sealValue(this.deps.secrets, SEAL_INFO, id, issued.secret),
      claimUntil: this.deps.clock.now() + KEY_REQUEST_TTL_MS,
    });
    if (!decided) {
      // Our lock ran out and another approval took the request: withdraw our key so one exists.
      const system: Principal = { kind: 'operator', actor: 'system', projectId: request.projectId };
      await this.deps.keys.revoke(system, issued.key.id).catch(() => undefined);
      throw new KeywardenError('conflict', `Request ${id} was decided by another approval meanwhile.`);
    }
    await this.deps.store.releaseKeyRequestSlot(request.projectId, slotOf(request.requester, request.key.name), id).catch(() => undefined);
    await this.deps.audit.record(p, 'key_request.approve', 'success', { keyId: issued.key.id, details: { ...this.names(request, principalActor(p)), keyId: issued.key.id } });
    await this.announce(p, decided, 'key_request.approved');
    return decided;
  }

  /** Refuses a pending request with a reason its requester sees. Any key manager may. */
  async deny(p: Principal, id: string, reason: string): Promise<KeyRequestRecord> {
    const request = await this.target(p, id);
    if (!(await this.isKeyManager(p))) {
      const who = p.kind === 'key' && p.person ? `${p.person.identity} is not an admin of this project.` : 'This key lacks the keys:write permission.';
      return this.refuse(p, 'key_request.deny', request, new KeywardenError('insufficient_permissions', who), 'not a key manager');
    }
    const now = this.deps.clock.now();
    if (keyRequestStatus(request, now) !== 'pending') return this.refuse(p, 'key_request.deny', request, undecidable(request, now));
    await this.deps.audit.record(p, 'key_request.deny', 'success', { reason: reason.trim(), details: this.names(request, principalActor(p), 'denier') }, { once: true });
    const decided = await this.deps.store.decideKeyRequest(id, { status: 'denied', decidedBy: principalActor(p), decidedAt: new Date(now).toISOString(), denyReason: reason.trim(), now });
    if (!decided) {
      const current = (await this.deps.store.getKeyRequest(id)) ?? request;
      await this.deps.audit.record(p, 'key_request.deny', 'error', { reason: 'the denial did not take effect', details: this.names(request, principalActor(p), 'denier') }).catch(() => undefined);
      throw undecidable(current, this.deps.clock.now());
    }
    await this.deps.store.releaseKeyRequestSlot(request.projectId, slotOf(request.requester, request.key.name), id).catch(() => undefined);
    await this.announce(p, decided, 'key_request.denied');
    return decided;
  }

  /**
   * The approved key's value, to its requester only (the same key, or the same person through a
   * bot), once, within 7 days of the approval: the sealed value is removed as it is handed out.
   */
  async claim(p: Principal, id: string): Promise<IssuedKey> {
    const request = await this.target(p, id);
    if (principalActor(p) !== request.requester) {
      return this.refuse(p, 'key_request.claim', request, new KeywardenError('insufficient_permissions', 'Only the requester can collect the key of this request.'), 'not the requester');
    }
    const now = this.deps.clock.now();
    if (!claimable(request, now)) {
      if (request.status === 'approved' && request.sealedKey !== undefined) await this.deps.store.dropKeyRequestValue(id, now).catch(() => undefined);
      return this.refuse(p, 'key_request.claim', request, unclaimable(request, now));
    }
    const details = { ...this.names(request, request.decidedBy), keyId: request.keyId! };
    await this.deps.audit.record(p, 'key_request.claim', 'success', { keyId: request.keyId, details }, { once: true });
    const taken = await this.deps.store.takeKeyRequestValue(id, new Date(now).toISOString(), now);
    if (!taken?.sealedKey) {
      await this.deps.audit.record(p, 'key_request.claim', 'error', { keyId: request.keyId, reason: 'already collected', details }).catch(() => undefined);
      throw new KeywardenError('conflict', `The key of request ${id} was already collected.`);
    }
    const { sealedKey: _sealed, ...claimed } = taken;
    await this.announce(p, { ...claimed, claimedAt: new Date(now).toISOString() }, 'key_request.claimed');
    const key = await this.deps.store.getKey(taken.keyId!);
    if (!key) throw new KeywardenError('not_found', `The key of request ${id} no longer exists.`);
    return { key, secret: await unsealValue(this.deps.secrets, SEAL_INFO, id, taken.sealedKey) };
  }

  /**
   * The decision's event, stored at once when an outbox is wired (once: its id derives from the
   * request). A failure here is left to the sweep, which finds the same event: the decision stands.
   */
  private async announce(p: Principal, r: KeyRequestRecord, type: EventType): Promise<void> {
    const { events, store, clock } = this.deps;
    if (!events) return;
    try {
      const accountId = p.kind === 'key' ? p.key.accountId : (await store.getProject(r.projectId))?.accountId;
      const event = accountId ? keyRequestEvent(r, accountId, type, clock.now()) : undefined;
      if (event) await events.emitOnce(event);
    } catch {
      // The sweep stores it on its next run.
    }
  }

  /**
   * An approved key its requester never collected within its 7 days (`claimUntil`): nobody can
   * ever hold its value, so it is revoked (as the platform, `system`: the audit's `key.revoke`
   * and the `key.revoked` event name the request) and its sealed value dropped. Run by the event
   * sweep (event-sweep.ts); idempotent: `true` only when this call revoked the key.
   */
  async withdrawUnclaimed(request: KeyRequestRecord, now: number): Promise<boolean> {
    if (request.status !== 'approved' || request.claimedAt || !request.keyId || now < (request.claimUntil ?? Infinity)) return false;
    await this.deps.store.dropKeyRequestValue(request.id, now).catch(() => undefined);
    const key = await this.deps.store.getKey(request.keyId);
    if (!key || key.status === 'revoked') return false;
    const system: Principal = { kind: 'operator', actor: 'system', projectId: request.projectId };
    await this.deps.keys.revoke(system, request.keyId);
    const details = { ...this.names(request, request.decidedBy), keyId: request.keyId };
    await this.deps.audit.record(system, 'key_request.withdraw', 'success', { keyId: request.keyId, reason: 'not collected within 7 days of its approval', details }).catch(() => undefined);
    return true;
  }

  /** A request of the caller's project: another project's is indistinguishable from a missing one. */
  private async target(p: Principal, id: string): Promise<KeyRequestRecord> {
    const request = KEY_REQUEST_ID_PATTERN.test(id) ? await this.deps.store.getKeyRequest(id) : undefined;
    if (!request || request.projectId !== principalProject(p)) {
      // Echo the id only when it is one: anything else in the slot must not come back.
      throw new KeywardenError('not_found', KEY_REQUEST_ID_PATTERN.test(id) ? `No key request ${id} in this project.` : 'No such key request in this project.');
    }
    return request;
  }

  /**
   * May manage keys — the first half of the authority rule (`Authority.requireKeyManager`), asked
   * without refusing: a person through a bot must be a project admin; a key needs `keys:write`.
   */
  private async isKeyManager(p: Principal): Promise<boolean> {
    if (p.kind === 'operator') return true;
    if (p.person) return this.deps.store.isAdmin(p.key.projectId, p.person.identity);
    return checkPermission(p.key, 'keys:write').allowed;
  }

  /** Who asked, who decides: every audit record of a request names both. */
  private names(request: KeyRequestRecord, decider: string | undefined, as: 'approver' | 'denier' = 'approver'): Record<string, string> {
    return { requestId: request.id, requester: request.requester, name: request.key.name, ...(decider ? { [as]: decider } : {}) };
  }

  /** A refusal is a denied attempt in the audit trail (spending a person's assertion), then the error. */
  private async refuse(p: Principal, action: KeyRequestAction, request: KeyRequestRecord, error: KeywardenError, reason?: string): Promise<never> {
    const decider = action === 'key_request.claim' ? request.decidedBy : principalActor(p);
    const details = this.names(request, decider, action === 'key_request.deny' ? 'denier' : 'approver');
    await this.deps.audit.record(p, action, 'denied', { reason: reason ?? error.message, details }, { once: true });
    throw error;
  }
}

/** The one-pending slot of a requester and a key name (names compared trimmed, case-insensitively). */
function slotOf(requester: string, name: string): string {
  return createHash('sha256').update(`${requester}\0${name.trim().toLowerCase()}`).digest('base64url');
}

/** Why a request can no longer be approved or denied. */
function undecidable(request: KeyRequestRecord, now: number): KeywardenError {
  const status = keyRequestStatus(request, now);
  if (status === 'pending') return new KeywardenError('conflict', `Request ${request.id} is being approved right now.`);
  return new KeywardenError('conflict', `Request ${request.id} is already ${status}.`);
}

function unclaimable(request: KeyRequestRecord, now: number): KeywardenError {
  const status = keyRequestStatus(request, now);
  if (status !== 'approved') return new KeywardenError('conflict', `Request ${request.id} is ${status}: there is no key to collect.`);
  if (request.claimedAt) return new KeywardenError('conflict', `The key of request ${request.id} was already collected.`);
  return new KeywardenError('conflict', `The key of request ${request.id} was not collected within 7 days of its approval; ask again.`);
}
