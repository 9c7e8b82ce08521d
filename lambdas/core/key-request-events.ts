import { DAY_MS } from './duration';
import { eventIdFor } from './event-outbox';
import type { EventActor, EventType, LifecycleEvent } from './events';
import { KEY_REQUEST_TTL_MS, keyRequestStatus, type KeyRequestRecord } from './key-request-record';

/**
 * The lifecycle events of a key request (issue 25 point 1; docs/events.md): `key_request.requested`,
 * `.approved`, `.denied`, `.expired`, `.claimed`. Each is a fact about the request's own item, so
 * each is derived from the item as stored — the same facts give the same events, with ids from
 * what they announce (`eventIdFor`) — and stored through `EventOutbox.emitOnce`: written at once
 * by the decision that made it (key-requests.ts), and found again by the sweep (event-sweep.ts),
 * which also announces what no write makes (a week passing undecided), so an event whose writer
 * died after its decision is still told, once. No event carries a key value or a sealed one.
 */

/** How far back the sweep looks (by creation): a request's last change is its claim, at most two weeks after it was made. */
export const KEY_REQUEST_EVENT_WINDOW_MS = 2 * KEY_REQUEST_TTL_MS + DAY_MS;

/** Every event `r` has earned by `now`, oldest first. `accountId`: of the request's project. */
export function keyRequestEvents(r: KeyRequestRecord, accountId: string, now: number): LifecycleEvent[] {
  const out: LifecycleEvent[] = [event(r, accountId, 'key_request.requested', r.createdAt, requesterActor(r))];
  const status = keyRequestStatus(r, now);
  if (status === 'expired') out.push(event(r, accountId, 'key_request.expired', new Date(r.expiresAt).toISOString()));
  if ((status === 'approved' || status === 'denied') && r.decidedBy && r.decidedAt) {
    out.push(event(r, accountId, `key_request.${status}`, r.decidedAt, { id: r.decidedBy }));
  }
  if (r.claimedAt) out.push(event(r, accountId, 'key_request.claimed', r.claimedAt, requesterActor(r)));
  return out;
}

/** The one event of `type` for `r`, when `r` has earned it (what a decision emits at once). */
export function keyRequestEvent(r: KeyRequestRecord, accountId: string, type: EventType, now: number): LifecycleEvent | undefined {
  return keyRequestEvents(r, accountId, now).find((e) => e.type === type);
}

function requesterActor(r: KeyRequestRecord): EventActor {
  return { id: r.requester, ...(r.viaKeyId ? { viaKeyId: r.viaKeyId } : {}), ...(r.viaBot ? { viaBot: r.viaBot } : {}) };
}

function event(r: KeyRequestRecord, accountId: string, type: EventType, timestamp: string, actor?: EventActor): LifecycleEvent {
  const minted = r.status === 'approved' && r.keyId && r.keyStart && type !== 'key_request.requested';
  return {
    id: eventIdFor(type, r.id),
    type,
    timestamp,
    data: {
      account: accountId,
      project: r.projectId,
      ...(minted ? { key: { id: r.keyId!, name: r.key.name, start: r.keyStart!, type: r.key.type } } : {}),
      ...(actor ? { actor } : {}),
      details: {
        requestId: r.id,
        requester: r.requester,
        name: r.key.name,
        type: r.key.type,
        scopes: r.key.scopes.join(','),
        ...(type === 'key_request.requested' ? { reason: r.reason } : {}),
        ...(r.decidedBy && (type === 'key_request.approved' || type === 'key_request.claimed') ? { approver: r.decidedBy } : {}),
        ...(type === 'key_request.denied' ? { denier: r.decidedBy ?? null, denyReason: r.denyReason ?? null } : {}),
      },
    },
  };
}
