import { findKeysInText, parseIdentity, slackIdentity } from '../../../core';
import { sendDirectReply, sendPrivately } from '../../delivery';
import { errorLabel } from '../../../boot/bot-log';
import type { SlackDeps } from '../../slack-deps';
import type { MessageArgs } from './direct-message';

const CHANNEL_TYPES = new Set(['channel', 'group', 'mpim']);
/** Message subtypes that carry fresh text from a person or an integration. */
const SCANNED_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share', 'bot_message', 'me_message']);

/** The message as it now reads: the event itself, or for an edit (`message_changed`) the edited message. */
function postedMessage(event: Record<string, unknown>): Record<string, unknown> | undefined {
  if (event.subtype === 'message_changed') {
    const message = event.message;
    return message && typeof message === 'object' && SCANNED_SUBTYPES.has((message as { subtype?: string }).subtype) ? (message as Record<string, unknown>) : undefined;
  }
  return SCANNED_SUBTYPES.has(event.subtype as string | undefined) ? event : undefined;
}

/** At most this much of a message (text, blocks, attachments) is read by the leak guard. */
const MAX_SCANNED_CHARS = 200_000;

/**
 * What a message shows: its `text` and every string inside its `blocks` (rich text splits a key
 * in italics or bold into its own element) and `attachments` (integrations often post only
 * those). Joined by line breaks, which the scanner reads through (lambdas/core/key-scan.ts), so a
 * key split over rich-text elements still reads whole.
 */
function scannedText(message: Record<string, unknown>): string {
  const parts: string[] = [];
  let size = 0;
  const walk = (value: unknown, shown: boolean, depth: number): void => {
    if (size > MAX_SCANNED_CHARS || depth > 12) return;
    if (typeof value === 'string') {
      if (!shown) return;
      parts.push(value);
      size += value.length;
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, shown, depth + 1));
    else if (value && typeof value === 'object') for (const [name, v] of Object.entries(value)) walk(v, SHOWN_FIELDS.has(name), depth + 1);
  };
  walk(message.text, true, 0);
  walk(message.blocks, false, 0);
  walk(message.attachments, false, 0);
  return parts.join('\n').slice(0, MAX_SCANNED_CHARS);
}

/** Fields of blocks and attachments that people see (not `type`, `block_id`, `style` …). */
const SHOWN_FIELDS = new Set(['text', 'value', 'title', 'pretext', 'fallback', 'footer', 'author_name', 'url', 'title_link', 'alt_text', 'name']);

/**
 * Leak guard on channel messages (message.channels, message.groups for private channels when the
 * workspace grants the optional `groups:history`, message.mpim), new or edited: an edit
 * (`message_changed`) is scanned as the message now reads — its text, blocks and attachments, as
 * people see them (lambdas/core/key-scan.ts). Text with no checksum-valid
 * key is dropped right here, offline; otherwise the core asks /v1 whether it is a live key of
 * key and the core sends it through the exposure pipeline (revoked at once, the message's link
 * as the location); this listener tells the poster (ephemeral) and each admin in this workspace
 * (DM) that it was revoked. The text is never stored, logged or repeated.
 */
export async function onChannelMessage({ conversation, log }: SlackDeps, { event, body, client }: MessageArgs): Promise<void> {
  if (!CHANNEL_TYPES.has(event.channel_type)) return;
  const message = postedMessage(event as unknown as Record<string, unknown>);
  const text = message ? scannedText(message) : '';
  if (!message || !text || findKeysInText(text).length === 0) return;
  const team = body.team_id;
  const user = typeof message.user === 'string' ? message.user : undefined;
  const botId = typeof message.bot_id === 'string' ? message.bot_id : undefined;
  const poster = slackIdentity(team, user ?? botId ?? 'unknown');
  const threadTs = typeof message.thread_ts === 'string' ? message.thread_ts : undefined;

  const ts = typeof message.ts === 'string' ? message.ts : typeof event.ts === 'string' ? event.ts : undefined;
  const findings = await conversation.scanForLeaks(text, poster, await messageLocation(client, team, event.channel, ts));
  for (const finding of findings) {
    if (user) {
      await sendPrivately({ via: 'ephemeral', client, channel: event.channel, user, ...(threadTs ? { threadTs } : {}) }, finding.poster, {
        channelId: event.channel,
      }).catch((err: unknown) => log.warn('leak alert to poster failed', { code: errorLabel(err) }));
    }
    for (const admin of finding.admins) {
      const id = parseIdentity(admin.identity);
      if (!id || id.platform !== 'slack' || id.tenant !== team) continue;
      await sendDirectReply(client, id.user, admin.reply, { channelId: event.channel }).catch((err: unknown) =>
        log.warn('leak alert to admin failed', { code: errorLabel(err) }),
      );
    }
  }
}

/**
 * Where a key was posted, for the key.exposed record and the admins' notice: the message's
 * permalink (`chat.getPermalink`), or, when Slack gives none, the workspace, channel and
 * message timestamp, which find it as surely.
 */
async function messageLocation(client: MessageArgs['client'], team: string, channel: string, ts: string | undefined): Promise<string> {
  const fallback = `Slack ${team} channel ${channel}${ts ? ` message ${ts}` : ''}`;
  if (!ts) return fallback;
  try {
    const link = await client.chat.getPermalink({ channel, message_ts: ts });
    return typeof link.permalink === 'string' && /^https:\/\//.test(link.permalink) ? link.permalink : fallback;
  } catch {
    return fallback;
  }
}
