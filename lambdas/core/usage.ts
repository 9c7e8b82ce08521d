import { roundCredits } from './credits';
import { listingCursors, pageSize } from './cursor';
import { KeywardenError } from './errors';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store, UsageDay, UsageDayCounts } from './ports';
import type { Page, UsageRecord } from './types';

/** Records a per-key total walks at most, so one listing never reads without bound. */
export const MAX_TOTALLED_RECORDS = 10_000;

/** Days a daily usage answer covers unless asked (the console's chart: the last 30). */
export const DEFAULT_USAGE_DAYS = 30;

const DAY_MS = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A key's or the account's counts per UTC day, every day of the range present. */
export interface DailyUsage {
  keyId: string | null;
  accountId: string | null;
  data: UsageDay[];
}

export interface KeyUsageTotal {
  keyId: string;
  requests: number;
  totalTokens: number;
  credits: number;
}

/**
 * The usage log (SPEC §4 "Usage"): one record per authenticated call — who (key), what (route,
 * model, streamed), the outcome (status) and what it cost (tokens, credits) — written after the
 * answer is sent, and read back by project, key or request id with sealed cursors and per-key
 * totals, so any charge can be explained afterwards.
 */
export class UsageLog {
  constructor(private readonly deps: { store: Store; secrets: SecretsProvider; clock: Clock }) {}

  /**
   * Writes a call's usage record and counts it in its daily counters (count), side by side: this
   * is the one place records are written, so a day's `requests` is the number of its records.
   * Each promise settles with its own writes; neither is thrown synchronously.
   */
  record(record: UsageRecord): { recorded: Promise<void>; counted: Promise<void> } {
    const priced = { ...record, credits: roundCredits(record.credits) };
    return { recorded: attempt(() => this.deps.store.putUsage(priced)), counted: this.count(priced) };
  }

  /** Adds a call to its key's and its account's UTC day (the day of `at`): one request, its usage tokens, its credits. */
  count(record: UsageRecord): Promise<void> {
    const date = record.at.slice(0, 10);
    const counts: UsageDayCounts = { requests: 1, tokens: record.usage?.totalTokens ?? 0, credits: roundCredits(record.credits) };
    const { store } = this.deps;
    return attempt(() =>
      Promise.all([store.addUsageDay({ keyId: record.keyId }, date, counts), store.addUsageDay({ accountId: record.accountId }, date, counts)]).then(() => undefined),
    );
  }

  /**
   * Requests, tokens and credits per UTC day, `days` ending today (by the clock), oldest first,
   * for one key of the caller's project or, without `keyId`, for the project's account: read from
   * the daily counters in one query, the days without calls filled with zeros. A key of another
   * project is indistinguishable from a missing one.
   */
  async daily(p: Principal, query: { keyId?: string; days?: number }): Promise<DailyUsage> {
    requireRead(p, 'audit:read');
    const projectId = principalProject(p);
    const days = query.days ?? DEFAULT_USAGE_DAYS;
    const today = this.deps.clock.now();
    const dates = Array.from({ length: days }, (_, i) => utcDay(today - (days - 1 - i) * DAY_MS));
    const [from, to] = [dates[0]!, dates.at(-1)!];
    const { store } = this.deps;
    let found: UsageDay[];
    let accountId: string | null = null;
    if (query.keyId) {
      const keyId = query.keyId;
      // The key and its days side by side: one round trip; the days are dropped if it is not ours.
      const [key, counted] = await Promise.all([store.getKey(keyId), store.queryUsageDays({ keyId }, from, to)]);
      if (!key || key.projectId !== projectId) throw new KeywardenError('not_found', `No key ${keyId} in this project.`);
      found = counted;
    } else {
      accountId = p.kind === 'key' ? p.key.accountId : ((await store.getProject(projectId))?.accountId ?? null);
      if (!accountId) throw new KeywardenError('not_found', 'Project not found.');
      found = await store.queryUsageDays({ accountId }, from, to);
    }
    const byDate = new Map(found.map((day) => [day.date, day]));
    return {
      keyId: query.keyId ?? null,
      accountId,
      data: dates.map((date) => {
        const day = byDate.get(date);
        return { date, requests: day?.requests ?? 0, tokens: day?.tokens ?? 0, credits: roundCredits(day?.credits ?? 0) };
      }),
    };
  }

  async query(
    p: Principal,
    query: { keyId?: string; requestId?: string; since?: string; cursor?: string; limit?: number },
  ): Promise<Page<UsageRecord> & { totals: KeyUsageTotal[]; totalsComplete: boolean }> {
    requireRead(p, 'audit:read');
    const projectId = principalProject(p);
    const filters = { projectId, keyId: query.keyId, requestId: query.requestId, since: query.since };
    const cursors = await listingCursors(this.deps.secrets, ['usage', projectId, query.keyId ?? '', query.requestId ?? '', query.since ?? '']);
    const page = await this.deps.store.queryUsage({ ...filters, cursor: cursors.open(query.cursor), limit: pageSize(query.limit) });
    // Totals cover every record the filters match, not just this page.
    const byKey = new Map<string, KeyUsageTotal>();
    let walked = 0;
    let cursor: string | undefined;
    do {
      const batch = await this.deps.store.queryUsage({ ...filters, cursor, limit: 1000 });
      for (const r of batch.items) {
        const total = byKey.get(r.keyId) ?? { keyId: r.keyId, requests: 0, totalTokens: 0, credits: 0 };
        total.requests += 1;
        total.totalTokens += r.usage?.totalTokens ?? 0;
        total.credits = roundCredits(total.credits + r.credits);
        byKey.set(r.keyId, total);
      }
      walked += batch.items.length;
      cursor = batch.nextCursor;
    } while (cursor && walked < MAX_TOTALLED_RECORDS);
    return { items: page.items, nextCursor: cursors.seal(page.nextCursor), totals: [...byKey.values()], totalsComplete: cursor === undefined };
  }
}

/** A write's promise, a synchronous throw included as its rejection (the caller only logs failures). */
function attempt(write: () => Promise<void>): Promise<void> {
  try {
    return write();
  } catch (err) {
    return Promise.reject(err);
  }
}
