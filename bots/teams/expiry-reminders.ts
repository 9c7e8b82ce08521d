import { claimDueReminders } from '../core/expiry-reminders';
import { errorLabel } from '../boot/bot-log';
import type { TeamsBotContext } from './bot-context';
import { expiryReminderCard } from './cards/expiry-reminder-card';
import { usableReference } from './conversation-references';
import { cardActivity, redactActivity } from './render-reply';

/**
 * The Teams half of the daily expiry reminders (bots/core/expiry-reminders.ts): each notice the
 * core claimed goes to that admin's 1:1 chat, as captured when they installed the bot. An admin
 * with no captured chat gets nothing from Teams (counted as `unreachable`): the bot never guesses.
 */
export async function sendTeamsReminders(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; unreachable: number; alreadySent: number }> {
  const run = await claimDueReminders(bot.client, nowMs);
  let sent = 0;
  let failed = 0;
  let unreachable = 0;
  if (run.due.length > 0) {
    const chats = await bot.client.conversations();
    for (const { admin, reply } of run.due) {
      const stored = chats.ok ? chats.value.get(admin) : undefined;
      const reference = stored ? usableReference(stored, bot.adapter.appId) : undefined;
      if (!reference) {
        unreachable += 1;
        continue;
      }
      try {
        await bot.adapter.continueConversationAsync(bot.adapter.appId, reference, async (proactive) => {
          await proactive.sendActivity(redactActivity(cardActivity(expiryReminderCard(reply, nowMs))));
        });
        sent += 1;
      } catch (err) {
        failed += 1;
        bot.log.warn('teams: expiry reminder not delivered', { keyId: reply.key.id, threshold: reply.threshold, code: errorLabel(err) });
      }
    }
  }
  bot.log.info('teams: expiry reminders', { sent, failed, unreachable, alreadySent: run.alreadySent });
  return { sent, failed, unreachable, alreadySent: run.alreadySent };
}
