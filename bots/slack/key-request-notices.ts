import { announcePendingRequests, type PersonNotifier } from '../core/key-request-approvals';
import type { KeywardenClient } from '../core';
import { sendToAdminDms } from './admin-notices';
import { keyRequestMessage } from './blocks/key-request-blocks';

/**
 * The Slack half of the core's `PersonNotifier` (bots/core/key-request-approvals.ts): a key
 * request's card to an admin, or its decision to the requester, in that person's DM with the bot
 * (conversations.open, chat.postMessage). A Slack identity only; anyone else is not reached here.
 */
export function slackKeyRequestNotifier(bot: Parameters<typeof sendToAdminDms>[0]): PersonNotifier {
  return {
    async notify(identity, notice) {
      const { sent } = await sendToAdminDms(bot, [{ admin: identity, reply: notice }], keyRequestMessage, (n) => ({ requestId: n.request.id, kind: n.kind }), 'key request notice');
      return sent === 1;
    },
  };
}

/** The approval cards still owed for requests made elsewhere (run with the exposure notices). */
export async function sendSlackRequestCards(bot: Parameters<typeof sendToAdminDms>[0] & { client: KeywardenClient }): Promise<number> {
  const sent = await announcePendingRequests(bot.client, slackKeyRequestNotifier(bot));
  bot.log.info('key request cards', { sent });
  return sent;
}
