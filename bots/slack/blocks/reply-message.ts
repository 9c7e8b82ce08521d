import { redactKeys, startPreview, type Reply } from '../../core';
import { ambiguousMessage, auditMessage, keyDetailsMessage, keyListMessage } from './key-blocks';
import { confirmMessage } from './confirm-blocks';
import { helpMessage } from './help-blocks';
import { leakAlertMessage } from './leak-alert-blocks';
import { code, escape, mention, section, type SlackMessage } from './mrkdwn';

export type PublicReply = Exclude<Reply, { kind: 'new_key' | 'create_form' }>;

/**
 * Every reply but the new key (new-key-blocks.ts) and the form (create-modal.ts). The result is
 * passed through `redactKeys` as a whole: whatever got into a name, an error or a model answer,
 * no key value leaves through these messages.
 */
export function replyMessage(reply: PublicReply, options: { channelId?: string; now?: number } = {}): SlackMessage {
  return redactMessage(render(reply, options.channelId, options.now ?? Date.now()));
}

function render(reply: PublicReply, channelId: string | undefined, now: number): SlackMessage {
  switch (reply.kind) {
    case 'text':
      return plain(escape(reply.text));
    case 'help':
      return helpMessage(reply.entries, reply.topic);
    case 'key_list':
      return keyListMessage(reply.keys, reply.search, reply.more, now);
    case 'key_details':
      return keyDetailsMessage(reply.key, now);
    case 'ambiguous':
      return ambiguousMessage(reply.query, reply.candidates, now);
    case 'confirm':
      return confirmMessage(reply.action, reply.key, reply.summary, reply.consequence, now);
    case 'done': {
      const verb = reply.action === 'revoke' ? 'Revoked' : 'Deleted';
      return plain(`:white_check_mark: ${verb} *${escape(reply.key.name)}* ${code(startPreview(reply.key))} — by ${mention(reply.by)}. It stopped working immediately.`);
    }
    case 'cancelled':
      return plain('Cancelled — nothing changed.');
    case 'audit_list':
      return auditMessage(reply.key, reply.entries, now);
    case 'whoami':
      return plain(
        [
          `You are ${code(reply.identity)}.`,
          reply.isAdmin
            ? `You are an *admin* of project *${escape(reply.project?.name ?? 'unknown')}*: you can create, rotate, revoke and delete keys.`
            : `You are not an admin of project *${escape(reply.project?.name ?? 'unknown')}*; an operator can register you with this identity.`,
          `This bot uses the viewer key ${code(`${reply.botKey.start}…`)} in the ${escape(reply.environment)} environment.`,
        ].join('\n'),
      );
    case 'chat_answer':
      return plain(escape(reply.text));
    case 'leak_alert':
      return leakAlertMessage(reply, channelId, now);
    case 'error':
      return plain(`:warning: ${escape(reply.message)}`);
  }
}

function plain(text: string): SlackMessage {
  return { text: text.length > 3000 ? `${text.slice(0, 2990)}…` : text, blocks: [section(text)] };
}

/** Keys are [A-Za-z0-9_] only, so they survive JSON escaping intact and can be redacted in the serialized message. */
export function redactMessage(message: SlackMessage): SlackMessage {
  return JSON.parse(redactKeys(JSON.stringify(message))) as SlackMessage;
}
