import type { ApiKeyRequest } from '../../core/api-types';
import { encodeKeyRequestButton, requestedKeyText, requesterText, type KeyRequestNotice } from '../../core/key-request-approvals';
import { adaptiveCard, button, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';
import { VERB } from './verbs';

/**
 * Key requests on Teams (bots/core/key-request-approvals.ts): the approval card in each admin's
 * 1:1 chat (who asks, why, exactly the key it will create; a reason input, Approve and Deny), and
 * the requester's notice of the decision (approved: Collect key; denied: the reason). What a
 * person typed is shown as text (`plain`); no card here carries a key value.
 */
export function keyRequestCard(notice: KeyRequestNotice): AdaptiveCard {
  return notice.kind === 'key_request_card' ? approvalCard(notice.request) : decidedCard(notice.request);
}

/** The input Deny reads: Action.Execute sends the card's inputs with the button's data. */
export const DENY_REASON_INPUT = 'reason';

function approvalCard(r: ApiKeyRequest): AdaptiveCard {
  const data = (op: 'approve' | 'deny') => ({ button: encodeKeyRequestButton({ op, requestId: r.id }) });
  return adaptiveCard(
    [
      heading(`🔑 Key request from ${plain(requesterText(r))}`),
      facts([
        ['Key', `“${plain(r.key.name)}”`],
        ['Exactly', requestedKeyText(r)],
        ['Why', plain(r.reason)],
        ['Undecided, expires', r.expiresAt.slice(0, 10)],
        ['Request', r.id],
      ]),
      text('Approve creates exactly this key, with you as its creator; its value goes only to the requester.', { isSubtle: true }),
      { type: 'Input.Text', id: DENY_REASON_INPUT, label: 'Reason, to deny (the requester reads it)', placeholder: 'Why not?', maxLength: 1000, isMultiline: true },
    ],
    [button('Approve', VERB.keyRequest, data('approve'), 'positive'), button('Deny', VERB.keyRequest, data('deny'), 'destructive')],
  );
}

function decidedCard(r: ApiKeyRequest): AdaptiveCard {
  if (r.status === 'approved') {
    return adaptiveCard(
      [
        heading(`✅ Your key request “${plain(r.key.name)}” was approved by ${plain(r.decidedBy ?? 'an admin')}`),
        facts([
          ['Key', requestedKeyText(r)],
          ['Request', r.id],
        ]),
        text(`Collect it here, once, by ${(r.claimUntil ?? r.expiresAt).slice(0, 10)}: the value is shown only to you, in this chat.`),
      ],
      [button('Collect key', VERB.keyRequest, { button: encodeKeyRequestButton({ op: 'collect', requestId: r.id }) }, 'positive')],
    );
  }
  return adaptiveCard([
    heading(`⛔ Your key request “${plain(r.key.name)}” was denied by ${plain(r.decidedBy ?? 'an admin')}`),
    facts([
      ['Reason', plain(r.denyReason ?? '(none given)')],
      ['Request', r.id],
    ]),
  ]);
}
