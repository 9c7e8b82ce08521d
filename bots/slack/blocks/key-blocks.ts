import { budgetSpentText, keyLine, lastUsedText, rateLimitText, relativeTime, startPreview, statusWord, type ApiAuditRecord, type ApiKey } from '../../core';
import { SLASH_COMMAND } from './action-ids';
import { code, context, fieldsSection, join, md, mention, section, type Block, type Mrkdwn, type SlackMessage } from './mrkdwn';

const STATUS_EMOJI: Record<ApiKey['status'], string> = { active: ':large_green_circle:', disabled: ':double_vertical_bar:', revoked: ':red_circle:', expired: ':white_circle:' };

function keyRow(key: ApiKey, now: number): Mrkdwn {
  return md`${STATUS_EMOJI[key.status]} *${key.name}* ${code(startPreview(key))} · ${key.type}${key.protected ? ' (protected)' : ''} · ${statusWord(key.status)} · ${lastUsedText(key, now)}\n${code(key.id)}`;
}

export function keyListMessage(keys: ApiKey[], search: string | undefined, more: boolean, now = Date.now()): SlackMessage {
  const title = search ? md`Keys matching “${search}”` : md`Keys of this project`;
  if (keys.length === 0) {
    return { text: md`${title}: none`, blocks: [section(search ? md`No key matches “${search}”.` : md`This project has no keys yet.`)] };
  }
  const blocks: Block[] = [section(md`*${title}* (${keys.length}${more ? '+' : ''})`)];
  // One section per key, at most 45 so the message stays under Slack's 50-block limit.
  for (const key of keys.slice(0, 45)) blocks.push(section(keyRow(key, now)));
  if (more || keys.length > 45) blocks.push(context(md`More keys exist; narrow the list with ${code(`${SLASH_COMMAND} list <search>`)}.`));
  return { text: md`${title}: ${keys.length}`, blocks };
}

export function keyDetailsMessage(key: ApiKey, now = Date.now()): SlackMessage {
  const field = (label: string, value: Mrkdwn | string) => md`*${label}*\n${value}`;
  const lineage = [
    key.rotatedFrom ? md`Replaces ${code(key.rotatedFrom)}.` : undefined,
    key.replacedBy ? md`Replaced by ${code(key.replacedBy)}${key.graceUntil ? md`; works until ${relativeTime(key.graceUntil, now)}` : ''}.` : undefined,
  ].filter((part): part is Mrkdwn => part !== undefined);
  return {
    text: md`Key ${keyLine(key, now)}`,
    blocks: [
      section(md`*${key.name}*`),
      fieldsSection([
        field('Id', code(key.id)),
        field('Start', code(startPreview(key))),
        field('Type', `${key.type}${key.protected ? ' (protected)' : ''}`),
        field('Status', `${STATUS_EMOJI[key.status]} ${statusWord(key.status)}`),
        field('Rate limit', rateLimitText(key.rateLimit)),
        field('Budget', key.budget ? budgetSpentText(key.budget, now) : 'none (the account balance only)'),
        field('Created', `${relativeTime(key.createdAt, now)} by ${key.createdBy}`),
        field('Expires', key.expiresAt ? relativeTime(key.expiresAt, now) : 'never'),
        field('Last used', key.lastUsedAt ? relativeTime(key.lastUsedAt, now) : 'never'),
        field('Scopes', key.scopes.length ? key.scopes.join(', ') : '—'),
      ]),
      ...(lineage.length ? [context(join(lineage, ' '))] : []),
    ],
  };
}

export function ambiguousMessage(query: string, candidates: ApiKey[], now = Date.now()): SlackMessage {
  return {
    text: md`“${query}” matches ${candidates.length} keys; use the id.`,
    blocks: [
      section(md`“${query}” matches ${candidates.length} keys. Run the command again with the key’s id:`),
      ...candidates.map((k) => section(keyRow(k, now))),
    ],
  };
}

export function auditMessage(key: ApiKey, entries: ApiAuditRecord[], now = Date.now()): SlackMessage {
  const outcome = { success: ':white_check_mark:', denied: ':no_entry:', error: ':x:' } as const;
  const lines = entries.map(
    (e) =>
      md`${outcome[e.outcome]} ${relativeTime(e.at, now)} · *${e.action}* · ${e.outcome} · ${mention(e.actor)}${e.viaBot ? md` via ${e.viaBot}` : ''}${e.reason ? md` — ${e.reason}` : ''}`,
  );
  return {
    text: md`Audit trail of ${key.name}: ${entries.length} entries`,
    blocks: [
      section(md`*Audit trail of ${key.name}* ${code(startPreview(key))}`),
      section(lines.length ? join(lines, '\n') : md`No audit records for this key yet.`),
    ],
  };
}
