import { claimDueReminders, type ReminderRun } from '../core/expiry-reminders';
import { sendToAdminDms } from './admin-notices';
import { expiryReminderMessage } from './blocks/expiry-reminder-blocks';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the daily expiry reminders (bots/core/expiry-reminders.ts): each notice the
 * core claimed goes to that admin's DM with the bot. Returns what was sent, for the log and the CLI.
 */
export async function sendSlackReminders(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run: ReminderRun = await claimDueReminders(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(
    bot,
    run.due,
    (reply) => expiryReminderMessage(reply, nowMs),
    (reply) => ({ keyId: reply.key.id, threshold: reply.threshold }),
    'expiry reminder',
  );
  bot.log.info('expiry reminders', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}
