import { errorLabel } from '../boot/bot-log';
import { claimDueStragglerNotices } from '../core/straggler-notices';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { stragglerCard } from './cards/straggler-card';
import { cardActivity, redactActivity } from './render-reply';
import { originReference } from './rotation-origin';

/**
 * The Teams half of the straggler notices (bots/core/straggler-notices.ts): the admin who rotated,
 * when a Teams admin, else the project's Teams admins, each in their 1:1 chat saved at install;
 * and, when the rotation was confirmed in a channel or group chat, one card there (in the channel
 * thread it was confirmed in), posted proactively to the conversation the rotation stored.
 * Run with the budget alerts (the same 5-minute schedule).
 */
export async function sendTeamsStragglerNotices(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number; threads: { sent: number; failed: number; unreachable: number } }> {
  const run = await claimDueStragglerNotices(bot.client, nowMs);
  const outcome = await sendToAdminChats(bot, run.due, stragglerCard, (reply) => ({ keyId: reply.key.id, callers: reply.stragglers.callers.length }), 'straggler notice');
  const threads = { sent: 0, failed: 0, unreachable: 0 };
  for (const { origin, reply } of run.threads) {
    const reference = originReference(origin, bot.adapter.appId);
    if (!reference) {
      threads.unreachable += 1;
      continue;
    }
    try {
      await bot.adapter.continueConversationAsync(bot.adapter.appId, reference, async (proactive) => {
        await proactive.sendActivity(redactActivity(cardActivity(stragglerCard(reply))));
      });
      threads.sent += 1;
    } catch (err) {
      // Claimed already: counted and logged, never retried into a second copy.
      threads.failed += 1;
      bot.log.warn('teams: straggler notice not posted in the rotation’s conversation', { keyId: reply.key.id, code: errorLabel(err) });
    }
  }
  bot.log.info('teams: straggler notices', { ...outcome, alreadySent: run.alreadySent, threads });
  return { ...outcome, alreadySent: run.alreadySent, threads };
}
