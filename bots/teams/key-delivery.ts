import type { TurnContext } from 'botbuilder';
import { startPreview } from '../core';
import { displayName } from './asker';
import { errorName, type TeamsBotContext } from './bot-context';
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

/**
 * Sends the key privately; returns what the asking conversation may be told. If the post fails, a
 * created key nobody has seen is revoked at once (as the admin who asked); a rotated one cannot be
 * undone without breaking the old key's users, so the admin is told to rotate again.
 */
export async function deliverNewKey(bot: TeamsBotContext, context: TurnContext, chat: PersonalChat, reply: NewKeyReply): Promise<string> {
  const what = reply.action === 'create' ? `Created key “${reply.key.name}”` : `Rotated key “${reply.key.name}”`;
  try {
    await sendToPersonalChat(bot.adapter, context, chat, [newKeyActivity(reply)]);
  } catch (err) {
    bot.log.error('teams: could not deliver a new key privately', { action: reply.action, keyId: reply.key.id, error: errorName(err) });
    if (reply.action === 'rotate') {
      return `⚠️ ${what}, but I could not deliver the new key (${startPreview(reply.key)}) privately. Rotate it again to get one you can see.`;
    }
    const undo = await bot.conversation.confirm({ v: 1, op: 'revoke', keyId: reply.key.id, origin: 'leak', iat: Math.floor(Date.now() / 1000) }, reply.to);
    return undo.kind === 'done'
      ? `⚠️ I could not deliver the new key privately, so I revoked it (${startPreview(reply.key)}) before anyone could use it. Try again.`
      : `⚠️ I could not deliver the new key (${startPreview(reply.key)}) privately, and revoking it failed too: revoke it now.`;
  }
  bot.log.info('teams: new key delivered privately', { action: reply.action, keyId: reply.key.id, conversation: chat.current ? 'same' : 'personal' });
  if (chat.current) return `${what} (${startPreview(reply.key)}); the value is in the card I just sent you.`;
  return `${what} (${startPreview(reply.key)}). I sent the new key to ${displayName(context.activity)} privately, in our 1:1 chat.`;
}
