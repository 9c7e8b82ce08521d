import { parseIdentity } from '../core';
import type { webApi } from '@slack/bolt';
import { errorLabel, type BotLog } from '../boot/bot-log';
import type { WireMessage } from './blocks/mrkdwn';

/** One notice the core claimed for one admin (an expiry reminder, a budget alert). */
export interface AdminNotice<R> {
  admin: string;
  reply: R;
}

/**
 * Notices no Slack request asked for, each to its admin's DM with the bot (conversations.open,
 * chat.postMessage). The core has claimed each already, so one that fails is counted and
 * logged, never retried into a second copy. `describe` names it in the log (ids, never a key).
 */
export async function sendToAdminDms<R>(
  bot: { web: webApi.WebClient; log: BotLog },
  due: readonly AdminNotice<R>[],
  message: (reply: R) => WireMessage,
  describe: (reply: R) => Record<string, unknown>,
  what: string,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (const { admin, reply } of due) {
    const id = parseIdentity(admin);
    if (!id || id.platform !== 'slack') continue;
    try {
      const im = (await bot.web.conversations.open({ users: id.user })).channel?.id;
      if (!im) throw new Error('conversations.open returned no channel');
      await bot.web.chat.postMessage({ channel: im, ...message(reply) });
      sent += 1;
    } catch (err) {
      failed += 1;
      bot.log.warn(`${what} not delivered`, { ...describe(reply), code: errorLabel(err) });
    }
  }
  return { sent, failed };
}
