import { budgetSpentText, rateLimitText, redactKeys, startPreview, statusWord, type NewKeyReply, type Reply } from '../../core';
import { ambiguousMessage, auditMessage, keyDetailsMessage, keyListMessage } from './key-blocks';
import { confirmMessage } from './confirm-blocks';
import { helpMessage } from './help-blocks';
import { exposureUsageMessage } from './exposure-blocks';
import { leakAlertMessage } from './leak-alert-blocks';
import { newKeyMessage } from './new-key-blocks';
import { usageMessage } from './usage-blocks';
import { code, join, md, mention, section, wire, type Mrkdwn, type SlackMessage, type WireMessage } from './mrkdwn';

export type PublicReply = Exclude<Reply, { kind: 'create_form' | 'key_delivered' }>;
/** `key_delivered` is never sent: on Slack the new key's own (private) message is the answer. */
export type SendableReply = PublicReply | NewKeyReply;

/**
 * The one builder of outbound Slack payloads: every reply the bot sends, to any place, is made
 * here. Text is `Mrkdwn` throughout (mrkdwn.ts), so user input is escaped in the notification
 * `text` as in the blocks. Every reply but the new key (whose value is the point) is then passed
 * through `redactKeys` as a whole: whatever got into a name, an error or a model answer, no key
 * value leaves through these messages.
 */
export function outboundMessage(reply: SendableReply, options: { channelId?: string; now?: number } = {}): WireMessage {
  if (reply.kind === 'new_key') return wire(newKeyMessage(reply, options.now));
  return redactMessage(wire(render(reply, options.channelId, options.now ?? Date.now())));
}

function render(reply: PublicReply, channelId: string | undefined, now: number): SlackMessage {
  switch (reply.kind) {
    case 'text':
      return plain(md`${reply.text}`);
    case 'help':
      return helpMessage(reply.entries, reply.topic);
    case 'key_list':
      return keyListMessage(reply.keys, reply.search, reply.more, now);
    case 'key_details':
      return keyDetailsMessage(reply.key, now);
    case 'ambiguous':
      return ambiguousMessage(reply.query, reply.candidates, now);
    case 'confirm':
      return confirmMessage(reply.action, reply.key, reply.summary, reply.consequence, reply.change, now);
    case 'done':
      return doneMessage(reply);
    case 'cancelled':
      return plain(md`Cancelled — nothing changed.`);
    case 'audit_list':
      return auditMessage(reply.key, reply.entries, now);
    case 'usage':
      return usageMessage(reply, now);
    case 'whoami': {
      const project = reply.project?.name ?? 'unknown';
      return plain(
        join(
          [
            md`You are ${code(reply.identity)}.`,
            reply.isAdmin
              ? md`You are an *admin* of project *${project}*: you can create, rotate, revoke, delete, pause, resume, limit and budget keys.`
              : md`You are not an admin of project *${project}*; an operator can register you with this identity.`,
            md`This bot uses the viewer key ${code(`${reply.botKey.start}…`)} in the ${reply.environment} environment.`,
          ],
          '\n',
        ),
      );
    }
    case 'chat_answer':
      return plain(md`${reply.text}`);
    case 'console_link':
      return plain(md`:key: <${reply.url}|Open the API Keys console> — a one-time link for you only: it works once, until ${reply.expiresAt}.`);
    case 'leak_alert':
      return leakAlertMessage(reply, channelId, now);
    case 'exposure_usage':
      return exposureUsageMessage(reply.key, reply.usage, now);
    case 'error':
      return plain(md`:warning: ${reply.message}`);
  }
}

/** A confirmed action, and the key as it now stands. */
function doneMessage(reply: Extract<PublicReply, { kind: 'done' }>): SlackMessage {
  const { key } = reply;
  const name = md`*${key.name}* ${code(startPreview(key))} — by ${mention(reply.by)}.`;
  const now = md`Now: ${statusWord(key.status)} · ${rateLimitText(key.rateLimit)}.`;
  switch (reply.action) {
    case 'revoke':
      return plain(md`:white_check_mark: Revoked ${name} It stopped working immediately.`);
    case 'delete':
      return plain(md`:white_check_mark: Deleted ${name} It stopped working immediately.`);
    case 'pause':
      return plain(md`:double_vertical_bar: Paused ${name} Its calls are refused until it is resumed. ${now}`);
    case 'resume':
      return plain(md`:white_check_mark: Resumed ${name} It works again. ${now}`);
    case 'limit':
      return plain(md`:white_check_mark: Changed the rate limit of ${name} ${now}`);
    case 'budget':
      return plain(
        key.budget
          ? md`:white_check_mark: Changed the budget of ${name} Now: ${budgetSpentText(key.budget)}.`
          : md`:white_check_mark: Removed the budget of ${name} The account balance alone caps it now.`,
      );
  }
}

function plain(text: Mrkdwn): SlackMessage {
  return { text, blocks: [section(text)] };
}

/** Keys are [A-Za-z0-9_] only, so they survive JSON escaping intact and can be redacted in the serialized message. */
function redactMessage(message: WireMessage): WireMessage {
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}
