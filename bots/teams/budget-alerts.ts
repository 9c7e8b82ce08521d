import { claimDueBudgetAlerts } from '../core/budget-alerts';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { budgetAlertCard } from './cards/budget-alert-card';

/**
 * The Teams half of the budget alerts (bots/core/budget-alerts.ts): each alert the core claimed
 * goes to that admin's 1:1 chat, with `Raise budget…` and `Pause key`.
 */
export async function sendTeamsBudgetAlerts(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueBudgetAlerts(bot.client, nowMs);
  const outcome = await sendToAdminChats(
    bot,
    run.due,
    (reply) => budgetAlertCard(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, threshold: reply.threshold }),
    'budget alert',
  );
  bot.log.info('teams: budget alerts', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
