import type { Reply } from '../../core';
import { encodeAction, lastUsedText, startPreview } from '../../core';
import { ACTION_LEAK_REVOKE } from './action-ids';
import { actions, channelLink, code, md, mention, section, type Mrkdwn, type SlackMessage } from './mrkdwn';

/**
 * Leak guard alert for the poster (ephemeral) or an admin (DM); the key value never appears. The
 * key was revoked at once (`handled`); only when the pipeline could not be asked does it say
 * "live" and offer the revoke button.
 */
export function leakAlertMessage(reply: Extract<Reply, { kind: 'leak_alert' }>, channelId: string | undefined, now = Date.now()): SlackMessage {
  const { key } = reply;
  const channel = channelLink(channelId);
  const where = channel ? md` in ${channel}` : '';
  const keyText = md`*${key.name}* ${code(startPreview(key))} (${key.type}, ${lastUsedText(key, now)})`;
  const done = reply.handled ? handledText(reply.handled) : undefined;
  const text =
    reply.audience === 'poster'
      ? done
        ? md`:rotating_light: Your message${where} contained an API key of this project: ${keyText}. ${done} Please delete the message; the project admins have been told.`
        : md`:rotating_light: Your message${where} contains a live API key of this project: ${keyText}. Please delete the message; the project admins have been alerted.`
      : done
        ? md`:rotating_light: ${mention(reply.poster)} posted an API key of this project${where}: ${keyText}. ${done}`
        : md`:rotating_light: ${mention(reply.poster)} posted a live API key of this project${where}: ${keyText}.`;
  const blocks = [section(text)];
  if (reply.revoke) {
    blocks.push(
      actions([
        {
          type: 'button',
          action_id: ACTION_LEAK_REVOKE,
          style: 'danger',
          text: { type: 'plain_text', text: 'Revoke it now' },
          value: encodeAction(reply.revoke),
        },
      ]),
    );
  }
  return { text: md`${done ? 'An' : 'A live'} API key (${startPreview(key)}) was posted${channel ? ' in a channel' : ''}${done ? ' and revoked' : ''}.`, blocks };
}

/** What the pipeline did, in the words both alerts use. */
function handledText(handled: 'revoked' | 'rotated'): Mrkdwn {
  return handled === 'revoked'
    ? md`It has been *revoked*: it no longer works.`
    : md`It has been *rotated*: the old value no longer works, and a replacement was issued.`;
}
