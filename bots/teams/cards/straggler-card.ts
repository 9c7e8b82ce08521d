import type { StragglerNoticeReply } from '../../core/straggler-notices';
import { adaptiveCard, heading, plain, text, type AdaptiveCard } from './adaptive-card';

/**
 * Callers still on the old key during a rotation's overlap (bots/core/straggler-notices.ts).
 * Whoever holds the old key chose its user agent: every caller-given text is made plain.
 */
export function stragglerCard(reply: StragglerNoticeReply): AdaptiveCard {
  const { key, stragglers } = reply;
  const lines = stragglers.callers.map(
    (c) => `- ${plain(c.sourceIp ?? 'unknown address')} · ${plain(c.userAgent ?? 'no user agent')} · ${plain(c.route)} · ${c.count} call${c.count === 1 ? '' : 's'}, last ${c.lastSeen}`,
  );
  return adaptiveCard([
    heading(`Still on the old key “${plain(key.name)}” (${key.start})`),
    text(`It stops at ${stragglers.graceUntil ?? 'the end of its overlap'}. Callers (address · user agent · route · calls):`),
    text(lines.join('\n')),
    text(`Move these callers to the replacement ${stragglers.replacedBy ?? ''} (key ${key.id}).`, { isSubtle: true }),
  ]);
}
