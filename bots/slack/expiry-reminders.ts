import { parseIdentity } from '../core';
import { claimDueReminders, type ReminderRun } from '../core/expiry-reminders';
import { errorLabel } from '../boot/bot-log';
import { expiryReminderMessage } from './blocks/expiry-reminder-blocks';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the daily expiry reminders (bots/core/expiry-reminders.ts): each notice the
 * core claimed goes to that admin's DM with the bot. Returns what was sent, for the log and the CLI.
 */
export async function sendSlackReminders(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run: ReminderRun = await claimDueReminders(bot.client, nowMs);
  let sent = 0;
  let failed = 0;
  for (const { admin, reply } of run.due) {
    const id = parseIdentity(admin);
    if (!id || id.platform !== 'slack') continue;
    try {
      const im = (await bot.web.conversations.open({ users: id.user })).channel?.id;
      if (!im) throw new Error('conversations.open returned no channel');
      await bot.web.chat.postMessage({ channel: im, ...expiryReminderMessage(reply, nowMs) });
      sent += 1;
    } catch (err) {
      failed += 1;
      bot.log.warn('expiry reminder not delivered', { keyId: reply.key.id, threshold: reply.threshold, code: errorLabel(err) });
    }
  }
  bot.log.info('expiry reminders', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}
