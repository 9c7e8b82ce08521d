import type { Reply } from '../../core';
import { encodeAction, lastUsedText, startPreview } from '../../core';
import { ACTION_LEAK_REVOKE } from './action-ids';
import { actions, channelLink, code, md, mention, section, type SlackMessage } from './mrkdwn';

/** Leak guard alert for the poster (ephemeral) or an admin (DM); the key value never appears. */
export function leakAlertMessage(reply: Extract<Reply, { kind: 'leak_alert' }>, channelId: string | undefined, now = Date.now()): SlackMessage {
  const { key } = reply;
  const channel = channelLink(channelId);
  const where = channel ? md` in ${channel}` : '';
  const keyText = md`*${key.name}* ${code(startPreview(key))} (${key.type}, ${lastUsedText(key, now)})`;
  const text =
    reply.audience === 'poster'
      ? md`:rotating_light: Your message${where} contains a live API key of this project: ${keyText}. Please delete the message; the project admins have been alerted.`
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
  return { text: md`A live API key (${startPreview(key)}) was posted${channel ? ' in a channel' : ''}.`, blocks };
}
