import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { slackRequestChannel, slackIdentity } from '../../../core';
import { answerPrivately, postInThread, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { formless, isPublic } from '../reply-kinds';

/** What this listener reads of Bolt's arguments (a test passes just these). */
export type AppMentionArgs = Pick<SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs, 'event' | 'body' | 'context' | 'client'>;

/** Removes the mention of the bot (or, not knowing its id, the leading mention). */
export function stripMention(text: string, botUserId: string | undefined): string {
  const stripped = botUserId ? text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '') : text.replace(/^\s*<@[A-Z0-9]+(\|[^>]*)?>/, '');
  return stripped.trim();
}

/**
 * `@Keywarden …` in a channel. A command is answered to the asker only (ephemeral, in the thread);
 * anything else is a chat, answered in the thread through /v1/responses with the viewer key. The
 * text goes to the model and nowhere else: it is never logged or stored.
 */
export async function onAppMention({ conversation }: SlackDeps, { event, body, context, client }: AppMentionArgs): Promise<void> {
  if (!event.user) return;
  const text = stripMention(event.text, context.botUserId);
  const identity = slackIdentity(body.team_id, event.user);
  const threadTs = event.thread_ts ?? event.ts;
  const target: PrivateTarget = { via: 'ephemeral', client, channel: event.channel, user: event.user, threadTs };
  const where = { channelId: event.channel };
  // The channel of the signed event, never one named in the text: its ceiling bounds a `request`.
  const reply = await conversation.message(text, identity, slackPrivateDelivery(target, where, slackRequestChannel(body.team_id, event.channel)));
  // Command answers go to the asker only; anything else was a chat, answered in the thread.
  if (conversation.isCommand(text)) await answerPrivately(target, formless(reply), where);
  else if (isPublic(reply)) await postInThread(client, event.channel, threadTs, reply);
}
