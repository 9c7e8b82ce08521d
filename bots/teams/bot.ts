import { ActivityTypes, type TurnContext } from 'botbuilder';
import { HELP } from '../core';
import { mentionsBot, messageText } from './activity';
import type { TurnLogic } from './turn-logic';
import type { TeamsBotContext } from './bot-context';
import { INVOKE_NAME, onExecute, onSubmit, submittedData } from './listeners/card-action';
import { guardAgainstLeaks } from './listeners/leak-guard';
import { onMessage } from './listeners/message';
import { rememberPersonalChat } from './conversation-references';
import { publicActivity } from './render-reply';

/**
 * The Teams bot's one turn handler: routes each inbound activity to its listener.
 *
 *   invoke adaptiveCard/action          → card-action (Action.Execute)
 *   message with a Keywarden `value`    → card-action (Action.Submit fallback)
 *   message                             → leak-guard (channels, group chats), then, when
 *                                          addressed to the bot, message (command or chat)
 *   messageUpdate (an edited message)   → leak-guard, the message as it now reads
 *   conversationUpdate adding the bot   → help card (in a 1:1 chat: the chat is saved for reminders)
 */
export function createTurnLogic(bot: TeamsBotContext): TurnLogic {
  return async (context: TurnContext) => {
    const activity = context.activity;
    switch (activity.type) {
      case ActivityTypes.Invoke:
        if (activity.name === INVOKE_NAME) await onExecute(bot, context);
        return;
      case ActivityTypes.Message: {
        // A 1:1 chat this instance has not recorded yet: where expiry reminders reach this person.
        await rememberPersonalChat(bot, context).catch((err: unknown) => bot.log.warn('teams: personal chat not saved', { error: String(err) }));
        const submitted = submittedData(activity);
        if (submitted) return onSubmit(bot, context, submitted);
        await guardAgainstLeaks(bot, context, activity.text ?? '');
        // With resource-specific consent the bot reads every channel message; it answers only mentions.
        if (!mentionsBot(activity)) return;
        return onMessage(bot, context, messageText(context));
      }
      case ActivityTypes.MessageUpdate:
        // Teams sends edits in channels where the bot is installed (RSC): a key pasted by editing is a leak too.
        await guardAgainstLeaks(bot, context, activity.text ?? '');
        return;
      case ActivityTypes.ConversationUpdate:
        if (activity.membersAdded?.some((m) => m.id === activity.recipient.id)) {
          // Installed in a 1:1 chat: this is where reminders will reach the person.
          await rememberPersonalChat(bot, context, { force: true }).catch((err: unknown) => bot.log.warn('teams: personal chat not saved', { error: String(err) }));
          await context.sendActivity(publicActivity({ kind: 'help', entries: HELP }));
        }
        return;
      default:
        return;
    }
  };
}
