import type { App } from '@slack/bolt';
import { findKeysInText, parseIdentity, slackIdentity } from '../../core';
import { sendDirectReply, sendPrivately } from '../delivery';
import { errorLabel } from '../../boot/bot-log';
import type { SlackDeps } from '../slack-deps';

const CHANNEL_TYPES = new Set(['channel', 'group', 'mpim']);
/** Message subtypes that carry fresh text from a person or an integration. */
const SCANNED_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share', 'bot_message', 'me_message']);

/**
 * Leak guard on channel messages (message.channels / groups / mpim). Text with no checksum-valid
 * key is dropped right here, offline; otherwise the core asks /v1 whether it is a live key of
 * this project and this listener tells the poster (ephemeral) and each admin in this workspace
 * (DM, with a one-click revoke). The text is never stored, logged or repeated.
 */
export function registerChannelMessage(app: App, { conversation, log }: SlackDeps): void {
  app.event('message', async ({ event, body, client }) => {
    if (!CHANNEL_TYPES.has(event.channel_type)) return;
    if (!SCANNED_SUBTYPES.has(event.subtype)) return;
    const text = 'text' in event ? event.text : undefined;
    if (!text || findKeysInText(text).length === 0) return;
    const team = body.team_id;
    const user = 'user' in event && typeof event.user === 'string' ? event.user : undefined;
    const botId = 'bot_id' in event && typeof event.bot_id === 'string' ? event.bot_id : undefined;
    const poster = slackIdentity(team, user ?? botId ?? 'unknown');
    const threadTs = 'thread_ts' in event && typeof event.thread_ts === 'string' ? event.thread_ts : undefined;

    const findings = await conversation.scanForLeaks(text, poster);
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
  });
}
