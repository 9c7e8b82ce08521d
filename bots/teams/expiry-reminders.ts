import { claimDueReminders } from '../core/expiry-reminders';
import { sendToAdminChats } from './admin-notices';
import type { TeamsBotContext } from './bot-context';
import { expiryReminderCard } from './cards/expiry-reminder-card';

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
  const outcome = await sendToAdminChats(
    bot,
    run.due,
    (reply) => expiryReminderCard(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, threshold: reply.threshold }),
    'expiry reminder',
  );
  bot.log.info('teams: expiry reminders', { ...outcome, alreadySent: run.alreadySent });
  return { ...outcome, alreadySent: run.alreadySent };
}
