import type { Reply } from '../../core';
import { startPreview } from '../../core';
import { code, context, escape, section, type SlackMessage } from './mrkdwn';

/**
 * The one message that carries a key value, and its setup script. Listeners send it only as an
 * ephemeral message (or in the person's DM with the bot), never to a channel.
 */
export function newKeyMessage(reply: Extract<Reply, { kind: 'new_key' }>, now = Date.now()): SlackMessage {
  const { key } = reply;
  const headline = reply.action === 'create' ? `:key: New key *${escape(key.name)}*` : `:arrows_counterclockwise: Rotated *${escape(key.name)}*`;
  const replaced = reply.replaced
    ? reply.replaced.graceUntil && Date.parse(reply.replaced.graceUntil) > now
      ? `The old key ${code(`${reply.replaced.start}…`)} keeps working until ${reply.replaced.graceUntil}.`
      : `The old key ${code(`${reply.replaced.start}…`)} has stopped working.`
    : '';
  return {
    text: `${reply.action === 'create' ? 'New key' : 'Rotated key'} ${key.name} (${startPreview(key)}) — only you can see this message.`,
    blocks: [
      section(`${headline} ${code(startPreview(key))} · ${key.type}\nOnly you can see this, and only once: copy the key now.`),
      section(`\`\`\`${reply.secret}\`\`\``),
      section(`*External coworker setup script*\n\`\`\`${escape(reply.setupScript.trimEnd())}\`\`\``),
      context(['Keywarden stores only a hash of this key; it cannot show it again.', replaced].filter(Boolean).join(' ')),
    ],
  };
}
