import { claimDueRotationFailureNotices } from '../core/rotation-failure-notices';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { rotationFailureCard } from './cards/rotation-failure-card';

/**
 * The Teams half of the rotation failure notices (bots/core/rotation-failure-notices.ts): each
 * notice the core claimed goes to that admin's 1:1 chat saved at install. Run with the budget
 * alerts (the same 5-minute schedule).
 */
export async function sendTeamsRotationFailureNotices(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueRotationFailureNotices(bot.client, nowMs);
  const outcome = await sendToAdminChats(bot, run.due, (reply) => rotationFailureCard(reply, nowMs), (reply) => ({ keyId: reply.key.id, at: reply.failure.at }), 'rotation failure notice');
  bot.log.info('teams: rotation failure notices', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
