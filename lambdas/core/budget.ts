import { roundCredits } from './credits';
import { BUDGET_PERIODS, type Budget, type BudgetPeriod, type KeyRecord } from './types';

/**
 * Per-key budgets (issue 21): credits a key may spend per UTC calendar period — a day from 00:00,
 * a week from Monday 00:00, a month from the 1st — or in total. The state lives on the key item
 * (`budgetLeft`, `budgetResetAt`); admission takes each model call's reservation from it in the
 * same conditional write that counts the call (store/keys.ts), so the credits a key holds or has
 * spent in a period never exceed its budget, however many calls race. These are the calendar
 * rules and the state as every surface shows it. No Node-only import: the console reads them too.
 */

/** `budgetResetAt` of a `total` budget: the end of time as JavaScript dates know it. */
export const NEVER_RESETS = 8.64e15;

/** Epoch ms when the period holding `now` ends (UTC). */
export function periodEnd(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  switch (period) {
    case 'day':
      return Date.UTC(y, m, day + 1);
    case 'week': {
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      return Date.UTC(y, m, day - sinceMonday + 7);
    }
    case 'month':
      return Date.UTC(y, m + 1, 1);
    case 'total':
      return NEVER_RESETS;
  }
}

/** Epoch ms when the period holding `now` began (UTC); 0 for `total`. */
export function periodStart(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  switch (period) {
    case 'day':
      return Date.UTC(y, m, day);
    case 'week':
      return Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7));
    case 'month':
      return Date.UTC(y, m, 1);
    case 'total':
      return 0;
  }
}

export interface BudgetState {
  limit: number;
  period: BudgetPeriod;
  /** Credits spent or held by calls in flight in the current period. */
  spent: number;
  remaining: number;
  /** When the period ends (epoch ms); null for `total`. */
  resetsAt: number | null;
}

/** The budget as it stands at `now`; undefined when the key has none. */
export function budgetState(key: Pick<KeyRecord, 'budget' | 'budgetLeft' | 'budgetResetAt'>, now: number): BudgetState | undefined {
  if (!key.budget) return undefined;
  const { credits, period } = key.budget;
  const current = key.budgetResetAt !== undefined && key.budgetResetAt > now && key.budgetLeft !== undefined;
  const remaining = current ? Math.max(0, roundCredits(key.budgetLeft!)) : credits;
  const end = current ? key.budgetResetAt! : periodEnd(period, now);
  return { limit: credits, period, spent: roundCredits(Math.max(0, credits - remaining)), remaining, resetsAt: period === 'total' ? null : end };
}

/** The thresholds admins are told about, as fractions of a period's budget. */
export const BUDGET_ALERT_THRESHOLDS = [0.8, 1] as const;

/** `20/month`, `5/day`, `100/total` (also `20/mo`, `5/d`, `1/w`): a budget as people write it. */
export function parseBudget(text: string): Budget | undefined {
  const m = /^\s*(\d+(?:\.\d{1,6})?)\s*(?:credits?)?\s*\/\s*([a-z]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const credits = Number(m[1]);
  const period = PERIOD_WORDS[m[2]!.toLowerCase()];
  if (!period || !(credits > 0) || credits > MAX_BUDGET_CREDITS) return undefined;
  return { credits, period };
}

/** Largest budget a key may carry (credits per period). */
export const MAX_BUDGET_CREDITS = 1_000_000_000;

const PERIOD_WORDS: Record<string, BudgetPeriod> = {
  d: 'day', day: 'day', daily: 'day',
  w: 'week', wk: 'week', week: 'week', weekly: 'week',
  mo: 'month', month: 'month', monthly: 'month',
  total: 'total', ever: 'total', lifetime: 'total',
};

/** `20 credits/month`: a budget as every surface says it. */
export function formatBudget(budget: Budget): string {
  return `${budget.credits} credits/${budget.period}`;
}

export { BUDGET_PERIODS };
