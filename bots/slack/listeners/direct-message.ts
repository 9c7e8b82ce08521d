import type { App } from '@slack/bolt';
import { slackIdentity } from '../../core';
import { postInThread, sendPrivately } from '../delivery';
import type { SlackDeps } from '../slack-deps';
import { formless } from './app-mention';

/**
 * A direct message to the bot (message.im). The IM is private to the person, so command replies
 * — a new key included — go there; other text is a chat, answered in thread.
 */
export function registerDirectMessage(app: App, { conversation }: SlackDeps): void {
  app.event('message', async ({ event, body, client }) => {
    if (event.channel_type !== 'im') return;
    if (event.subtype !== undefined || !('user' in event) || !event.user || ('bot_id' in event && event.bot_id)) return;
    const text = event.text ?? '';
    const identity = slackIdentity(body.team_id, event.user);
    if (conversation.isCommand(text)) {
      const reply = await conversation.command(text, identity);
      await sendPrivately({ via: 'dm', client, user: event.user, channel: event.channel }, formless(reply));
      return;
    }
    const reply = await conversation.message(text, identity);
    if (reply.kind === 'new_key' || reply.kind === 'create_form') return;
    await postInThread(client, event.channel, event.thread_ts ?? event.ts, reply);
  });
}
