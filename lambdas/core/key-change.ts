import type { AuditLog } from './audit-log';
import type { AuditAction } from './authority';
import { EVENT_OF_ACTION } from './events';
import type { EventOutbox } from './event-outbox';
import type { Principal } from './principal';
import type { StoredEvent } from './events';
import type { AuditRecord, KeyRecord } from './types';

/**
 * A key-changing write with its audit record and its lifecycle event. `write` is handed the
 * event's id: the marker its write must carry (a deletion carries none: the key's absence is its
 * marker, event-outbox.ts).
 */
export type RecordedChange = (
  p: Principal,
  action: AuditAction,
  /**
   * `lists`: a new key the write stores (a creation's, a rotation's replacement): its put carries
   * the change's pending event and its listing (`carried`, for `Store.putKey`), unpacked by the
   * confirmation (event-outbox.ts).
   */
  extra: { key: KeyRecord; details?: AuditRecord['details']; reason?: string; lists?: KeyRecord },
  write: (event: string, carried?: StoredEvent) => Promise<void>,
) => Promise<void>;

/**
 * Every key change goes through here: its audit record and its pending event are written first,
 * side by side, so no crash can leave a change without a record or an announcement. A new key
 * (`lists`) carries its change's pending event and its listing on its own put instead (one
 * conditional write, not three items: Store.putKey's `carried`), so it is never unlisted and never
 * unannounced either; the confirmation (or, for a writer gone first, the outbox sweep) unpacks
 * them. A crash in between leaves a record of an attempt that did not land (the follow-up `error`
 * record explains it when the write fails rather than crashes) and a pending event the relay drops
 * once it finds the change's marker missing. The event is confirmed once the write returned (at an
 * edge, by the call's after-answer work: event-outbox.ts).
 */
export function recordedChange(deps: { audit: AuditLog; events: EventOutbox }): RecordedChange {
  return async (p, action, { key, details, reason, lists }, write) => {
    const [recorded, event] = await Promise.allSettled([
      deps.audit.record(p, action, 'success', { keyId: key.id, ...(details ? { details } : {}), ...(reason ? { reason } : {}) }, { once: true }),
      deps.events.begin(p, EVENT_OF_ACTION[action], key, { ...details, ...(reason ? { reason } : {}) }, { deletes: action === 'key.delete', ...(lists ? { carrier: lists } : {}) }),
    ]);
    if (recorded.status === 'rejected' || event.status === 'rejected') {
      // Nothing was changed: a replayed assertion, or the store failing. The pending event, if
      // written, would be dropped by the relay (no marker); drop it now.
      if (event.status === 'fulfilled') await deps.events.abandon(event.value);
      throw recorded.status === 'rejected' ? recorded.reason : (event as PromiseRejectedResult).reason;
    }
    try {
      await write(event.value, deps.events.carried(event.value));
    } catch (err) {
      await Promise.all([
        deps.audit.record(p, action, 'error', { keyId: key.id, reason: 'the change did not take effect' }).catch(() => undefined),
        deps.events.abandon(event.value),
      ]);
      throw err;
    }
    await deps.events.confirm(event.value);
  };
}
