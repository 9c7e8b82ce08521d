import type { ApiKey } from './api-types';
import { apiFailure } from './failure-replies';
import type { KeywardenClient } from './keywarden-client';
import type { Reply, UsageRow } from './replies';

/**
 * `usage [key]` for anyone: today's calls, tokens and credits (since 00:00 UTC), of one key, or of
 * the project with its top keys by credits. Read from `GET /v1/usage`'s per-key totals.
 */
export const TOP_KEYS = 5;


/** 00:00 UTC of the day `nowMs` falls on. */
export function startOfDay(nowMs: number): string {
  const d = new Date(nowMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

/** One key's usage today (`key` already resolved), or the project's and its top keys. */
export async function usageReport(client: KeywardenClient, key: ApiKey | undefined, nowMs: number): Promise<Reply> {
  const since = startOfDay(nowMs);
  const result = await client.usageTotals({ since, keyId: key?.id });
  if (!result.ok) return apiFailure(result.error);
  const { totals, complete } = result.value;
  const sum = (f: 'requests' | 'totalTokens' | 'credits') => totals.reduce((n, t) => n + t[f], 0);
  const all = { requests: sum('requests'), totalTokens: sum('totalTokens'), credits: Math.round(sum('credits') * 1e6) / 1e6 };
  if (key) return { kind: 'usage', since, key, all, top: [], keys: totals.length, complete };
  const ranked = [...totals].sort((a, b) => b.credits - a.credits || b.requests - a.requests).slice(0, TOP_KEYS);
  const named = await Promise.all(ranked.map((t) => client.getKey(t.keyId)));
  const top: UsageRow[] = ranked.map((t, i) => {
    const found = named[i]!;
    return found.ok ? { ...t, key: { name: found.value.name, start: found.value.start, status: found.value.status } } : t;
  });
  return { kind: 'usage', since, all, top, keys: totals.length, complete };
}
