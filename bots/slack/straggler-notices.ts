import { claimDueStragglerNotices, type StragglerNoticeReply } from '../core/straggler-notices';
import { sendToAdminDms } from './admin-notices';
import { code, context, join, md, section, wire, type WireMessage } from './blocks/mrkdwn';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the straggler notices (bots/core/straggler-notices.ts): each notice the core
 * claimed goes to that admin's DM with the bot. Whoever holds the old key chose its user agent:
 * every caller-given text is escaped (`md`), so it pings nobody and links nowhere.
 */
export async function sendSlackStragglerNotices(bot: Pick<SlackBot, 'client' | 'web' | 'log'>, nowMs = Date.now()): Promise<{ sent: number; failed: number; alreadySent: number }> {
  const run = await claimDueStragglerNotices(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(bot, run.due, stragglerNoticeMessage, (reply) => ({ keyId: reply.key.id, callers: reply.stragglers.callers.length }), 'straggler notice');
  bot.log.info('straggler notices', { sent, failed, alreadySent: run.alreadySent });
  return { sent, failed, alreadySent: run.alreadySent };
}

export function stragglerNoticeMessage(reply: StragglerNoticeReply): WireMessage {
  const { key, stragglers } = reply;
  const lead = md`Still on the old key “${key.name}” (${code(key.start)}) after its rotation: it stops at ${stragglers.graceUntil ?? 'the end of its overlap'}.`;
  const lines = stragglers.callers.map((c) =>
    md`• ${c.sourceIp ?? 'unknown address'} · ${c.userAgent ?? 'no user agent'} · ${c.route} · ${c.count} call${c.count === 1 ? '' : 's'}, last ${c.lastSeen}`,
  );
  return wire({
    text: lead,
    blocks: [section(lead), section(join(lines, '\n')), context(md`Move these callers to the replacement ${code(stragglers.replacedBy ?? '')}; kw_stragglers ${key.id}`)],
  });
}
