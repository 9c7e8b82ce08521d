import { claimDueRotationFailureNotices, rotationFailureFacts, type RotationFailureReply } from '../core/rotation-failure-notices';
import { sendToAdminDms } from './admin-notices';
import { code, context, md, section, wire, type WireMessage } from './blocks/mrkdwn';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the rotation failure notices (bots/core/rotation-failure-notices.ts): each
 * notice the core claimed goes to that admin's DM with the bot. The reason may quote a
 * destination's error text and the key's name is anyone's choice: everything is escaped (`md`).
 */
export async function sendSlackRotationFailureNotices(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run = await claimDueRotationFailureNotices(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(bot, run.due, (reply) => rotationFailureMessage(reply, nowMs), (reply) => ({ keyId: reply.key.id, at: reply.failure.at }), 'rotation failure notice');
  bot.log.info('rotation failure notices', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}

export function rotationFailureMessage(reply: RotationFailureReply, nowMs = Date.now()): WireMessage {
  const facts = rotationFailureFacts(reply, nowMs);
  const lead = md`:warning: ${facts.lead}`;
  return wire({
    text: lead,
    blocks: [
      section(lead),
      section(md`*Delivers to:* ${facts.destination}\n*Why:* ${facts.reason}\n*When:* ${facts.when}`),
      context(md`${facts.next} kw_rotation_failure ${code(reply.key.id)}`),
    ],
  });
}
