import type { Activity, TurnContext } from 'botbuilder';
import { startPreview, type KeyDeliveredReply, type PrivateChannel, type PrivateDelivery } from '../core';
import { conversationKind, requestChannelOf } from './activity';
import { displayName } from './asker';
import { errorLabel } from '../boot/bot-log';
import type { TeamsBotContext } from './bot-context';
import { openPersonalChat, sendToPersonalChat } from './personal-chat';
import { newKeyActivity } from './render-reply';

/**
 * The core's private-delivery port on Teams: the person's personal (1:1) chat with the bot, the
 * only place a new key value is ever sent. Asked in that chat, it is right here; asked in a
 * channel or group chat, the core has the API confirm the person is an admin, then this opens
 * (or finds) the 1:1 chat through the connector before any key is issued, and the asking
 * conversation hears only that the key was sent privately (`deliveredNote`). Its `channel` is the
 * channel or group chat asked in (`requestChannelOf`), whose ceiling bounds a key request.
 */
export function teamsPrivateDelivery(bot: TeamsBotContext, context: TurnContext): PrivateDelivery {
  const askedIn = requestChannelOf(context.activity);
  return {
    needsOpening: conversationKind(context.activity) !== 'personal',
    ...(askedIn ? { channel: askedIn } : {}),
    async open() {
      let chat;
      try {
        chat = await openPersonalChat(bot.adapter, context);
      } catch (err) {
        bot.log.warn('teams: could not open a personal chat', { error: errorLabel(err) });
        return {
          ok: false,
          message:
            'I can’t reach you in a personal chat, so I did not issue a key (a new key is only ever sent there). Open a chat with Keywarden (add the app for yourself), then ask again.',
        };
      }
      const channel: PrivateChannel = {
        where: chat.current ? 'here' : 'elsewhere',
        async deliver(reply) {
          try {
            await sendToPersonalChat(bot.adapter, context, chat, [newKeyActivity(reply)]);
          } catch (err) {
            bot.log.error('teams: could not deliver a new key privately', { action: reply.action, keyId: reply.key.id, error: errorLabel(err) });
            throw err;
          }
          bot.log.info('teams: new key delivered privately', { action: reply.action, keyId: reply.key.id, conversation: chat.current ? 'same' : 'personal' });
        },
      };
      return { ok: true, channel };
    },
  };
}

/** What the asking conversation is told once the key went privately: its start, never its value. */
export function deliveredNote(reply: KeyDeliveredReply, asked: Partial<Activity>): string {
  const what = `${reply.action === 'create' ? 'Created' : 'Rotated'} key “${reply.key.name}” (${startPreview(reply.key)})`;
  if (reply.where === 'here') return `${what}; the value is in the card I just sent you.`;
  return `${what}. I sent the new key to ${displayName(asked)} privately, in our 1:1 chat.`;
}

/** Rotate: when the replaced key stops (or stopped) working. */
export function replacedNote(reply: KeyDeliveredReply): string | undefined {
  const old = reply.replaced;
  if (!old) return undefined;
  return `The old key ${startPreview(old)} ${old.graceUntil ? `keeps working until ${old.graceUntil}` : 'stopped working'}.`;
}
