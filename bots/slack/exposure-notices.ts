import { claimDueExposureNotices } from '../core/exposure-notices';
import { sendToAdminDms } from './admin-notices';
import { exposureNoticeMessage } from './blocks/exposure-blocks';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the exposure notices (bots/core/exposure-notices.ts): each notice the core
 * claimed goes to that admin's DM with the bot, with `Create replacement` and `Show usage`. Run
 * with the budget alerts (the same 5-minute schedule).
 */
export async function sendSlackExposureNotices(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run = await claimDueExposureNotices(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(
    bot,
    run.due,
    (reply) => exposureNoticeMessage(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, source: reply.key.exposure?.source }),
    'exposure notice',
  );
  bot.log.info('exposure notices', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}
