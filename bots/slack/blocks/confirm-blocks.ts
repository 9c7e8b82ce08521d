import type { types } from '@slack/bolt';
import { CONFIRM_BUTTON, CONFIRM_QUESTION, encodeAction, lastUsedText, startPreview, statusWord, type ApiKey, type KeyChange, type PendingAction } from '../../core';
import { ACTION_CANCEL, ACTION_CONFIRM } from './action-ids';
import { actions, code, context, md, section, type SlackMessage } from './mrkdwn';


/**
 * What a rotate/revoke/delete/pause/resume/limit will hit — and for a change in place, the field
 * before → after — with the buttons; nothing happens before the click.
 */
export function confirmMessage(action: PendingAction, key: ApiKey, summary: string, consequence: string, change?: KeyChange, now = Date.now()): SlackMessage {
  const style = action.op === 'resume' || action.op === 'limit' || action.op === 'budget' ? 'primary' : 'danger';
  const buttons: types.Button[] = [
    { type: 'button', action_id: ACTION_CONFIRM, text: { type: 'plain_text', text: CONFIRM_BUTTON[action.op] }, style, value: encodeAction(action) },
    { type: 'button', action_id: ACTION_CANCEL, text: { type: 'plain_text', text: 'Cancel' }, value: 'cancel' },
  ];
  return {
    text: md`${summary}`,
    blocks: [
      section(
        md`*${CONFIRM_QUESTION[action.op]}*\n*${key.name}* ${code(startPreview(key))} · ${key.type} · ${statusWord(key.status)} · ${lastUsedText(key, now)}\n${code(key.id)}`,
      ),
      ...(change ? [section(md`*${change.label}:* ${change.before} → *${change.after}*`)] : []),
      context(md`${consequence}`),
      actions(buttons),
    ],
  };
}
