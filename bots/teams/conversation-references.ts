import { TurnContext, type ConversationReference, type TurnContext as Turn } from 'botbuilder';
import type { ApiConversationReference } from '../core/api-types';
import { conversationKind, identityOf } from './activity';
import type { TeamsBotContext } from './bot-context';
import { isLoopbackUrl } from './emulator-guard';

/**
 * Where the bot reaches each person privately: the 1:1 chat as Teams described it when the person
 * installed the bot (or last wrote to it there), saved through `POST /v1/bots/conversations` with the
 * person's assertion. Expiry reminders go there (expiry-reminders.ts) — never to a guessed chat.
 * Saved once per person per instance: a later 1:1 message only refreshes a reference this
 * instance has not saved yet.
 */
const saved = new Set<string>();

export async function rememberPersonalChat(bot: TeamsBotContext, context: Turn, options: { force?: boolean } = {}): Promise<void> {
  const activity = context.activity;
  if (conversationKind(activity) !== 'personal') return;
  const identity = identityOf(activity);
  if (!identity || (saved.has(identity) && !options.force)) return;
  const ref = TurnContext.getConversationReference(activity);
  if (!ref.serviceUrl || !ref.conversation?.id || !ref.bot?.id || !ref.channelId) return;
  const reference: ApiConversationReference = {
    channelId: ref.channelId,
    serviceUrl: ref.serviceUrl,
    conversation: {
      id: ref.conversation.id,
      ...(ref.conversation.tenantId ? { tenantId: ref.conversation.tenantId } : {}),
      conversationType: 'personal',
    },
    bot: { id: ref.bot.id, ...(ref.bot.name ? { name: ref.bot.name } : {}) },
    ...(ref.user?.id ? { user: { id: ref.user.id, ...(ref.user.aadObjectId ? { aadObjectId: ref.user.aadObjectId } : {}) } } : {}),
  };
  const result = await bot.client.saveConversation(identity, reference);
  if (result.ok) saved.add(identity);
  else bot.log.warn('teams: personal chat not saved', { code: result.error.code });
}

/**
 * A stored reference as botbuilder takes it, or undefined when this bot must not post there: in
 * Bot Framework Emulator mode (no app id, so nothing vouched for the reference) only a loopback
 * service URL is used.
 */
export function usableReference(stored: ApiConversationReference, appId: string): Partial<ConversationReference> | undefined {
  if (!appId && !isLoopbackUrl(stored.serviceUrl)) return undefined;
  return {
    channelId: stored.channelId,
    serviceUrl: stored.serviceUrl,
    conversation: { id: stored.conversation.id, isGroup: false, conversationType: 'personal', ...(stored.conversation.tenantId ? { tenantId: stored.conversation.tenantId } : {}) } as ConversationReference['conversation'],
    bot: { id: stored.bot.id, name: stored.bot.name ?? 'Keywarden' },
    ...(stored.user ? { user: { id: stored.user.id, name: stored.user.name ?? '', ...(stored.user.aadObjectId ? { aadObjectId: stored.user.aadObjectId } : {}) } } : {}),
  };
}
