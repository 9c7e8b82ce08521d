import { claimDueExposureNotices } from '../core/exposure-notices';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { exposureNoticeCard } from './cards/exposure-card';

/**
 * The Teams half of the exposure notices (bots/core/exposure-notices.ts): each notice the core
 * claimed goes to that admin's 1:1 chat, with `Create replacement` and `Show usage`. Run with the
 * budget alerts (the same 5-minute schedule).
 */
export async function sendTeamsExposureNotices(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueExposureNotices(bot.client, nowMs);
  const outcome = await sendToAdminChats(
    bot,
    run.due,
    (reply) => exposureNoticeCard(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, source: reply.key.exposure?.source }),
    'exposure notice',
  );
  bot.log.info('teams: exposure notices', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
