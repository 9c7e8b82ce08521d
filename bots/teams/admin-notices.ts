import { errorLabel } from '../boot/bot-log';
import type { TeamsBotContext } from './bot-context';
import type { AdaptiveCard } from './cards/adaptive-card';
import { usableReference } from './conversation-references';
import { cardActivity, redactActivity } from './render-reply';

/** One notice the core claimed for one admin (an expiry reminder, a budget alert). */
export interface AdminNotice<R> {
  admin: string;
  reply: R;
}

/**
 * Notices no Teams activity asked for, each to its admin's 1:1 chat as captured when they
 * installed the bot. An admin with no captured chat gets nothing from Teams (`unreachable`): the
 * bot never guesses. Claimed by the core already, so a failed send is counted and logged, never
 * retried into a second copy. `describe` names it in the log (ids, never a key).
 */
export async function sendToAdminChats<R>(
  bot: Pick<TeamsBotContext, 'adapter' | 'client' | 'log'>,
  due: readonly AdminNotice<R>[],
  card: (reply: R) => AdaptiveCard,
  describe: (reply: R) => Record<string, unknown>,
  what: string,
): Promise<{ sent: number; failed: number; unreachable: number }> {
  let sent = 0;
  let failed = 0;
  let unreachable = 0;
  if (due.length === 0) return { sent, failed, unreachable };
  const chats = await bot.client.conversations();
  for (const { admin, reply } of due) {
    const stored = chats.ok ? chats.value.get(admin) : undefined;
    const reference = stored ? usableReference(stored, bot.adapter.appId) : undefined;
    if (!reference) {
      unreachable += 1;
      continue;
    }
    try {
      await bot.adapter.continueConversationAsync(bot.adapter.appId, reference, async (proactive) => {
        await proactive.sendActivity(redactActivity(cardActivity(card(reply))));
      });
      sent += 1;
    } catch (err) {
      failed += 1;
      bot.log.warn(`teams: ${what} not delivered`, { ...describe(reply), code: errorLabel(err) });
    }
  }
  return { sent, failed, unreachable };
}
