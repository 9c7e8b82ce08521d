import type { TurnContext } from 'botbuilder';
import { findKeysInText, parseIdentity } from '../../core';
import { conversationKind, tenantOf } from '../activity';
import { askerOf, displayName } from '../asker';
import { errorLabel } from '../../boot/bot-log';
import type { TeamsBotContext } from '../bot-context';
import { leakNoticeCard } from '../cards/leak-notice-card';
import { openPersonalChat, sendToPersonalChat } from '../personal-chat';
import { cardActivity, publicActivity, redactActivity } from '../render-reply';

/**
 * Leak guard (SPEC §5) for every channel and group-chat message the bot can read: a live key in
 * the text goes through the exposure pipeline at once (revoked; the message's link as the
 * location), then a notice in the conversation says so, with an alert in the poster's 1:1 chat
 * and in each project admin's 1:1 chat (same tenant). Only when the pipeline could not be asked
 * does the notice offer the one-click revoke for admins instead.
 *
 * The text is read as people see it (lambdas/core/key-scan.ts): Teams sends formatted messages as
 * HTML, in `text` and as a `text/html` attachment, and both are scanned — tags, markdown marks,
 * zero-width characters and line breaks inside a key do not hide it. Look-alike text that fails
 * the format or checksum is dropped offline, before any API call. The message text is neither
 * stored nor logged.
 */
export async function guardAgainstLeaks(bot: TeamsBotContext, context: TurnContext, plainText: string): Promise<void> {
  const activity = context.activity;
  if (conversationKind(activity) === 'personal') return;
  const text = [plainText, ...htmlBodies(activity)].join('\n\n');
  if (findKeysInText(text).length === 0) return;
  const findings = await bot.conversation.scanForLeaks(text, askerOf(activity), messageLocation(activity));
  if (findings.length === 0) return;
  bot.log.warn('teams: live key posted in a conversation', { keys: findings.map((f) => f.key.id), conversationType: conversationKind(activity) });

  for (const finding of findings) {
    await context.sendActivity(redactActivity(cardActivity(leakNoticeCard({ key: finding.key, posterName: displayName(activity), handled: finding.handled, ...(finding.revoke ? { revoke: finding.revoke } : {}) }))));
    await tell(bot, context, activity.from, publicActivity(finding.poster));
    const tenant = tenantOf(activity);
    for (const { identity, reply } of finding.admins) {
      const admin = parseIdentity(identity);
      // A 1:1 chat can only be opened inside the tenant the message came from.
      if (!admin || admin.platform !== 'teams' || admin.tenant !== tenant) continue;
      await tell(bot, context, { id: admin.user, aadObjectId: admin.user }, publicActivity({ ...reply, poster: `${displayName(activity, 'someone')} (${reply.poster})` }));
    }
  }
}

async function tell(bot: TeamsBotContext, context: TurnContext, member: { id: string; aadObjectId?: string; name?: string }, activity: ReturnType<typeof publicActivity>): Promise<void> {
  try {
    const chat = await openPersonalChat(bot.adapter, context, member);
    await sendToPersonalChat(bot.adapter, context, chat, [activity]);
  } catch (err) {
    // An admin who never added the app personally cannot be messaged; the channel notice still stands.
    bot.log.warn('teams: could not send a leak alert privately', { error: errorLabel(err) });
  }
}

/** The HTML renderings Teams attaches to a formatted message (`text/html` attachments). */
function htmlBodies(activity: TurnContext['activity']): string[] {
  return (activity.attachments ?? [])
    .filter((a) => a.contentType === 'text/html' && typeof a.content === 'string')
    .map((a) => a.content as string)
    .slice(0, 5);
}

/**
 * Where a key was posted, for the key.exposed record and the admins' notice: a link to the
 * message (Teams' `l/message/<conversation>/<message>` form, which opens a channel post or a chat
 * message alike), naming the conversation id even where no client opens it (the Emulator).
 */
function messageLocation(activity: TurnContext['activity']): string {
  const conversation = (activity.conversation?.id ?? 'unknown').split(';')[0]!;
  const message = activity.id ?? '';
  return `https://teams.microsoft.com/l/message/${encodeURIComponent(conversation)}/${encodeURIComponent(message)}`.slice(0, 500);
}
