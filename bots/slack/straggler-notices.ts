import { errorLabel } from '../boot/bot-log';
import { slackPlace } from '../core/rotation-origin';
import { claimDueStragglerNotices, type StragglerNoticeReply } from '../core/straggler-notices';
import { sendToAdminDms } from './admin-notices';
import { code, context, join, md, section, wire, type WireMessage } from './blocks/mrkdwn';
import type { SlackBot } from './slack-app';

/**
 * The Slack half of the straggler notices (bots/core/straggler-notices.ts): each notice the core
 * claimed goes to that admin's DM with the bot, and — when the rotation was confirmed in a channel
 * — one into that channel, in the thread it was confirmed in (chat.postMessage `thread_ts`).
 * Whoever holds the old key chose its user agent: every caller-given text is escaped (`md`), so it
 * pings nobody and links nowhere.
 */
export async function sendSlackStragglerNotices(
  bot: Pick<SlackBot, 'client' | 'web' | 'log'>,
  nowMs = Date.now(),
): Promise<{ sent: number; failed: number; alreadySent: number; threads: { sent: number; failed: number } }> {
  const run = await claimDueStragglerNotices(bot.client, nowMs);
  const { sent, failed } = await sendToAdminDms(bot, run.due, stragglerNoticeMessage, (reply) => ({ keyId: reply.key.id, callers: reply.stragglers.callers.length }), 'straggler notice');
  const threads = { sent: 0, failed: 0 };
  for (const { origin, reply } of run.threads) {
    const place = slackPlace(origin);
    if (!place) continue;
    try {
      // Claimed already: a failed post (the bot not in the channel, say) is counted and logged, never retried into a second copy.
      await bot.web.chat.postMessage({ channel: place.channel, ...(place.threadTs ? { thread_ts: place.threadTs } : {}), ...stragglerNoticeMessage(reply) });
      threads.sent += 1;
    } catch (err) {
      threads.failed += 1;
      bot.log.warn('straggler notice not posted in the rotation’s channel', { keyId: reply.key.id, code: errorLabel(err) });
    }
  }
  bot.log.info('straggler notices', { sent, failed, alreadySent: run.alreadySent, threads });
  return { sent, failed, alreadySent: run.alreadySent, threads };
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
