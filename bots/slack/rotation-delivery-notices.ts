import { claimDueRotationDeliveryNotices } from '../core/rotation-delivery-notices';
import { sendToAdminDms } from './admin-notices';
import { rotationDeliveryMessage } from './blocks/rotation-delivery-blocks';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the scheduled rotations' notices to key owners
 * (bots/core/rotation-delivery-notices.ts): each notice the core claimed goes to the owner's DM
 * with the bot, with `Collect key` (listeners/actions/rotation-delivery-action.ts). Run with the
 * rotation failure notices (every 5 minutes).
 */
export async function sendSlackRotationDeliveryNotices(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run = await claimDueRotationDeliveryNotices(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(bot, run.due, rotationDeliveryMessage, (n) => ({ keyId: n.delivery.keyId, claimUntil: n.delivery.claimUntil }), 'rotation delivery notice');
  bot.log.info('rotation delivery notices', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}
