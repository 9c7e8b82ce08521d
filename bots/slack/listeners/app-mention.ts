import type { App } from '@slack/bolt';
import { slackIdentity, type Reply } from '../../core';
import type { PublicReply } from '../blocks/reply-message';
import { SLASH_COMMAND } from '../blocks/action-ids';
import { answerPrivately, postInThread, slackPrivateDelivery, type PrivateTarget } from '../delivery';
import type { SlackDeps } from '../slack-deps';

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
export function registerAppMention(app: App, { conversation }: SlackDeps): void {
  app.event('app_mention', async ({ event, body, context, client }) => {
    if (!event.user) return;
    const text = stripMention(event.text, context.botUserId);
    const identity = slackIdentity(body.team_id, event.user);
    const threadTs = event.thread_ts ?? event.ts;
    const target: PrivateTarget = { via: 'ephemeral', client, channel: event.channel, user: event.user, threadTs };
    const where = { channelId: event.channel };
    const reply = await conversation.message(text, identity, slackPrivateDelivery(target, where));
    // Command answers go to the asker only; anything else was a chat, answered in the thread.
    if (conversation.isCommand(text)) await answerPrivately(target, formless(reply), where);
    else if (isPublic(reply)) await postInThread(client, event.channel, threadTs, reply);
  });
}

/** A chat's answer (never a key or a form: those only answer commands). */
export function isPublic(reply: Reply): reply is PublicReply {
  return reply.kind !== 'key_delivered' && reply.kind !== 'create_form';
}

/** Without a trigger_id there is no modal: point at the slash command instead. */
export function formless(reply: Reply): Exclude<Reply, { kind: 'create_form' }> {
  return reply.kind === 'create_form'
    ? { kind: 'text', text: `Use ${SLASH_COMMAND} create to open the form, or give the details: create <name> --type viewer|privileged --scopes a,b --expires 90d` }
    : reply;
}
