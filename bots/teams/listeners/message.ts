import type { TurnContext } from 'botbuilder';
import { askerOf } from '../asker';
import type { TeamsBotContext } from '../bot-context';
import { deliverNewKey, preparePrivateDelivery, type PrivateChannel } from '../key-delivery';
import { publicActivity, textActivity } from '../render-reply';

/**
 * A message addressed to the bot (a 1:1 message, or an @mention elsewhere): a command, or a chat
 * with the model. Replies go to the same conversation as replies to the message.
 */
export async function onMessage(bot: TeamsBotContext, context: TurnContext, text: string): Promise<void> {
  const asker = askerOf(context.activity);
  const parsed = bot.conversation.parse(text);
  let privateChannel: PrivateChannel | undefined;
  // `create` with arguments issues a key in this turn: make sure it can be delivered first.
  if (parsed.ok && parsed.command.name === 'create' && !parsed.command.interactive && (await bot.conversation.isAdmin(asker)) === true) {
    privateChannel = await preparePrivateDelivery(bot, context);
    if (!privateChannel.ok) {
      await context.sendActivity(textActivity(privateChannel.notice));
      return;
    }
  }

  const reply = await bot.conversation.message(text, asker);
  bot.log.info('teams: message answered', { reply: reply.kind, ...(reply.kind === 'error' ? { code: reply.code } : {}) });
  if (reply.kind !== 'new_key') {
    await context.sendActivity(publicActivity(reply));
    return;
  }
  privateChannel ??= await preparePrivateDelivery(bot, context);
  if (!privateChannel.ok || reply.to !== asker) {
    // Unreachable by construction (opened above; the core issues to the asker), and fails closed.
    bot.log.error('teams: new key without a private channel to its asker', { keyId: reply.key.id });
    await context.sendActivity(textActivity('⚠️ The key was created but I could not deliver it privately. Ask an admin to revoke it.'));
    return;
  }
  await context.sendActivity(textActivity(await deliverNewKey(bot, context, privateChannel.chat, reply)));
}
