import { startPreview, type NewKeyReply } from '../../core';
import { code, codeBlock, context, join, md, section, type Mrkdwn, type SlackMessage } from './mrkdwn';

/**
 * The one message that carries a key value, and its setup script. Listeners send it only as an
 * ephemeral message (or in the person's DM with the bot), never to a channel.
 */
export function newKeyMessage(reply: NewKeyReply, now = Date.now()): SlackMessage {
  const { key } = reply;
  const headline = reply.action === 'create' ? md`:key: New key *${key.name}*` : md`:arrows_counterclockwise: Rotated *${key.name}*`;
  const notes: Mrkdwn[] = [md`Keywarden stores only a hash of this key; it cannot show it again.`];
  if (reply.replaced) {
    const old = code(`${reply.replaced.start}…`);
    notes.push(
      reply.replaced.graceUntil && Date.parse(reply.replaced.graceUntil) > now
        ? md`The old key ${old} keeps working until ${reply.replaced.graceUntil}.`
        : md`The old key ${old} has stopped working.`,
    );
  }
  return {
    text: md`${reply.action === 'create' ? 'New key' : 'Rotated key'} ${key.name} (${startPreview(key)}) — only you can see this message.`,
    blocks: [
      section(md`${headline} ${code(startPreview(key))} · ${key.type}\nOnly you can see this, and only once: copy the key now.`),
      section(codeBlock(reply.secret)),
      section(md`*External coworker setup script*\n${codeBlock(reply.setupScript.trimEnd())}`),
      context(join(notes, ' ')),
    ],
  };
}
