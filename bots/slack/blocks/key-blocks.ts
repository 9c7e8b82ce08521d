import type { types } from '@slack/bolt';
import { keyLine, lastUsedText, relativeTime, startPreview, type ApiAuditRecord, type ApiKey } from '../../core';
import { SLASH_COMMAND } from './action-ids';
import { code, context, escape, mention, section, type SlackMessage } from './mrkdwn';

const STATUS_EMOJI: Record<ApiKey['status'], string> = { active: ':large_green_circle:', revoked: ':red_circle:', expired: ':white_circle:' };

function keyRow(key: ApiKey, now: number): string {
  return `${STATUS_EMOJI[key.status]} *${escape(key.name)}* ${code(startPreview(key))} · ${key.type}${key.protected ? ' (protected)' : ''} · ${key.status} · ${lastUsedText(key, now)}\n${code(key.id)}`;
}

export function keyListMessage(keys: ApiKey[], search: string | undefined, more: boolean, now = Date.now()): SlackMessage {
  const title = search ? `Keys matching “${escape(search)}”` : 'Keys of this project';
  if (keys.length === 0) {
    return { text: `${title}: none`, blocks: [section(search ? `No key matches “${escape(search)}”.` : 'This project has no keys yet.')] };
  }
  const blocks: types.KnownBlock[] = [section(`*${title}* (${keys.length}${more ? '+' : ''})`)];
  // One section per key, at most 45 so the message stays under Slack's 50-block limit.
  for (const key of keys.slice(0, 45)) blocks.push(section(keyRow(key, now)));
  if (more || keys.length > 45) blocks.push(context(`More keys exist; narrow the list with ${code(`${SLASH_COMMAND} list <search>`)}.`));
  return { text: `${title}: ${keys.length}`, blocks };
}

export function keyDetailsMessage(key: ApiKey, now = Date.now()): SlackMessage {
  const field = (label: string, value: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });
  const fields: types.MrkdwnElement[] = [
    field('Id', code(key.id)),
    field('Start', code(startPreview(key))),
    field('Type', `${key.type}${key.protected ? ' (protected)' : ''}`),
    field('Status', `${STATUS_EMOJI[key.status]} ${key.status}`),
    field('Created', `${relativeTime(key.createdAt, now)} by ${escape(key.createdBy)}`),
    field('Expires', key.expiresAt ? relativeTime(key.expiresAt, now) : 'never'),
    field('Last used', key.lastUsedAt ? relativeTime(key.lastUsedAt, now) : 'never'),
    field('Scopes', key.scopes.length ? key.scopes.map(escape).join(', ') : '—'),
  ];
  const lineage = [
    key.rotatedFrom ? `Replaces ${code(key.rotatedFrom)}.` : '',
    key.replacedBy ? `Replaced by ${code(key.replacedBy)}${key.graceUntil ? `; works until ${relativeTime(key.graceUntil, now)}` : ''}.` : '',
  ].filter(Boolean);
  return {
    text: `Key ${keyLine(key, now)}`,
    blocks: [
      section(`*${escape(key.name)}*`),
      { type: 'section', fields: fields.slice(0, 10) },
      ...(lineage.length ? [context(lineage.join(' '))] : []),
    ],
  };
}

export function ambiguousMessage(query: string, candidates: ApiKey[], now = Date.now()): SlackMessage {
  return {
    text: `“${query}” matches ${candidates.length} keys; use the id.`,
    blocks: [
      section(`“${escape(query)}” matches ${candidates.length} keys. Run the command again with the key’s id:`),
      ...candidates.map((k) => section(keyRow(k, now))),
    ],
  };
}

export function auditMessage(key: ApiKey, entries: ApiAuditRecord[], now = Date.now()): SlackMessage {
  const outcome = { success: ':white_check_mark:', denied: ':no_entry:', error: ':x:' } as const;
  const lines = entries.map(
    (e) =>
      `${outcome[e.outcome]} ${relativeTime(e.at, now)} · *${escape(e.action)}* · ${e.outcome} · ${mention(e.actor)}${e.viaBot ? ` via ${escape(e.viaBot)}` : ''}${e.reason ? ` — ${escape(e.reason)}` : ''}`,
  );
  return {
    text: `Audit trail of ${key.name}: ${entries.length} entries`,
    blocks: [
      section(`*Audit trail of ${escape(key.name)}* ${code(startPreview(key))}`),
      section(lines.length ? lines.join('\n') : 'No audit records for this key yet.'),
    ],
  };
}
