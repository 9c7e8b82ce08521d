import { claimDueRotationDeliveryNotices } from '../core/rotation-delivery-notices';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { rotationDeliveryCard } from './cards/rotation-delivery-card';

/**
 * The Teams half of the scheduled rotations' notices to key owners
 * (bots/core/rotation-delivery-notices.ts): each notice the core claimed goes to the owner's 1:1
 * chat saved at install, with `Collect key` (listeners/card-action.ts, VERB.rotationDelivery). Run
 * with the rotation failure notices (every 5 minutes).
 */
export async function sendTeamsRotationDeliveryNotices(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueRotationDeliveryNotices(bot.client, nowMs);
  const outcome = await sendToAdminChats(bot, run.due, rotationDeliveryCard, (n) => ({ keyId: n.delivery.keyId, claimUntil: n.delivery.claimUntil }), 'rotation delivery notice');
  bot.log.info('teams: rotation delivery notices', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
