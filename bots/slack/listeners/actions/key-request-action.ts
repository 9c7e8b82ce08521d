import { decodeKeyRequestButton } from '../../../core/key-request-approvals';
import { errorLabel } from '../../../boot/bot-log';
import { denyModal } from '../../blocks/key-request-blocks';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { ButtonArgs } from './confirm-action';

/**
 * A key request's buttons, for whoever clicked (from the signed payload, never the button value):
 * `Approve` (the API decides whether the clicker may, and refuses a second decision; the answer
 * replaces the card), `Deny…` (a form for the reason, views/deny-modal-submission.ts) and the
 * requester's `Collect key` (the value through the response_url, always ephemeral: only the
 * clicker sees it, and the API hands it to the requester alone, once).
 */
export async function onKeyRequestAction({ conversation, log }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const button = decodeKeyRequestButton(action.value ?? '');
  const identity = interactionIdentity(body);
  const replaceOriginal = button?.op !== 'deny';
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn, replaceOriginal } : { via: 'dm', client, user: body.user.id };
  if (!button || !identity || !action.action_id.endsWith(`_${button.op}`)) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more.' });
    return;
  }
  if (button.op === 'deny') {
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: denyModal({ requestId: button.requestId, ...(body.response_url ? { responseUrl: body.response_url } : {}) }) });
    } catch (err) {
      log.warn('views.open failed', { code: errorLabel(err) });
      await sendPrivately(target, { kind: 'error', code: 'unavailable', message: 'I could not open the form to deny it. Try again in a moment, or deny it with `POST /v1/key-requests/{id}/deny`.' });
    }
    return;
  }
  const reply = await conversation.keyRequestButton(button, identity, slackPrivateDelivery(target));
  log.info('key request action', { op: button.op, requestId: button.requestId, reply: reply.kind });
  await answerPrivately(target, formless(reply));
}
