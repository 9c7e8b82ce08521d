import type { types } from '@slack/bolt';
import { encodeAction, lastUsedText, startPreview, type ApiKey, type PendingAction } from '../../core';
import { ACTION_CANCEL, ACTION_CONFIRM } from './action-ids';
import { actions, code, context, md, section, type SlackMessage } from './mrkdwn';

const VERB = { rotate: 'Rotate', revoke: 'Revoke', delete: 'Delete' } as const;

/** What a rotate/revoke/delete will hit, with the buttons; nothing happens before the click. */
export function confirmMessage(action: PendingAction, key: ApiKey, summary: string, consequence: string, now = Date.now()): SlackMessage {
  const verb = VERB[action.op];
  const buttons: types.Button[] = [
    { type: 'button', action_id: ACTION_CONFIRM, text: { type: 'plain_text', text: `${verb} key` }, style: 'danger', value: encodeAction(action) },
    { type: 'button', action_id: ACTION_CANCEL, text: { type: 'plain_text', text: 'Cancel' }, value: 'cancel' },
  ];
  return {
    text: md`${summary}`,
    blocks: [
      section(md`*${verb} this key?*\n*${key.name}* ${code(startPreview(key))} · ${key.type} · ${key.status} · ${lastUsedText(key, now)}\n${code(key.id)}`),
      context(md`${consequence}`),
      actions(buttons),
    ],
  };
}
