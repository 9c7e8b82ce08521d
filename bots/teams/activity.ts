import { TurnContext, type Activity } from 'botbuilder';
import { DIRECT_MESSAGES, teamsChannel, teamsIdentity } from '../core';

/**
 * What the Teams edge reads off an inbound activity: who is speaking, where, and what they said.
 * Everything here is vouched for by the Bot Framework Service when authentication is on (the JWT
 * covers the channel that built the activity); in Emulator mode it is whatever the client sent.
 */

/** personal = the 1:1 chat with the bot, the only place a new key value may be shown. */
export type ConversationKind = 'personal' | 'groupChat' | 'channel';

export function conversationKind(activity: Partial<Activity>): ConversationKind {
  const type = activity.conversation?.conversationType;
  if (type === 'personal') return 'personal';
  if (type === 'channel') return 'channel';
  if (type === 'groupChat') return 'groupChat';
  // The Emulator sends no conversationType; anything marked as a group is never private.
  return activity.conversation?.isGroup ? 'groupChat' : activity.channelId === 'msteams' ? 'channel' : 'personal';
}

export function tenantOf(activity: Partial<Activity>): string | undefined {
  const fromConversation = activity.conversation?.tenantId;
  const fromChannelData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  const tenant = fromConversation || (typeof fromChannelData === 'string' ? fromChannelData : undefined);
  return tenant || undefined;
}

const IDENTITY_PART = /^[A-Za-z0-9-]+$/;

/**
 * `teams:<tenantId>:<aadObjectId>`, the identity admins are registered under (SPEC §5), or
 * undefined when the activity lacks either part: such a user can chat and read, but is never
 * anybody's admin.
 *
 * The Bot Framework Emulator sends neither a tenant nor an AAD object id; for channelId
 * `emulator` only, the identity is `teams:emulator:<from.id>` (the Emulator's user id setting), so
 * local admin flows can be tried with KEYWARDEN_ADMINS=teams:emulator:<that id>.
 */
export function identityOf(activity: Partial<Activity>): string | undefined {
  const emulator = activity.channelId === 'emulator';
  const tenant = tenantOf(activity) ?? (emulator ? 'emulator' : undefined);
  const aad = activity.from?.aadObjectId ?? (emulator ? activity.from?.id : undefined);
  if (!tenant || !aad || !IDENTITY_PART.test(tenant) || !IDENTITY_PART.test(aad)) return undefined;
  return teamsIdentity(tenant, aad);
}

/**
 * The channel or group chat the activity was said in, as key-request ceilings know it
 * (`teams:<tenant>:<conversation id>`, core request-channel.ts): the conversation the Bot Framework
 * Service names — never anything in the text — in the tenant the person's identity is read from.
 * Undefined when the activity names no tenant (nor does the person then: `identityOf` gives none,
 * so nobody's requests can be tied to the channel). The 1:1 chat is no channel here (a rotation's
 * origin, which posts back, uses this); `requestChannelOf` below names it for ceilings.
 */
export function conversationChannelOf(activity: Partial<Activity>): string | undefined {
  if (conversationKind(activity) === 'personal') return undefined;
  const tenant = activityTenant(activity);
  const conversation = activity.conversation?.id;
  return tenant && conversation ? teamsChannel(tenant, conversation) : undefined;
}

/**
 * Where a key request was asked, for its ceiling: the channel or group chat, or — in a 1:1 chat —
 * the tenant's direct messages (`teams:<tenant>:direct`), which share one ceiling.
 */
export function requestChannelOf(activity: Partial<Activity>): string | undefined {
  if (conversationKind(activity) !== 'personal') return conversationChannelOf(activity);
  const tenant = activityTenant(activity);
  return tenant ? `teams:${tenant}:${DIRECT_MESSAGES}` : undefined;
}

function activityTenant(activity: Partial<Activity>): string | undefined {
  return tenantOf(activity) ?? (activity.channelId === 'emulator' ? 'emulator' : undefined);
}

/** True when the bot is @mentioned in the activity (always true in a 1:1 chat). */
export function mentionsBot(activity: Partial<Activity>): boolean {
  if (conversationKind(activity) === 'personal') return true;
  const botId = activity.recipient?.id;
  return (activity.entities ?? []).some((e) => e.type === 'mention' && (e as { mentioned?: { id?: string } }).mentioned?.id === botId);
}

/**
 * The message text with the bot's own <at>mention</at> removed and whitespace tidied. Teams also
 * sends `&nbsp;` around mentions; it would otherwise end up inside command arguments.
 */
export function messageText(context: TurnContext): string {
  const raw = TurnContext.removeRecipientMention(context.activity as Activity) ?? context.activity.text ?? '';
  return raw.replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
}
