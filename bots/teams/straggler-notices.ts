import { claimDueStragglerNotices } from '../core/straggler-notices';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { stragglerCard } from './cards/straggler-card';

/**
 * The Teams half of the straggler notices (bots/core/straggler-notices.ts): the admin who rotated,
 * when a Teams admin, else the project's Teams admins, each in their 1:1 chat saved at install.
 * Run with the budget alerts (the same 5-minute schedule).
 */
export async function sendTeamsStragglerNotices(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueStragglerNotices(bot.client, nowMs);
  const outcome = await sendToAdminChats(bot, run.due, stragglerCard, (reply) => ({ keyId: reply.key.id, callers: reply.stragglers.callers.length }), 'straggler notice');
  bot.log.info('teams: straggler notices', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
