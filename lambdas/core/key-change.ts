import type { AuditLog } from './audit-log';
import type { AuditAction } from './authority';
import { EVENT_OF_ACTION } from './events';
import type { EventOutbox } from './event-outbox';
import type { Principal } from './principal';
import type { Store } from './ports';
import type { AuditRecord, KeyRecord } from './types';

/**
 * A key-changing write with its audit record and its lifecycle event. `write` is handed the
 * event's id: the marker its write must carry (a deletion carries none: the key's absence is its
 * marker, event-outbox.ts).
 */
export type RecordedChange = (
  p: Principal,
  action: AuditAction,
  /** `lists`: a new key the write stores (a creation's, a rotation's replacement): its listing entry goes out in the first step. */
  extra: { key: KeyRecord; details?: AuditRecord['details']; reason?: string; lists?: KeyRecord },
  write: (event: string) => Promise<void>,
) => Promise<void>;

/**
 * Every key change goes through here: its audit record and its pending event are written first,
 * side by side (with a new key's listing entry: the store sends the two plain puts in one
 * round trip), so no crash can leave a change without a record or an announcement, nor a key
 * unlisted. A crash in
 * between leaves a record of an attempt that did not land (the follow-up `error` record explains
 * it when the write fails rather than crashes) and a pending event the relay drops once it finds
 * the change's marker missing. The event is confirmed once the write returned (at an edge, by the
 * call's after-answer work: event-outbox.ts).
 */
export function recordedChange(deps: { audit: AuditLog; events: EventOutbox; store: Pick<Store, 'listKey'> }): RecordedChange {
  return async (p, action, { key, details, reason, lists }, write) => {
    const [recorded, event, listed] = await Promise.allSettled([
      deps.audit.record(p, action, 'success', { keyId: key.id, ...(details ? { details } : {}), ...(reason ? { reason } : {}) }, { once: true }),
      deps.events.begin(p, EVENT_OF_ACTION[action], key, { ...details, ...(reason ? { reason } : {}) }, { deletes: action === 'key.delete' }),
      lists ? deps.store.listKey(lists) : Promise.resolve(),
    ]);
    if (listed.status === 'rejected') {
      // The new key cannot be listed: it is not written (a key is never unlisted).
      if (event.status === 'fulfilled') await deps.events.abandon(event.value);
      if (recorded.status === 'fulfilled') await deps.audit.record(p, action, 'error', { keyId: key.id, reason: 'the change did not take effect' }).catch(() => undefined);
      throw listed.reason;
    }
    if (recorded.status === 'rejected' || event.status === 'rejected') {
      // Nothing was changed: a replayed assertion, or the store failing. The pending event, if
      // written, would be dropped by the relay (no marker); drop it now.
      if (event.status === 'fulfilled') await deps.events.abandon(event.value);
      throw recorded.status === 'rejected' ? recorded.reason : (event as PromiseRejectedResult).reason;
    }
    try {
      await write(event.value);
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
