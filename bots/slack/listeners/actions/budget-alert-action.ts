import { decodeBudgetAlertButton } from '../../../core/budget-alerts';
import { errorLabel } from '../../../boot/bot-log';
import { budgetModal } from '../../blocks/budget-alert-blocks';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { ButtonArgs } from './confirm-action';

/**
 * `Raise budget…` / `Pause key` on a budget alert, for whoever clicked (from the signed payload).
 * Pause is the usual `pause <id>`: its confirmation follows. Raise opens a form for the new
 * budget — to an admin only, the API asked first — whose submission is `budget <id> <amount>`
 * with its usual confirmation (views/budget-modal-submission.ts). The alert stays in place.
 */
export async function onBudgetAlertAction({ conversation, log }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn } : { via: 'dm', client, user: body.user.id };
  const button = decodeBudgetAlertButton(action.value ?? '');
  const identity = interactionIdentity(body);
  if (!button || !identity) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more.' });
    return;
  }
  if (button.op === 'pause') {
    await answerPrivately(target, formless(await conversation.command(`pause ${button.keyId}`, identity, slackPrivateDelivery(target))));
    return;
  }
  const form = await conversation.budgetForm(button.keyId, identity);
  if (form.kind === 'error') {
    await sendPrivately(target, form);
    return;
  }
  try {
    await client.views.open({ trigger_id: body.trigger_id, view: budgetModal({ keyId: form.key.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) }, form.key) });
  } catch (err) {
    log.warn('views.open failed', { code: errorLabel(err) });
    await sendPrivately(target, { kind: 'error', code: 'unavailable', message: `I could not open the form. Say \`budget ${form.key.id} 40/month\` instead.` });
  }
}
