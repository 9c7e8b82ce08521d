import { createHash } from 'node:crypto';
import { bytesToBase62, randomBase62 } from './base62';
import { PENDING_GRACE_MS, type EventActor, type EventDetail, type EventType, type LifecycleEvent, type StoredEvent } from './events';
import { principalActor, type Principal } from './principal';
import type { Clock, Log, Store } from './ports';
import type { KeyRecord } from './types';

/**
 * The outbox (issue 22 point 3): every lifecycle event is stored before anything is told of it,
 * and the relay (event-relay.ts) delivers what is stored, at least once.
 *
 * A key change's event is written *pending* before the change (beside its audit record), and the
 * change's own write leaves the event's id on the key (`Store.putKey(…, event)` and the other
 * lifecycle writes: the marker). Once the write returned, the writer confirms the event (ready,
 * due now) — at an edge, from the call's after-answer work, as the usage record is written
 * (`settled`). A writer that died in between leaves a pending event behind: after
 * PENDING_GRACE_MS the relay looks at the key itself, delivers the event if the marker is there
 * (or, for a deletion, the key is gone), and drops it if not (the change never landed). So no
 * change goes unannounced, and no failed change is announced.
 */
export class EventOutbox {
  /** The last confirmation sent from an after-answer work (`settled`): the next ones are sent after it. */
  private tail: Promise<void> = Promise.resolve();
  /** Confirmations being written: what `settled` waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Confirmations asked for inside an edge's request, held until its after-answer work starts them (`settled`). */
  private deferred: Array<() => Promise<void>> = [];
  /**
   * Events begun and not yet confirmed or abandoned, as stored (handed to `onReady` once ready),
   * with the new key carrying each that one carries, and whether a principal at an edge began it
   * (its confirmation then waits for the answer).
   */
  private readonly begun = new Map<string, { stored: StoredEvent; carrier?: KeyRecord; atEdge: boolean }>();
  /** The principals of edges' requests (`answeringFor`): not ambient state, which costs every promise a hook on Node 20. */
  private readonly edgePrincipals = new WeakSet<Principal>();

  constructor(
    private readonly deps: { store: Store; clock: Clock; log?: Log },
    /** Told when an event became ready (the local relay runs at once; in AWS the table's stream does). */
    private readonly onReady: (ready: StoredEvent) => void = () => undefined,
  ) {}

  /**
   * The principal of an edge's request (http/request-context.ts): the confirmations of the changes
   * it makes are written after the answer, from the request's after-answer work (`settled`, as
   * the usage record is written). Any other principal's (the CLI's, the platform's own, the core
   * on its own) are written before `confirm` resolves.
   */
  answeringFor<P extends Principal>(p: P): P {
    this.edgePrincipals.add(p);
    return p;
  }

  /**
   * Writes the pending event for a change to `key` about to be made by `p`: its id is the marker
   * the change's write must carry. `deletes`: the change removes the key (no write to mark: the
   * key's absence is the marker). `carrier`: a new key the change stores (a creation, a rotation's
   * replacement), whose own put carries the pending event (`carried`, for `Store.putKey`): nothing
   * is written here, and the confirmation unpacks it from that key.
   */
  async begin(
    p: Principal,
    type: EventType,
    key: KeyRecord,
    details: Record<string, EventDetail>,
    options: { deletes?: boolean; carrier?: KeyRecord } = {},
  ): Promise<string> {
    const now = this.deps.clock.now();
    const event: LifecycleEvent = {
      id: newEventId(),
      type,
      timestamp: new Date(now).toISOString(),
      data: { account: key.accountId, project: key.projectId, key: eventKey(key), actor: eventActor(p), details },
    };
    const stored: StoredEvent = { event, state: 'pending', due: now + PENDING_GRACE_MS, marker: { keyId: key.id, kind: options.deletes ? 'deleted' : 'marked' } };
    if (!options.carrier) await this.deps.store.putEvent(stored);
    this.begun.set(event.id, { stored, ...(options.carrier ? { carrier: options.carrier } : {}), atEdge: this.edgePrincipals.has(p) });
    return event.id;
  }

  /** The pending event a new key's put is to carry (`begin`'s `carrier`), as stored. */
  carried(id: string): StoredEvent | undefined {
    const begun = this.begun.get(id);
    return begun?.carrier ? begun.stored : undefined;
  }

  /**
   * The change landed: the event is ready. Inside an edge's request (`answering`) the confirmation
   * is only noted here and written by the request's after-answer work (`settled`), so the answer
   * waits on no write of it; a writer that dies first — or a confirmation that fails — leaves the
   * pending event to the relay's check of the key, after PENDING_GRACE_MS.
   */
  async confirm(id: string): Promise<void> {
    const begun = this.begun.get(id);
    this.begun.delete(id);
    const send = () => {
      const now = this.deps.clock.now();
      const write = this.deps.store
        .confirmEvent(id, now, begun?.carrier ? { stored: begun.stored, key: begun.carrier } : undefined)
        .then(() => begun && this.onReady({ ...begun.stored, state: 'ready', due: now }))
        .catch((err: unknown) => this.deps.log?.warn('event confirmation not written; the relay checks the key after the grace period', { eventId: id, error: String(err) }))
        .finally(() => this.inFlight.delete(write));
      this.inFlight.add(write);
      return write;
    };
    if (begun?.atEdge) this.deferred.push(send);
    else await send();
  }

  /**
   * The change failed: its event is dropped (a failure to drop it is left to the relay's check).
   * A carried one has no item of its own: it went with its key's put (never made, or withdrawn by
   * the change; a withdrawal that failed leaves it to the sweep and the relay's check).
   */
  async abandon(id: string): Promise<void> {
    const begun = this.begun.get(id);
    this.begun.delete(id);
    if (!begun?.carrier) await this.deps.store.dropPendingEvent(id).catch(() => undefined);
  }

  /**
   * An event that announces no write of ours (a key about to expire, a threshold crossed), stored
   * ready. Its id derives from what it announces, so it is stored — and delivered — once however
   * often it is found: `false` when it was already.
   */
  async emitOnce(event: LifecycleEvent): Promise<boolean> {
    const stored = await this.deps.store.putEvent({ event, state: 'ready', due: this.deps.clock.now() }, { unique: true });
    if (stored) this.onReady({ event, state: 'ready', due: this.deps.clock.now() });
    return stored;
  }

  /**
   * A request's after-answer work (after-answer.ts), and whatever waits for the store to be idle:
   * sends the confirmations held so far — any request's: each change has landed, so sending one
   * early only announces it sooner — and resolves once every one is written. They are sent one
   * after the other, in the order the changes were made (across calls of `settled` too), so their
   * events become ready (and the local relay delivers them) in that order, as when each was sent
   * on its change's return (a key reported exposed: exposed, then revoked).
   */
  async settled(): Promise<void> {
    const held = this.deferred;
    this.deferred = [];
    if (held.length > 0) {
      // `send` never rejects (a failed confirmation is logged and left to the relay).
      // After those of every earlier `settled` too: a request's after-answer work may start after
      // the next request's changes were held (held with its own, in order), and a confirmation that
      // unpacks a new key (two writes) must not be overtaken by a later change's (one).
      const inOrder: Promise<void> = held.reduce<Promise<void>>((before, send) => before.then(send), this.tail).finally(() => this.inFlight.delete(inOrder));
      this.tail = inOrder;
      this.inFlight.add(inOrder);
    }
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** A fresh event id: `evt_` + 22 base62. */
export function newEventId(): string {
  return `evt_${randomBase62(22)}`;
}

/** The id of the event that announces `parts` (the same parts, the same id): `evt_` + 22 base62 of their SHA-256. */
export function eventIdFor(...parts: Array<string | number>): string {
  return `evt_${bytesToBase62(createHash('sha256').update(parts.join('\0')).digest().subarray(0, 16), 22)}`;
}

/** A key as an event names it: never its value. */
export function eventKey(key: KeyRecord): LifecycleEvent['data']['key'] {
  return { id: key.id, name: key.name, start: key.start, type: key.type };
}

/** Who acted, as the audit record names them. */
export function eventActor(p: Principal): EventActor {
  return {
    id: principalActor(p),
    ...(p.kind === 'key' ? { viaKeyId: p.key.id } : {}),
    ...(p.kind === 'key' && p.person ? { viaBot: p.person.bot } : {}),
    ...(p.kind === 'key' && !p.person && p.via ? { viaBot: p.via } : {}),
  };
}
