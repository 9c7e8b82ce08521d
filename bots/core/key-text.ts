import { formatBudget } from '../../lambdas/core/budget';
import type { ApiKey } from './api-types';
import { formatRateLimit } from './command-grammar';

/** Plain-text phrases about keys that both edges use (no platform markup). */
export function startPreview(key: Pick<ApiKey, 'start'>): string {
  return `${key.start}…`;
}

export function lastUsedText(key: Pick<ApiKey, 'lastUsedAt'>, nowMs = Date.now()): string {
  return key.lastUsedAt ? `last used ${relativeTime(key.lastUsedAt, nowMs)}` : 'never used';
}

export function relativeTime(iso: string, nowMs = Date.now()): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return iso;
  const s = Math.round((nowMs - then) / 1000);
  const future = s < 0;
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.floor(abs / 60), 'minute'] : abs < 86_400 ? [Math.floor(abs / 3600), 'hour'] : [Math.floor(abs / 86_400), 'day'];
  if (unit === 'second' && n < 5) return 'just now';
  const phrase = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return future ? `in ${phrase}` : `${phrase} ago`;
}

/** A status as people say it: a `disabled` key is paused (`pause` / `resume`). */
export function statusWord(status: ApiKey['status']): string {
  return status === 'disabled' ? 'paused' : status;
}

/** `100 requests / 1m` */
export function rateLimitText(rateLimit: ApiKey['rateLimit']): string {
  return `${rateLimit.limit.toLocaleString('en-US')} requests / ${formatRateLimit(rateLimit).split('/')[1]}`;
}

/** `"CI deploy" (archie_4fQa…, privileged, active, last used 2 hours ago)` */
export function keyLine(key: ApiKey, nowMs = Date.now()): string {
  return `"${key.name}" (${startPreview(key)}, ${key.type}, ${statusWord(key.status)}, ${lastUsedText(key, nowMs)})`;
}

/** `3 calls · 1,200 tokens · 0.5 credits` */
export function usageText(t: { requests: number; totalTokens: number; credits: number }): string {
  return `${countText(t.requests)} ${t.requests === 1 ? 'call' : 'calls'} · ${countText(t.totalTokens)} tokens · ${creditsText(t.credits)} credits`;
}

/** `1,234` — counts as people read them. */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

/** Credits to at most 4 decimals: `0.0125`, `12`. */
export function creditsText(credits: number): string {
  return credits.toLocaleString('en-US', { maximumFractionDigits: 4 });
}

/** A budget as the bots say it: `20 credits/month`, or `none`. */
export function budgetText(budget: Pick<NonNullable<ApiKey['budget']>, 'credits' | 'period'> | null | undefined): string {
  return budget ? formatBudget({ credits: budget.credits, period: budget.period }) : 'none';
}

/** Where a key's budget stands: `16 of 20 credits spent this month (80 %), resets in 3 days`. */
export function budgetSpentText(budget: NonNullable<ApiKey['budget']>, nowMs = Date.now()): string {
  const share = sharePercent(budget);
  const period = budget.period === 'total' ? 'in total' : `this ${budget.period}`;
  const reset = budget.resetsAt ? `, resets ${relativeTime(budget.resetsAt, nowMs)} (${budget.resetsAt})` : ', never resets';
  return `${creditsText(budget.spent)} of ${creditsText(budget.credits)} credits spent ${period} (${share} %)${reset}`;
}

/** A budget in a line of a list: `80 % of 20 credits/month`. */
export function budgetShareText(budget: NonNullable<ApiKey['budget']>): string {
  return `${sharePercent(budget)} % of ${budgetText(budget)}`;
}

function sharePercent(budget: Pick<NonNullable<ApiKey['budget']>, 'spent' | 'credits'>): number {
  return budget.credits > 0 ? Math.floor((budget.spent / budget.credits) * 100) : 0;
}
