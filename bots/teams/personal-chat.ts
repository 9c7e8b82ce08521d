import { TurnContext, type Activity, type ChannelAccount, type ConversationReference } from 'botbuilder';
import type { TeamsAdapter } from './adapter';
import { conversationKind, tenantOf } from './activity';

/**
 * The admin's personal (1:1) chat with the bot: the only place a new key value is ever sent
 * (SPEC §5). Asked in a channel or group chat, the bot opens (or finds — Teams returns the one
 * existing 1:1 chat) the personal conversation through the connector, then posts there.
 *
 * Open first, act second: the edge opens the 1:1 chat BEFORE asking the API to create or rotate
 * a key, so a user the bot cannot reach privately never ends up with a key nobody can see.
 */
export interface PersonalChat {
  reference: Partial<ConversationReference>;
  /** True when the asking turn already is this 1:1 chat. */
  current: boolean;
}

/** Outbound calls are made for the Bot Framework channel audience (AuthenticationConstants.ToChannelFromBotOAuthScope). */
const CHANNEL_AUDIENCE = 'https://api.botframework.com';

/** The 1:1 chat with `member` (default: whoever sent the current activity). */
export async function openPersonalChat(
  adapter: TeamsAdapter,
  context: TurnContext,
  member: Partial<ChannelAccount> = context.activity.from,
): Promise<PersonalChat> {
  const inbound = context.activity;
  if (conversationKind(inbound) === 'personal' && member.id === inbound.from.id) {
    return { reference: TurnContext.getConversationReference(inbound), current: true };
  }
  const tenantId = tenantOf(inbound);
  let reference: Partial<ConversationReference> | undefined;
  await adapter.createConversationAsync(
    adapter.appId,
    inbound.channelId,
    inbound.serviceUrl,
    CHANNEL_AUDIENCE,
    {
      isGroup: false,
      bot: inbound.recipient,
      members: [member as ChannelAccount],
      ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
    } as Parameters<TeamsAdapter['createConversationAsync']>[4],
    async (created) => {
      reference = TurnContext.getConversationReference(created.activity);
    },
  );
  if (!reference) throw new Error('the connector created no conversation');
  // A fresh message in the 1:1 chat, not a reply to the synthetic "conversation created" event.
  delete reference.activityId;
  return { reference, current: false };
}

/** Posts activities into a personal chat opened by `openPersonalChat`. */
export async function sendToPersonalChat(adapter: TeamsAdapter, context: TurnContext, chat: PersonalChat, activities: Partial<Activity>[]): Promise<void> {
  if (chat.current) {
    await context.sendActivities(activities);
    return;
  }
  await adapter.continueConversationAsync(adapter.appId, chat.reference, async (proactive) => {
    proactive.onSendActivities(async (_ctx, outgoing, next) => {
      // botbuilder replies to the synthetic continuation event's random id; a 1:1 post is not a reply.
      for (const activity of outgoing) delete activity.replyToId;
      return next();
    });
    await proactive.sendActivities(activities);
  });
}
