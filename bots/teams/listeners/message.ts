import type { TurnContext } from 'botbuilder';
import { askerOf } from '../asker';
import type { TeamsBotContext } from '../bot-context';
import { deliveredNote, teamsPrivateDelivery } from '../private-delivery';
import { publicActivity, textActivity } from '../render-reply';

/**
 * A message addressed to the bot (a 1:1 message, or an @mention elsewhere): a command, or a chat
 * with the model, as the core decides. Replies go to the same conversation as replies to the
 * message; a new key goes to the asker's 1:1 chat through the private-delivery port.
 */
export async function onMessage(bot: TeamsBotContext, context: TurnContext, text: string): Promise<void> {
  const reply = await bot.conversation.message(text, askerOf(context.activity), teamsPrivateDelivery(bot, context));
  bot.log.info('teams: message answered', { reply: reply.kind, ...(reply.kind === 'error' ? { code: reply.code } : {}) });
  await context.sendActivity(reply.kind === 'key_delivered' ? textActivity(deliveredNote(reply, context.activity)) : publicActivity(reply));
}
