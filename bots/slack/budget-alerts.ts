import { claimDueBudgetAlerts } from '../core/budget-alerts';
import { sendToAdminDms } from './admin-notices';
import { budgetAlertMessage } from './blocks/budget-alert-blocks';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the budget alerts (bots/core/budget-alerts.ts): each alert the core claimed
 * goes to that admin's DM with the bot, with `Raise budget…` and `Pause key`.
 */
export async function sendSlackBudgetAlerts(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run = await claimDueBudgetAlerts(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(
    bot,
    run.due,
    (reply) => budgetAlertMessage(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, threshold: reply.threshold }),
    'budget alert',
  );
  bot.log.info('budget alerts', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}
