import { BUDGET_ALERT_THRESHOLDS } from '../../lambdas/core/budget';
import type { ApiKey } from './api-types';
import { creditsText } from './key-text';
import type { KeywardenClient } from './keywarden-client';
import { forKeysWithAdmins, keyButtonCodec, type KeyButton } from './admin-notice-walk';

/**
 * Budget alerts (issue 21): when a key has spent 80 % and then 100 % of its budget in a period,
 * the project's admins on each platform are told privately (Slack DM, Teams 1:1), once per
 * threshold and period — however often the job runs (every 5 minutes in AWS, lib/keywarden-bots.ts;
 * locally with the reminders), on however many instances at once.
 *
 * "Once" is the delivery claim the expiry reminders use (expiry-reminders.ts): before an alert
 * goes out its id — key, period end, threshold, budget, admin — is claimed through
 * `POST /v1/bots/deliveries`; a second run finds it taken and sends nothing. The period end is in the
 * id, so the next period alerts afresh; the budget is too, so a budget raised after an alert
 * alerts again when the new one runs low. Only the highest threshold reached is sent: a key
 * first seen at 100 % gets one alert, not two, and its 80 % is claimed with it so it never
 * arrives late. The job reads each key's `budget` as the API answers it (spent, credits, resetsAt).
 *
 * The alert offers `Raise budget…` (a new budget entered, then the usual confirmation, before →
 * after) and `Pause key` (the usual pause confirmation), run as whoever clicks.
 */
export type BudgetThreshold = 80 | 100;

/** The thresholds as whole percentages, highest first. */
const THRESHOLDS: readonly BudgetThreshold[] = [...BUDGET_ALERT_THRESHOLDS].map((t) => Math.round(t * 100) as BudgetThreshold).sort((a, b) => b - a);

const DAY_S = 86_400;
/** The longest a claim is held (the API's bound): a `total` budget's alert may come again after that. */
export const BUDGET_CLAIM_MAX_S = 90 * DAY_S;

/** The thresholds `key`'s budget has reached this period, highest first; none without a budget. */
export function reachedThresholds(key: Pick<ApiKey, 'budget' | 'status'>): BudgetThreshold[] {
  const budget = key.budget;
  if (!budget || !(budget.credits > 0) || key.status !== 'active') return [];
  // Integer cents of a percent, so 16 of 20 is 80 % exactly, whatever the floating point says.
  const share = Math.round((budget.spent / budget.credits) * 10_000);
  return THRESHOLDS.filter((t) => share >= t * 100);
}

/** What makes an alert once per key, period, threshold, budget and admin (the claimed delivery, hashed with the bot-only secret by the client). */
export function budgetAlertDelivery(bot: string, key: Pick<ApiKey, 'id' | 'budget'>, threshold: BudgetThreshold, admin: string): string {
  const budget = key.budget!;
  return `budget:${key.id}:${budget.resetsAt ?? 'total'}:${threshold}:${budget.credits}/${budget.period}:${bot}:${admin}`;
}

/** Held past the period's end (the next period has other ids), within the API's bound. */
function claimSeconds(key: Pick<ApiKey, 'budget'>, nowMs: number): number {
  const resetsAt = key.budget?.resetsAt ? Date.parse(key.budget.resetsAt) : NaN;
  if (!Number.isFinite(resetsAt)) return BUDGET_CLAIM_MAX_S;
  return Math.min(BUDGET_CLAIM_MAX_S, Math.max(60, Math.ceil((resetsAt - nowMs) / 1000) + DAY_S));
}

/** One alert for one admin: the key as read (its budget with it). */
export interface BudgetAlertReply {
  kind: 'budget_alert';
  key: ApiKey;
  threshold: BudgetThreshold;
}

/** What an alert says first, per threshold (each platform adds its own emoji). */
export function budgetAlertLead(reply: BudgetAlertReply): string {
  const budget = reply.key.budget!;
  const period = budget.period === 'total' ? 'its whole budget' : `its budget for this ${budget.period}`;
  return reply.threshold === 100
    ? `An API key of this project has used up ${period}: its model calls are refused until ${budget.resetsAt ? 'the period resets' : 'the budget is raised'}`
    : `An API key of this project has used ${reply.threshold} % of ${period} (${creditsText(budget.spent)} of ${creditsText(budget.credits)} credits)`;
}

export interface BudgetAlertRun {
  due: { admin: string; reply: BudgetAlertReply }[];
  /** Alerts skipped because an earlier (or concurrent) run claimed them. */
  alreadySent: number;
}

/**
 * The alerts to send now, each already claimed: the active keys read page by page, the admins on
 * this bot's platform. An API failure ends the run with what it has; nothing unclaimed is lost.
 */
export async function claimDueBudgetAlerts(client: KeywardenClient, nowMs: number): Promise<BudgetAlertRun> {
  const run: BudgetAlertRun = { due: [], alreadySent: 0 };
  await forKeysWithAdmins(client, ['active'], async (key, admins) => {
    const [highest, ...lower] = reachedThresholds(key);
    if (highest === undefined) return;
    for (const admin of admins) {
      const claim = await client.claimDelivery(budgetAlertDelivery(client.bot, key, highest, admin), claimSeconds(key, nowMs));
      if (!claim.ok) {
        if (claim.error.code === 'conflict') run.alreadySent += 1;
        continue;
      }
      run.due.push({ admin, reply: { kind: 'budget_alert', key, threshold: highest } });
      // Passed by already: claimed with it, so a lower alert never arrives after a higher one.
      for (const passed of lower) await client.claimDelivery(budgetAlertDelivery(client.bot, key, passed, admin), claimSeconds(key, nowMs));
    }
  });
  return run;
}

/** What an alert button asks for, run for whoever clicks: a new budget (a form first), or the usual pause. */
export type BudgetAlertButton = KeyButton<'raise' | 'pause'>;

export const { encode: encodeBudgetAlertButton, decode: decodeBudgetAlertButton } = keyButtonCodec<BudgetAlertButton['op']>(['raise', 'pause']);

/** A budget to suggest in the raise form: the current one doubled, as the grammar reads it (`40/month`). */
export function suggestedBudget(key: Pick<ApiKey, 'budget'>): string {
  return key.budget ? `${key.budget.credits * 2}/${key.budget.period}` : '20/month';
}
