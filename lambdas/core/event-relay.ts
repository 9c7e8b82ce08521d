import {
  RELAY_LEASE_MS,
  RETRY_FOR_MS,
  retryDelayMs,
  type DeliveryTarget,
  type LifecycleEvent,
  type StoredEvent,
  type TargetState,
  type Targets,
  type WebhookRecord,
} from './events';
import type { Clock, EventBus, Log, Store, WebhookAttemptResult, WebhookTransport } from './ports';

/** Most events one relay pass takes from the outbox (side by side; each attempt is bounded at 10 s). */
const PASS_LIMIT = 100;

/** What a relay pass did. */
export interface RelayReport {
  /** Events taken from the outbox (claimed). */
  claimed: number;
  /** Deliveries that succeeded in this pass (one per event and target). */
  delivered: number;
  /** Attempts that failed (to be retried, or given up). */
  failed: number;
  /** Pending events whose change never landed, dropped. */
  dropped: number;
}

export interface EventRelayDeps {
  store: Store;
  clock: Clock;
  log: Log;
  /** The platform's bus (AWS); none locally. */
  bus?: EventBus;
  transport: WebhookTransport;
  /** A webhook's signing secret, from its sealed form (core/webhooks.ts). */
  unseal(webhook: WebhookRecord): Promise<string>;
}

/**
 * The relay (issue 22 point 3): takes due events from the outbox (core/event-outbox.ts) and
 * delivers each to the platform's bus and to every webhook of its project that subscribed to its
 * type, at least once. Each event is claimed by one conditional write before anything is sent
 * (another relay leaves it alone for RELAY_LEASE_MS), and its progress is saved on the event
 * itself, per target, by a write conditional on that claim: a relay that dies mid-pass leaves the
 * event to be taken again when the lease runs out, and what it had sent is sent again (at least
 * once; receivers drop repeats by the event id, which every attempt carries as `webhook-id`).
 * A failed attempt is retried on `retryDelayMs`'s schedule for RETRY_FOR_MS after the event.
 */
export class EventRelay {
  private readonly running = new Set<Promise<unknown>>();
  /** Per key, the last pass `deliverSoon` started: the next one of that key waits for it. */
  private readonly inOrder = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: EventRelayDeps) {}

  /** One pass over the outbox: every event due now (up to PASS_LIMIT), side by side. */
  async runDue(limit = PASS_LIMIT): Promise<RelayReport> {
    const now = this.deps.clock.now();
    const due = await this.deps.store.dueEvents(now, limit);
    const reports = await Promise.all(due.map((stored) => this.track(this.pass(stored, now))));
    return reports.reduce((sum, r) => ({ claimed: sum.claimed + r.claimed, delivered: sum.delivered + r.delivered, failed: sum.failed + r.failed, dropped: sum.dropped + r.dropped }), none());
  }

  /**
   * One event just made ready, as its writer stored it (the local stack's path right after a
   * confirmation): delivered as soon as the answer that confirmed it is on its way (the next turn
   * of the event loop), without reading it back.
   */
  deliverSoon(ready: StoredEvent): void {
    // One key's events are passed one after the other, in the order they became ready (a key
    // reported exposed: exposed, then revoked); side by side, the later one's delivery could
    // overtake the earlier one's. Other keys' events do not wait for them.
    const about = ready.event.data.key?.id ?? '';
    const before = this.inOrder.get(about) ?? Promise.resolve();
    const pass: Promise<unknown> = before
      .then(() => new Promise((next) => setTimeout(next, 0)))
      .then(() => this.pass(ready, this.deps.clock.now()))
      .catch((err: unknown) => this.deps.log.warn('event delivery pass failed; the relay retries it', { eventId: ready.event.id, error: String(err) }))
      .finally(() => {
        if (this.inOrder.get(about) === pass) this.inOrder.delete(about);
      });
    this.inOrder.set(about, pass);
    void this.track(pass);
  }

  /** Resolves once every pass started so far is over (tests and the local stack's `idle`). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work)).catch(() => undefined);
    return work;
  }

  private async pass(stored: StoredEvent, now: number): Promise<RelayReport> {
    const report = none();
    const { event } = stored;
    const claimedDue = now + RELAY_LEASE_MS;
    if (stored.due === undefined || !(await this.deps.store.claimEvent(event.id, stored.due, claimedDue))) return report;
    report.claimed = 1;
    if (stored.state === 'pending' && !(await this.landed(stored))) {
      // The writer died before confirming, and its change never landed: nothing to announce.
      await this.deps.store.dropPendingEvent(event.id);
      report.dropped = 1;
      return report;
    }
    // The projects whose webhooks it may go to, read once per pass (an account event: every project of the account).
    let projects: Promise<string[]> | undefined;
    const projectsOf = () => (projects ??= this.projectsOf(event));
    const targets = stored.targets ?? (await this.targetsFor(event, now, await projectsOf()));
    const attempts = Object.entries(targets).filter(([, t]) => t?.status === 'pending' && (t.nextAt ?? 0) <= now) as Array<[DeliveryTarget, TargetState]>;
    await Promise.all(
      attempts.map(async ([target, state]) => {
        const result = await this.attempt(target, event, now, projectsOf);
        const next = afterAttempt(state, result, event, now);
        targets[target] = next;
        if (next.status === 'delivered') report.delivered++;
        else report.failed++;
        // A removed webhook's log went with it.
        if (target.startsWith('webhook:') && !('final' in result)) await this.logDelivery(target.slice('webhook:'.length), event, next);
      }),
    );
    const pending = Object.values(targets).filter((t): t is TargetState => t?.status === 'pending');
    const due = pending.length > 0 ? Math.max(now, Math.min(...pending.map((t) => t.nextAt ?? now))) : undefined;
    const saved = await this.deps.store.saveEvent({ event, state: 'ready', targets, ...(due === undefined ? {} : { due }), ...(stored.marker ? { marker: stored.marker } : {}) }, claimedDue);
    if (!saved) this.deps.log.warn('event pass outlived its claim; another pass delivers again', { eventId: event.id });
    // The change is known to have landed: its marker has served (the first pass only).
    if (saved && !stored.targets && stored.marker?.kind === 'marked') await this.deps.store.unmarkKeyEvent(stored.marker.keyId, event.id).catch(() => undefined);
    return report;
  }

  /** A pending event's change landed: its marker is on the key, or (a deletion) the key is gone. */
  private async landed(stored: StoredEvent): Promise<boolean> {
    const marker = stored.marker;
    if (!marker) return true;
    const found = await this.deps.store.keyEventMarker(marker.keyId, stored.event.id);
    return marker.kind === 'deleted' ? found === 'absent' : found === 'marked';
  }

  /** Where an event goes: the bus, and each webhook of its project (an account event: of each of its projects) subscribed to its type. */
  private async targetsFor(event: LifecycleEvent, now: number, projects: string[]): Promise<Targets> {
    const targets: Targets = {};
    const fresh = (): TargetState => ({ status: 'pending', attempts: 0, nextAt: now });
    if (this.deps.bus) targets.bus = fresh();
    for (const projectId of projects) {
      for (const webhook of await this.deps.store.listWebhooks(projectId)) {
        if (webhook.events.includes(event.type)) targets[`webhook:${webhook.id}`] = fresh();
      }
    }
    return targets;
  }

  private async attempt(target: DeliveryTarget, event: LifecycleEvent, now: number, projectsOf: () => Promise<string[]>): Promise<WebhookAttemptResult | { ok: false; reason: string; final: true }> {
    if (target === 'bus') {
      const bus = this.deps.bus;
      if (!bus) return { ok: false, reason: 'no event bus configured', final: true };
      const started = performance.now();
      try {
        const { failed } = await bus.put([event]);
        const ms = Math.round(performance.now() - started);
        return failed.length === 0 ? { ok: true, status: 200, ms } : { ok: false, reason: `${bus.label}: ${failed[0]!.reason}`, ms };
      } catch (err) {
        return { ok: false, reason: `${bus.label}: ${(err as Error).name || 'error'}`, ms: Math.round(performance.now() - started) };
      }
    }
    const webhookId = target.slice('webhook:'.length);
    let webhook: WebhookRecord | undefined;
    for (const projectId of await projectsOf()) webhook ??= await this.deps.store.getWebhook(projectId, webhookId);
    if (!webhook) return { ok: false, reason: 'the webhook was removed', final: true };
    const secret = await this.deps.unseal(webhook);
    return this.deps.transport.send({ url: webhook.url, secret, id: event.id, payload: JSON.stringify(event), at: new Date(now) });
  }

  /** The projects an event concerns: its own, or for an account event every project of the account. */
  private async projectsOf(event: LifecycleEvent): Promise<string[]> {
    return event.data.project ? [event.data.project] : (await this.deps.store.listProjects(event.data.account)).map((p) => p.id);
  }

  private async logDelivery(webhookId: string, event: LifecycleEvent, state: TargetState): Promise<void> {
    await this.deps.store
      .putDelivery({ webhookId, eventId: event.id, eventType: event.type, eventAt: event.timestamp, ...state })
      .catch((err: unknown) => this.deps.log.warn('delivery log not written', { eventId: event.id, webhookId, error: String(err) }));
  }
}

/** A target's state after an attempt: delivered, retried later, or given up (24 h after the event, or the webhook gone). */
function afterAttempt(state: TargetState, result: WebhookAttemptResult | { ok: false; reason: string; final: true }, event: LifecycleEvent, now: number): TargetState {
  const attempts = state.attempts + 1;
  if (result.ok) return { status: 'delivered', attempts, lastAttemptAt: now, lastStatus: result.status, deliveredAt: now };
  const failed: TargetState = {
    status: 'failed',
    attempts,
    lastAttemptAt: now,
    ...('status' in result && result.status !== undefined ? { lastStatus: result.status } : {}),
    lastError: result.reason.slice(0, 300),
  };
  const nextAt = now + retryDelayMs(attempts);
  if ('final' in result || nextAt > Date.parse(event.timestamp) + RETRY_FOR_MS) return failed;
  return { ...failed, status: 'pending', nextAt };
}

function none(): RelayReport {
  return { claimed: 0, delivered: 0, failed: 0, dropped: 0 };
}
