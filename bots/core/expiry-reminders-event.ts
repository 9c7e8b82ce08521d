/**
 * The events the schedules invoke the bot functions with (lib/keywarden-bots.ts), and the local
 * timers and `keywarden reminders run` reproduce: the daily expiry reminders, and the budget
 * alerts every few minutes. An API Gateway event never has this shape (it always carries
 * `httpMethod`), so nothing a caller sends over HTTP can start a job.
 */
export const EXPIRY_REMINDERS_EVENT = { keywarden: 'expiry-reminders' } as const;
export const BUDGET_ALERTS_EVENT = { keywarden: 'budget-alerts' } as const;

export function isExpiryRemindersEvent(event: unknown): boolean {
  return isScheduled(event, EXPIRY_REMINDERS_EVENT.keywarden);
}

export function isBudgetAlertsEvent(event: unknown): boolean {
  return isScheduled(event, BUDGET_ALERTS_EVENT.keywarden);
}

function isScheduled(event: unknown, job: string): boolean {
  if (!event || typeof event !== 'object' || 'httpMethod' in event || 'requestContext' in event) return false;
  return (event as { keywarden?: unknown }).keywarden === job;
}
