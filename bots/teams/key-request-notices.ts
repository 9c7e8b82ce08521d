import { announcePendingRequests, type PersonNotifier } from '../core/key-request-approvals';
import { sendToAdminChats } from './admin-notices';
import { keyRequestCard } from './cards/key-request-card';

/**
 * The Teams half of the core's `PersonNotifier` (bots/core/key-request-approvals.ts): a key
 * request's card to an admin, or its decision to the requester, in that person's 1:1 chat as
 * captured when they installed the bot or wrote to it there. No captured chat: not reached (the
 * bot never guesses); the request still waits in `GET /v1/key-requests` and the console.
 */
export function teamsKeyRequestNotifier(bot: Parameters<typeof sendToAdminChats>[0]): PersonNotifier {
  return {
    async notify(identity, notice) {
      const { sent } = await sendToAdminChats(bot, [{ admin: identity, reply: notice }], keyRequestCard, (n) => ({ requestId: n.request.id, kind: n.kind }), 'key request notice');
      return sent === 1;
    },
  };
}

/** The approval cards still owed for requests made elsewhere (run with the exposure notices). */
export async function sendTeamsRequestCards(bot: Parameters<typeof sendToAdminChats>[0]): Promise<number> {
  const sent = await announcePendingRequests(bot.client, teamsKeyRequestNotifier(bot));
  bot.log.info('teams: key request cards', { sent });
  return sent;
}
