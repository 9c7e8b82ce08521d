import type { TurnContext } from 'botbuilder';
import { startPreview } from '../core';
import { displayName } from './asker';
import type { TeamsBotContext } from './bot-context';
import { openPersonalChat, sendToPersonalChat, type PersonalChat } from './personal-chat';
import { newKeyActivity, type NewKeyReply } from './render-reply';

/**
 * A new key value goes to the asker's personal chat and nowhere else. The channel (or group chat)
 * where it was asked learns only that it was sent privately, and the key's visible start.
 */
export type PrivateChannel = { ok: true; chat: PersonalChat } | { ok: false; notice: string };

/**
 * Opens the asker's 1:1 chat before a key is issued. Fails closed: no private chat, no key.
 */
export async function preparePrivateDelivery(bot: TeamsBotContext, context: TurnContext): Promise<PrivateChannel> {
  try {
    return { ok: true, chat: await openPersonalChat(bot.adapter, context) };
  } catch (err) {
    bot.log.warn('teams: could not open a personal chat', { error: errorName(err) });
    return {
      ok: false,
      notice:
        '⚠️ I can’t reach you in a personal chat, so I did not issue a key (a new key is only ever sent there). Open a chat with Keywarden (add the app for yourself), then ask again.',
    };
  }
}

/** Sends the key privately; returns what the asking conversation may be told. */
export async function deliverNewKey(bot: TeamsBotContext, context: TurnContext, chat: PersonalChat, reply: NewKeyReply): Promise<string> {
  await sendToPersonalChat(bot.adapter, context, chat, [newKeyActivity(reply)]);
  bot.log.info('teams: new key delivered privately', { action: reply.action, keyId: reply.key.id, conversation: chat.current ? 'same' : 'personal' });
  const what = reply.action === 'create' ? `Created key “${reply.key.name}”` : `Rotated key “${reply.key.name}”`;
  if (chat.current) return `${what} (${startPreview(reply.key)}); the value is in the card I just sent you.`;
  return `${what} (${startPreview(reply.key)}). I sent the new key to ${displayName(context.activity)} privately, in our 1:1 chat.`;
}

/** Errors are logged by name and status only: botbuilder's REST errors carry the request, and with it the card. */
export function errorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? `${err.name} (${status})` : err.name;
}
