import type { types } from '@slack/bolt';
import { budgetSpentText, lastUsedText, parseBudgetWord, redactKeys, startPreview, type ApiKey } from '../../core';
import { budgetAlertLead, encodeBudgetAlertButton, suggestedBudget, type BudgetAlertReply } from '../../core/budget-alerts';
import { ACTION_BUDGET_ALERT, BUDGET_MODAL_CALLBACK } from './action-ids';
import { actions, code, md, section, wire, type WireMessage } from './mrkdwn';

const lead = (reply: BudgetAlertReply) => `${reply.threshold === 100 ? ':no_entry:' : ':warning:'} ${budgetAlertLead(reply)}`;

/** A budget alert, to one admin's DM: the key by its start and where its budget stands, with `Raise budget…` and `Pause key`. */
export function budgetAlertMessage(reply: BudgetAlertReply, now = Date.now()): WireMessage {
  const { key } = reply;
  const buttons: types.Button[] = [
    { type: 'button', action_id: `${ACTION_BUDGET_ALERT}_raise`, text: { type: 'plain_text', text: 'Raise budget…' }, style: 'primary', value: encodeBudgetAlertButton({ op: 'raise', keyId: key.id }) },
    { type: 'button', action_id: `${ACTION_BUDGET_ALERT}_pause`, text: { type: 'plain_text', text: 'Pause key' }, style: 'danger', value: encodeBudgetAlertButton({ op: 'pause', keyId: key.id }) },
  ];
  const message = wire({
    text: md`${lead(reply)}: ${key.name} (${startPreview(key)})`,
    blocks: [
      section(md`*${lead(reply)}*\n*${key.name}* ${code(startPreview(key))} · ${key.type} · ${lastUsedText(key, now)}\n*Budget:* ${budgetSpentText(key.budget!, now)}\n${code(key.id)}`),
      actions(buttons),
    ],
  });
  // No key value can be in an alert; redacted anyway, like every message but a new key.
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}

/** Where the budget form's answer goes (its private_metadata): the key, and the alert's response_url. */
export interface BudgetModalMetadata {
  keyId: string;
  responseUrl?: string;
}

export const BUDGET_FIELD = { block: 'kw_budget', action: 'value' } as const;

/** `Raise budget…`: one field, the new budget as the `budget` command takes it, the current one doubled to start from. */
export function budgetModal(metadata: BudgetModalMetadata, key: ApiKey): types.View {
  return {
    type: 'modal',
    callback_id: BUDGET_MODAL_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Change the budget' },
    submit: { type: 'plain_text', text: 'Review change' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(md`*${key.name}* ${code(startPreview(key))}\n${key.budget ? md`Now: ${budgetSpentText(key.budget)}` : md`No budget now.`}`),
      {
        type: 'input',
        block_id: BUDGET_FIELD.block,
        label: { type: 'plain_text', text: 'New budget' },
        hint: { type: 'plain_text', text: 'Credits per UTC period: 40/month, 5/day, 50/week or 100/total; none removes it. You confirm before anything changes.' },
        element: { type: 'plain_text_input', action_id: BUDGET_FIELD.action, initial_value: suggestedBudget(key), max_length: 40 },
      },
    ],
  };
}

type StateValues = Record<string, Record<string, { value?: string | null }>> | undefined;

export function readBudgetModal(values: StateValues): string {
  return values?.[BUDGET_FIELD.block]?.[BUDGET_FIELD.action]?.value?.trim() ?? '';
}

/** The ack of a budget form whose value the grammar cannot read (shown under the field), or undefined. Pure: the front door calls it. */
export function budgetModalErrors(values: StateValues): { response_action: 'errors'; errors: Record<string, string> } | undefined {
  const parsed = parseBudgetWord(readBudgetModal(values));
  return parsed.ok ? undefined : { response_action: 'errors', errors: { [BUDGET_FIELD.block]: parsed.message } };
}

export function readBudgetMetadata(raw: string | undefined): BudgetModalMetadata | undefined {
  try {
    const parsed = JSON.parse(raw ?? '{}') as Partial<BudgetModalMetadata>;
    if (typeof parsed.keyId !== 'string' || !/^key_[0-9A-Za-z]{1,64}$/.test(parsed.keyId)) return undefined;
    return { keyId: parsed.keyId, ...(typeof parsed.responseUrl === 'string' ? { responseUrl: parsed.responseUrl } : {}) };
  } catch {
    return undefined;
  }
}
