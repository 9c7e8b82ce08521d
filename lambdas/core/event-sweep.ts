import { BUDGET_ALERT_THRESHOLDS, budgetState, type BudgetState } from './budget';
import { DAY_MS } from './duration';
import { eventIdFor, eventKey, type EventOutbox } from './event-outbox';
import type { LifecycleEvent } from './events';
import { keyStatus } from './key-status';
import type { Clock, Log, Store } from './ports';
import type { Account, KeyRecord, Project } from './types';
import { KEY_REQUEST_EVENT_WINDOW_MS, keyRequestEvents } from './key-request-events';
import type { KeyRequests } from './key-requests';
import type { KeyRequestRecord } from './key-request-record';

/** How far ahead a key's expiry is announced (`key.expiring`). */
export const EXPIRING_WITHIN_MS = 7 * DAY_MS;
/** Keys read per page of the walk. */
const PAGE = 200;

/** What one sweep newly emitted (events found already stored are not counted). */
export interface SweepReport {
  expiring: number;
  budget: number;
  creditsLow: number;
  /** `key_request.*` events (key-request-events.ts) newly stored. */
  keyRequests: number;
  /** Approved keys never collected within their 7 days, revoked now (KeyRequests.withdrawUnclaimed). */
  keysWithdrawn: number;
  /** Leased credits that flowed back to their accounts: grants never applied, leases of idle, revoked or deleted keys. */
  leasesReturned: number;
}

export interface EventSweepDeps {
  store: Store;
  clock: Clock;
  events: EventOutbox;
  log: Log;
  /** Revokes approved keys nobody collected in time; without it the sweep only announces. */
  keyRequests?: Pick<KeyRequests, 'withdrawUnclaimed'>;
}

/**
 * The events no write of ours announces (issue 22 point 3): a key about to expire, a budget's
 * threshold reached, an account's balance fallen below its threshold — and a key request's
 * (issue 25): its week run out undecided, or any decision whose writer died before its event —
 * and, with no event, the leased credits (adapters/store/lease-sweep.ts): lease writes whose writer
 * died are completed, and leases of idle, revoked or deleted keys flow back to their accounts. Nothing happens at those
 * moments that could write an event beside it (time passes; spending is counted on the hot path,
 * which must not grow a write), so a sweep finds them: every project's keys, every account.
 *
 * Each event's id derives from what it announces (`eventIdFor`), and `EventOutbox.emitOnce` stores
 * it with a conditional create: however often a sweep finds the same fact — every run, two sweeps
 * at once, a sweep that died after storing — it is stored and delivered once. The relay delivers
 * it like any other (ready at once, no marker to check).
 *
 * Cost, bounded by the table's size: a run reads every key item once (a query of each project's
 * keys, PAGE at a time) and every account, plus one consistent read per key found near a threshold
 * or expiry (to skip the conditional write of an event already stored: a failed conditional write
 * costs a write unit, a read half of one). It runs every 5 minutes in AWS (288 walks a day: about
 * 10 MB read per 10,000 keys per walk) and every minute locally. Writes happen only for new events.
 */
export class EventSweep {
  /** The run in progress: a timer that fires again meanwhile joins it instead of walking twice. */
  private current: Promise<SweepReport> | undefined;

  constructor(private readonly deps: EventSweepDeps) {}

  run(): Promise<SweepReport> {
    this.current ??= this.walk().finally(() => (this.current = undefined));
    return this.current;
  }

  private async walk(): Promise<SweepReport> {
    const now = this.deps.clock.now();
    const report: SweepReport = { expiring: 0, budget: 0, creditsLow: 0, keyRequests: 0, keysWithdrawn: 0, leasesReturned: 0 };
    for (const project of await this.deps.store.listProjects()) {
      // One project failing (a throttled page) leaves the others swept; the next run retries it.
      await this.sweepProject(project.id, now, report).catch((err: unknown) =>
        this.deps.log.warn('event sweep: project skipped', { projectId: project.id, error: errorText(err) }),
      );
      await this.sweepKeyRequests(project, now, report).catch((err: unknown) =>
        this.deps.log.warn('event sweep: key requests skipped', { projectId: project.id, error: errorText(err) }),
      );
    }
    for (const account of await this.deps.store.listAccounts()) {
      // First the leases (a lease that flowed back counts in the balance the threshold is checked on).
      await this.deps.store.sweepLeases(account.id, now).then(
        (leases) => (report.leasesReturned += leases.grantsReturned + leases.leasesReturned),
        (err: unknown) => this.deps.log.warn('event sweep: leases skipped', { accountId: account.id, error: errorText(err) }),
      );
      await this.sweepAccount(account, now, report).catch((err: unknown) =>
        this.deps.log.warn('event sweep: account skipped', { accountId: account.id, error: errorText(err) }),
      );
    }
    return report;
  }

  private async sweepProject(projectId: string, now: number, report: SweepReport): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listKeys(projectId, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const key of page.items) {
        const expiring = expiringEvent(key, now);
        if (expiring && (await this.emit(expiring))) report.expiring += 1;
        for (const event of budgetEvents(key, now)) if (await this.emit(event)) report.budget += 1;
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * `key_request.*`: every event a recent request has earned (key-request-events.ts) — the ones its
   * decisions stored already are found and skipped; `expired` (a week undecided) is only ever
   * found here. Newest first, so the walk stops at the first request older than any change it
   * could still see (KEY_REQUEST_EVENT_WINDOW_MS). An approved key not collected within its 7
   * days is revoked here too: its value is gone for good, so nobody will ever use it.
   */
  private async sweepKeyRequests(project: Project, now: number, report: SweepReport): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listKeyRequests(project.id, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const request of page.items) {
        if (Date.parse(request.createdAt) < now - KEY_REQUEST_EVENT_WINDOW_MS) return;
        if (await this.withdraw(request, now)) report.keysWithdrawn += 1;
        for (const event of keyRequestEvents(request, project.accountId, now)) if (await this.emit(event)) report.keyRequests += 1;
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** One request's uncollected key withdrawn; a failure is logged and retried on the next run. */
  private async withdraw(request: KeyRequestRecord, now: number): Promise<boolean> {
    if (!this.deps.keyRequests) return false;
    return this.deps.keyRequests.withdrawUnclaimed(request, now).catch((err: unknown) => {
      this.deps.log.warn('event sweep: uncollected key not withdrawn', { requestId: request.id, error: errorText(err) });
      return false;
    });
  }

  /**
   * `account.credits_low`, once per fall below the threshold. The account's `creditsLowEpisode`
   * counts its falls; the event of episode `e` has the id `eventIdFor(type, account, e)`.
   *
   * - Below the threshold: the episode's event is emitted (once, by its id).
   * - At or above it, once the episode's event exists: the next episode starts
   *   (`nextCreditsLowEpisode`, conditional on the episode still being `e`), so the next fall is
   *   announced under a new id.
   *
   * Why this is exactly once per fall, whatever the order of crashes and concurrent sweeps:
   * an episode only ever moves past `e` after `e`'s event was stored, so a sweep working from a
   * stale read (an old episode number: the account listing is eventually consistent) can only
   * re-emit an id that exists — a no-op, never a second event. The move is decided on the event
   * first, then on a fresh (consistent) read of the balance: the balance was at or above the
   * threshold *after* the fall was announced, so that fall is over. (Read the other way round, a
   * sweep that saw the balance high, then found the event another sweep had just stored for a
   * newer fall, would end that fall's episode while it lasts, and it would be announced twice.)
   * A crash between any two steps leaves a state the next run continues from: an event stored
   * but not yet delivered is in the outbox; an episode not yet moved is moved next time.
   * Falls and recoveries both inside one sweep interval are seen as none.
   */
  private async sweepAccount(listed: Account, now: number, report: SweepReport): Promise<void> {
    const threshold = listed.creditsLowThreshold;
    if (threshold === undefined) return;
    const episode = listed.creditsLowEpisode ?? 0;
    const id = creditsLowEventId(listed.id, episode);
    if (listed.credits < threshold) {
      const event: LifecycleEvent = {
        id,
        type: 'account.credits_low',
        timestamp: new Date(now).toISOString(),
        data: { account: listed.id, details: { balance: listed.credits, threshold } },
      };
      if (await this.emit(event)) report.creditsLow += 1;
      return;
    }
    if (!(await this.deps.store.getEvent(id))) return;
    const fresh = await this.deps.store.getAccount(listed.id);
    if (!fresh || fresh.creditsLowThreshold === undefined || fresh.credits < fresh.creditsLowThreshold || (fresh.creditsLowEpisode ?? 0) !== episode) return;
    await this.deps.store.nextCreditsLowEpisode(listed.id, episode);
  }

  /** Stores an event found, once: `true` when this call stored it. A read first spares the write of one already stored. */
  private async emit(event: LifecycleEvent): Promise<boolean> {
    if (await this.deps.store.getEvent(event.id)) return false;
    return this.deps.events.emitOnce(event);
  }
}

/** The id of an account's `account.credits_low` event for its low-balance episode `episode`. */
export function creditsLowEventId(accountId: string, episode: number): string {
  return eventIdFor('account.credits_low', accountId, episode);
}

/**
 * `key.expiring`: a key still in use (not revoked, not rotated away, not yet expired; a paused key
 * too, it may be resumed) expiring within EXPIRING_WITHIN_MS. Once per key and expiry: a new
 * expiry date is a new event.
 */
export function expiringEvent(key: KeyRecord, now: number): LifecycleEvent | undefined {
  if (key.expiresAt === null || key.replacedBy !== undefined) return undefined;
  const status = keyStatus(key, now);
  if (status === 'revoked' || status === 'expired') return undefined;
  const left = key.expiresAt - now;
  if (left > EXPIRING_WITHIN_MS) return undefined;
  return {
    id: eventIdFor('key.expiring', key.id, key.expiresAt),
    type: 'key.expiring',
    timestamp: new Date(now).toISOString(),
    data: {
      account: key.accountId,
      project: key.projectId,
      key: eventKey(key),
      details: { expiresAt: new Date(key.expiresAt).toISOString(), daysLeft: Math.ceil(left / DAY_MS) },
    },
  };
}

/**
 * `budget.threshold`: the thresholds the bots alert at (BUDGET_ALERT_THRESHOLDS, as whole
 * percentages) that a key's spending has reached in its current period, lowest first — both when
 * one sweep finds both reached. Once per key, period (its end), budget and threshold: the next
 * period announces afresh, and so does a budget changed after an alert (the bots' alerts do the
 * same), e.g. a `total` budget raised after it was spent. Keys no longer in use are skipped.
 */
export function budgetEvents(key: KeyRecord, now: number): LifecycleEvent[] {
  const state = budgetState(key, now);
  if (!state || !(state.limit > 0)) return [];
  const status = keyStatus(key, now);
  if (status === 'revoked' || status === 'expired') return [];
  return reachedThresholds(state).map((threshold) => ({
    id: eventIdFor('budget.threshold', key.id, state.resetsAt ?? 'total', `${state.limit}/${state.period}`, threshold),
    type: 'budget.threshold',
    timestamp: new Date(now).toISOString(),
    data: {
      account: key.accountId,
      project: key.projectId,
      key: eventKey(key),
      details: {
        threshold,
        credits: state.limit,
        period: state.period,
        spent: state.spent,
        left: state.remaining,
        // A `total` budget never resets: no period end.
        periodEnd: state.resetsAt === null ? null : new Date(state.resetsAt).toISOString(),
      },
    },
  }));
}

/** The thresholds reached, as whole percentages, lowest first. */
function reachedThresholds(state: BudgetState): number[] {
  // Hundredths of a percent, so 8 of 10 is 80 % exactly, whatever the floating point says (as the bots count).
  const share = Math.round((state.spent / state.limit) * 10_000);
  return BUDGET_ALERT_THRESHOLDS.map((t) => Math.round(t * 100))
    .filter((t) => share >= t * 100)
    .sort((a, b) => a - b);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown';
}
