import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { slackIdentity, slackRequestChannel } from '../../../core';
import { answerPrivately, postInThread, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { formless, isPublic } from '../reply-kinds';

/** What the message listeners (DMs, channel messages) read of Bolt's arguments (a test passes just these). */
export type MessageArgs = Pick<SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs, 'event' | 'body' | 'client'>;

/**
 * A direct message to the bot (message.im). The IM is private to the person, so command replies
 * — a new key included — go there; other text is a chat, answered in thread.
 */
export async function onDirectMessage({ conversation }: SlackDeps, { event, body, client }: MessageArgs): Promise<void> {
  if (event.channel_type !== 'im') return;
  if (event.subtype !== undefined || !('user' in event) || !event.user || ('bot_id' in event && event.bot_id)) return;
  const text = event.text ?? '';
  const target: PrivateTarget = { via: 'dm', client, user: event.user, channel: event.channel };
  // Every DM with the bot in the workspace shares one request ceiling (request-channel.ts).
  const reply = await conversation.message(text, slackIdentity(body.team_id, event.user), slackPrivateDelivery(target, {}, slackRequestChannel(body.team_id, event.channel)));
  if (conversation.isCommand(text)) await answerPrivately(target, formless(reply));
  else if (isPublic(reply)) await postInThread(client, event.channel, event.thread_ts ?? event.ts, reply);
}
