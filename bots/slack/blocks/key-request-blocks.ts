import type { types } from '@slack/bolt';
import { redactKeys } from '../../core';
import { encodeKeyRequestButton, requestedKeyText, requesterText, type KeyRequestNotice } from '../../core/key-request-approvals';
import type { ApiKeyRequest } from '../../core/api-types';
import { ACTION_KEY_REQUEST, DENY_MODAL_CALLBACK } from './action-ids';
import { actions, code, md, section, wire, type WireMessage } from './mrkdwn';

/**
 * Key requests on Slack (bots/core/key-request-approvals.ts): the approval card in each admin's DM
 * (who asks, why, exactly the key it will create; Approve, Deny…), the requester's notice of the
 * decision (approved: Collect key; denied: the reason), and the form Deny… opens for the reason.
 * Everything a person typed (name, reason) is escaped by `md`; no message here carries a key value.
 */
export function keyRequestMessage(notice: KeyRequestNotice): WireMessage {
  return notice.kind === 'key_request_card' ? cardMessage(notice.request) : decidedMessage(notice.request);
}

function button(op: 'approve' | 'deny' | 'collect', text: string, requestId: string, style?: 'primary' | 'danger'): types.Button {
  return { type: 'button', action_id: `${ACTION_KEY_REQUEST}_${op}`, text: { type: 'plain_text', text }, ...(style ? { style } : {}), value: encodeKeyRequestButton({ op, requestId }) };
}

function cardMessage(r: ApiKeyRequest): WireMessage {
  const lead = `Key request from ${requesterText(r)}`;
  return redacted(
    wire({
      text: md`:key: ${lead}: “${r.key.name}”`,
      blocks: [
        section(md`:key: *${lead}*\n*Key:* “${r.key.name}” — ${requestedKeyText(r)}\n*Why:* ${r.reason}\n*Expires undecided:* ${r.expiresAt.slice(0, 10)} · ${code(r.id)}`),
        section(md`Approve creates exactly this key, with you as its creator; its value goes only to the requester.`),
        actions([button('approve', 'Approve', r.id, 'primary'), button('deny', 'Deny…', r.id, 'danger')]),
      ],
    }),
  );
}

function decidedMessage(r: ApiKeyRequest): WireMessage {
  if (r.status === 'approved') {
    const lead = `Your key request “${r.key.name}” was approved by ${r.decidedBy ?? 'an admin'}`;
    return redacted(
      wire({
        text: md`:white_check_mark: ${lead}`,
        blocks: [
          section(md`:white_check_mark: *${lead}.*\n${requestedKeyText(r)} · ${code(r.id)}\nCollect it here, once, by ${(r.claimUntil ?? r.expiresAt).slice(0, 10)}: the value is shown only to you.`),
          actions([button('collect', 'Collect key', r.id, 'primary')]),
        ],
      }),
    );
  }
  const lead = `Your key request “${r.key.name}” was denied by ${r.decidedBy ?? 'an admin'}`;
  return redacted(wire({ text: md`:no_entry_sign: ${lead}`, blocks: [section(md`:no_entry_sign: *${lead}.*\n*Reason:* ${r.denyReason ?? '(none given)'} · ${code(r.id)}`)] }));
}

/** Where the deny form's answer goes (its private_metadata): the request, and the card's response_url. */
export interface DenyModalMetadata {
  requestId: string;
  responseUrl?: string;
}

export const DENY_FIELD = { block: 'kw_deny_reason', action: 'value' } as const;

/** Deny…: the reason, required, which the requester reads. */
export function denyModal(metadata: DenyModalMetadata): types.View {
  return {
    type: 'modal',
    callback_id: DENY_MODAL_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Deny key request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: DENY_FIELD.block,
        label: { type: 'plain_text', text: 'Why not?' },
        hint: { type: 'plain_text', text: 'The requester reads this.' },
        element: { type: 'plain_text_input', action_id: DENY_FIELD.action, multiline: true, min_length: 1, max_length: 1000 },
      },
    ],
  };
}

export function readDenyModal(values: Record<string, Record<string, { value?: string | null }>> | undefined): string {
  return values?.[DENY_FIELD.block]?.[DENY_FIELD.action]?.value?.trim() ?? '';
}

/** A denial without a reason goes back into the form (answered in the ack, by the front door in AWS). */
export function denyModalErrors(values: Parameters<typeof readDenyModal>[0]): { response_action: 'errors'; errors: Record<string, string> } | undefined {
  return readDenyModal(values) ? undefined : { response_action: 'errors', errors: { [DENY_FIELD.block]: 'Say why: the requester reads it.' } };
}

export function readDenyMetadata(raw: string): DenyModalMetadata | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<DenyModalMetadata>;
    if (typeof parsed.requestId !== 'string') return undefined;
    return { requestId: parsed.requestId, ...(typeof parsed.responseUrl === 'string' ? { responseUrl: parsed.responseUrl } : {}) };
  } catch {
    return undefined;
  }
}

/** No key value can be in these; redacted anyway, like every message but a new key. */
function redacted(message: WireMessage): WireMessage {
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}
