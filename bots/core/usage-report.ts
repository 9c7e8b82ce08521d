import { periodStart } from '../../lambdas/core/budget';
import type { BudgetPeriod } from '../../lambdas/core/types';
import type { ApiKey, UsageTotal } from './api-types';
import { apiFailure } from './failure-replies';
import type { KeywardenClient } from './keywarden-client';
import type { Reply, UsageRow, UsageTotals } from './replies';

/**
 * `usage [key]` for anyone: calls, tokens and credits today (since 00:00 UTC) and this period —
 * of one key, or of the project with its top keys by today's credits. The period is the key's
 * budget period when it has a budget (where the budget stands is the key's own `budget` field:
 * spent, credits, reset), else the calendar month; a day budget's period is today. Read from
 * `GET /v1/usage`'s per-key totals.
 */
export const TOP_KEYS = 5;

/** 00:00 UTC of the day `nowMs` falls on. */
export function startOfDay(nowMs: number): string {
  return new Date(periodStart('day', nowMs)).toISOString();
}

/** One key's usage today and this period (`key` already resolved), or the project's and its top keys. */
export async function usageReport(client: KeywardenClient, key: ApiKey | undefined, nowMs: number): Promise<Reply> {
  const since = startOfDay(nowMs);
  const period: BudgetPeriod = key?.budget?.period ?? 'month';
  // A total budget counts from the key's creation; any other period from its UTC start.
  const periodSince = period === 'total' && key ? key.createdAt : new Date(periodStart(period, nowMs)).toISOString();
  const [today, thisPeriod] = await Promise.all([
    client.usageTotals({ since, keyId: key?.id }),
    periodSince === since ? undefined : client.usageTotals({ since: periodSince, keyId: key?.id }),
  ]);
  if (!today.ok) return apiFailure(today.error);
  if (thisPeriod && !thisPeriod.ok) return apiFailure(thisPeriod.error);
  const { totals, complete } = today.value;
  const periodTotals = thisPeriod ? sum(thisPeriod.value.totals) : sum(totals);
  const periodReport = { period, since: periodSince, all: periodTotals, complete: thisPeriod ? thisPeriod.value.complete : complete };
  if (key) return { kind: 'usage', since, key, all: sum(totals), top: [], keys: totals.length, complete, period: periodReport };
  const ranked = [...totals].sort((a, b) => b.credits - a.credits || b.requests - a.requests).slice(0, TOP_KEYS);
  const named = await Promise.all(ranked.map((t) => client.getKey(t.keyId)));
  const top: UsageRow[] = ranked.map((t, i) => {
    const found = named[i]!;
    return found.ok ? { ...t, key: { name: found.value.name, start: found.value.start, status: found.value.status, budget: found.value.budget } } : t;
  });
  return { kind: 'usage', since, all: sum(totals), top, keys: totals.length, complete, period: periodReport };
}

function sum(totals: UsageTotal[]): UsageTotals {
  const add = (f: keyof UsageTotals) => totals.reduce((n, t) => n + t[f], 0);
  return { requests: add('requests'), totalTokens: add('totalTokens'), credits: Math.round(add('credits') * 1e6) / 1e6 };
}



/** `This month (since 2026-12-01, UTC)`, `Since the key was created (2026-01-05)`: the period a report's second total covers. */
export function periodWords(period: { period: BudgetPeriod; since: string }): string {
  const since = period.since.slice(0, 10);
  return period.period === 'total' ? `Since the key was created (${since})` : `This ${period.period} (since ${since}, UTC)`;
}
