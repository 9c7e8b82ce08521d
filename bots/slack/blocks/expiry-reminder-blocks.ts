import type { types } from '@slack/bolt';
import { lastUsedText, redactKeys, relativeTime, startPreview } from '../../core';
import { encodeReminderButton, IDLE_NOTE, REMINDER_LEAD, type ExpiryReminderReply } from '../../core/expiry-reminders';
import { ACTION_REMINDER } from './action-ids';
import { actions, code, context, md, section, wire, type WireMessage } from './mrkdwn';

const EMOJI = { '14d': ':hourglass_flowing_sand:', '3d': ':warning:', expired: ':red_circle:' } as const;
const lead = (threshold: keyof typeof EMOJI) => `${EMOJI[threshold]} ${REMINDER_LEAD[threshold]}`;

/** An expiry reminder, to one admin's DM. Names the key by its start; the buttons ask for the usual confirmation. */
export function expiryReminderMessage(reply: ExpiryReminderReply, now = Date.now()): WireMessage {
  const { key } = reply;
  const when = key.expiresAt ? (reply.threshold === 'expired' ? md`expired ${relativeTime(key.expiresAt, now)}` : md`expires ${relativeTime(key.expiresAt, now)}`) : md`no expiry`;
  const buttons: types.Button[] = [
    { type: 'button', action_id: `${ACTION_REMINDER}_rotate`, text: { type: 'plain_text', text: 'Rotate…' }, style: 'primary', value: encodeReminderButton({ op: 'rotate', keyId: key.id }) },
    { type: 'button', action_id: `${ACTION_REMINDER}_revoke`, text: { type: 'plain_text', text: 'Revoke…' }, style: 'danger', value: encodeReminderButton({ op: 'revoke', keyId: key.id }) },
  ];
  const blocks = [
    section(md`*${lead(reply.threshold)}*\n*${key.name}* ${code(startPreview(key))} · ${key.type} · ${when} (${key.expiresAt ?? ''}) · ${lastUsedText(key, now)}\n${code(key.id)}`),
    ...(reply.idle ? [context(md`:zzz: ${IDLE_NOTE}`)] : []),
    actions(buttons),
  ];
  const message = wire({ text: md`${lead(reply.threshold)}: ${key.name} (${startPreview(key)})`, blocks });
  // No key value can be in a reminder; redacted anyway, like every message but a new key.
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}
