import { roundCredits } from './credits';
import { listingCursors, pageSize } from './cursor';
import { KeywardenError } from './errors';
import { requireRead } from './policy';
import type { ExposureRecord } from './exposure';
import { principalProject, type Principal } from './principal';
import type { Clock, KeyHold, SecretsProvider, Store, UsageDay, UsageDayCounts } from './ports';
import { redactKeys } from './redact-keys';
import type { KeyRecord, Page, UsageRecord } from './types';

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

/**
 * A model call's count in its key's day, carried by its settlement (issue 23: write units per
 * call). The settlement is a write on the key's item anyway (its release, store/key-release.ts),
 * so the key's requests, tokens and credits of the UTC day ride on it instead of a write of the
 * key's day item. The after-answer work hands the route's finish a watch (`SettlementSeen`, passed
 * on to the settlement, never held in ambient state); a settlement made with it
 * (`countWithSettlement`, core/model-call.ts) marks the hold it releases
 * with the day — the day the call was made when its request id says (`madeAt`), else the
 * settlement's — and the watch learns when it was made: the usage record then bears the same
 * time (the record's day is the day it was counted in) and leaves the key's day item alone. A
 * settlement made without one counts nothing on the key, and the record counts the call as
 * every other call's record does.
 */
export interface SettlementSeen {
  /** Epoch ms of the settlement that counted the call on its key's item. */
  at?: number;
  /**
   * Epoch ms the call was made (its request id's time, when it carries one): the day the
   * settlement counts it in, as its usage record bears that time — a call settled after midnight
   * is counted, listed and dated in the day it was made.
   */
  madeAt?: number;
}

/**
 * Holds whose release counts their call: in which UTC day, and the account the key's days are
 * summed into, if they are (a fresh object per settlement: never shared).
 */
const countedIn = new WeakMap<KeyHold, DayCounted>();

/** Where a release counts its call: the UTC day, and the account its key's days are summed into (`KeyRecord.accountDaysSummed`). */
export interface DayCounted {
  day: string;
  summedInto?: string;
}

/**
 * The hold a settlement made at `now` releases for `key`: with a watch that has not seen one, a
 * copy marked with the UTC day the release counts the call in; else the hold itself (counted
 * nowhere on the key: the usage record counts it).
 */
export function countWithSettlement(hold: KeyHold, now: number, key: Pick<KeyRecord, 'accountId' | 'accountDaysSummed'>, seen: SettlementSeen): KeyHold {
  if (seen.at !== undefined) return hold;
  seen.at = now;
  const marked = { ...hold };
  countedIn.set(marked, { day: utcDay(seen.madeAt ?? now), ...(key.accountDaysSummed === true ? { summedInto: key.accountId } : {}) });
  return marked;
}

/** Where a release counts its call on the key's item; undefined when it counts none. */
export function dayCountedIn(hold: KeyHold): DayCounted | undefined {
  return countedIn.get(hold);
}

/** Longest user agent a usage record keeps. */
export const MAX_USER_AGENT = 200;
/** Distinct callers an exposure report lists. */
export const MAX_EXPOSURE_SOURCES = 20;

/**
 * Who called, bounded for a usage record: the address only when it reads as one (IPv4 or IPv6
 * text, at most 45 characters — the longest IPv6 form), the user agent cut to 200 characters with
 * any key in it redacted (a client that puts its key in its user agent must not have it stored).
 */
export function callerOf(sourceIp: string | undefined, userAgent: string | undefined): Pick<UsageRecord, 'sourceIp' | 'userAgent'> {
  const ip = sourceIp?.trim();
  const agent = userAgent === undefined ? '' : redactKeys(userAgent.slice(0, 4 * MAX_USER_AGENT)).trim().slice(0, MAX_USER_AGENT);
  return {
    ...(ip && ip.length <= 45 && /^[0-9A-Fa-f:.]+$/.test(ip) ? { sourceIp: ip } : {}),
    ...(agent ? { userAgent: agent } : {}),
  };
}

/** What a key did since it was first seen exposed (or over its whole life): `GET /v1/keys/{id}/exposure`. */
export interface ExposureUsage {
  keyId: string;
  exposure: ExposureRecord | null;
  since: string | null;
  calls: number;
  tokens: number;
  credits: number;
  firstUse: string | null;
  lastUse: string | null;
  sources: Array<{ address: string | null; userAgent: string | null; calls: number }>;
  complete: boolean;
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
   * `countedOnKey`: its settlement (`countWithSettlement`) or its admission (a call that is not a
   * model call: Store.admitKeyUse `countIn`) already counted it in its key's day.
   * `summed`: its key's days are summed into its account's (`KeyRecord.accountDaysSummed`).
   * Each promise settles with its own writes; neither is thrown synchronously.
   */
  record(record: UsageRecord, options: DayCounting = {}): { recorded: Promise<void>; counted: Promise<void> } {
    const priced = { ...record, credits: roundCredits(record.credits) };
    return { recorded: attempt(() => this.deps.store.putUsage(priced)), counted: this.count(priced, options) };
  }

  /**
   * Adds a call to its key's and its account's UTC day (the day of `at`): one request, its usage
   * tokens, its credits. A call its settlement or admission counted on the key's item adds nothing to the key's
   * day item: the store is told so (zero counts), which lets it file the key's older days. A key
   * whose days are summed into its account's adds nothing to the account's: the account's days
   * are read from its keys'.
   */
  count(record: UsageRecord, options: DayCounting = {}): Promise<void> {
    const date = record.at.slice(0, 10);
    const counts: UsageDayCounts = { requests: 1, tokens: record.usage?.totalTokens ?? 0, credits: roundCredits(record.credits) };
    const { store } = this.deps;
    const onKey = options.countedOnKey ? NOTHING : counts;
    if (options.summed) return attempt(() => store.addUsageDay({ keyId: record.keyId, summedInto: record.accountId }, date, onKey));
    return attempt(() =>
      Promise.all([store.addUsageDay({ keyId: record.keyId }, date, onKey), store.addUsageDay({ accountId: record.accountId }, date, counts)]).then(() => undefined),
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

  /**
   * What a key of the caller's project did since it was first seen exposed — or over its whole
   * life, never exposed: its usage records from `exposure.at` on, walked newest first up to
   * `MAX_TOTALLED_RECORDS` (then `complete: false`, and the first use is the oldest walked).
   * Callers are (address, user agent) pairs, most calls first. A key of another project is
   * indistinguishable from a missing one.
   */
  async sinceExposure(p: Principal, keyId: string): Promise<ExposureUsage> {
    requireRead(p, 'audit:read');
    const projectId = principalProject(p);
    const key = await this.deps.store.getKey(keyId);
    if (!key || key.projectId !== projectId) throw new KeywardenError('not_found', `No key ${keyId} in this project.`);
    const since = key.exposure?.at;
    const out: ExposureUsage = { keyId, exposure: key.exposure ?? null, since: since ?? null, calls: 0, tokens: 0, credits: 0, firstUse: null, lastUse: null, sources: [], complete: true };
    const callers = new Map<string, ExposureUsage['sources'][number]>();
    let cursor: string | undefined;
    do {
      const batch = await this.deps.store.queryUsage({ projectId, keyId, since, cursor, limit: 1000 });
      for (const r of batch.items) {
        if (since && r.at < since) continue;
        out.calls += 1;
        out.tokens += r.usage?.totalTokens ?? 0;
        out.credits = roundCredits(out.credits + r.credits);
        if (!out.lastUse || r.at > out.lastUse) out.lastUse = r.at;
        if (!out.firstUse || r.at < out.firstUse) out.firstUse = r.at;
        const slot = `${r.sourceIp ?? ''}\u0000${r.userAgent ?? ''}`;
        const caller = callers.get(slot) ?? { address: r.sourceIp ?? null, userAgent: r.userAgent ?? null, calls: 0 };
        caller.calls += 1;
        callers.set(slot, caller);
      }
      cursor = batch.nextCursor;
    } while (cursor && out.calls < MAX_TOTALLED_RECORDS);
    out.complete = cursor === undefined;
    out.sources = [...callers.values()].sort((a, b) => b.calls - a.calls).slice(0, MAX_EXPOSURE_SOURCES);
    return out;
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

/** Where a call's counts go besides its usage record (`UsageLog.record`). */
export interface DayCounting {
  /** Its settlement (`countWithSettlement`) or its admission counted it in its key's day on the key's item. */
  countedOnKey?: boolean;
  /** Its key's days are summed into its account's (`KeyRecord.accountDaysSummed`): the account's day is not added to. */
  summed?: boolean;
}

/** What a call adds to its key's day item when its settlement counted it on the key's item. */
const NOTHING: UsageDayCounts = { requests: 0, tokens: 0, credits: 0 };

/** A write's promise, a synchronous throw included as its rejection (the caller only logs failures). */
function attempt(write: () => Promise<void>): Promise<void> {
  try {
    return write();
  } catch (err) {
    return Promise.reject(err);
  }
}
