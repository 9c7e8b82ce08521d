import { decodeReminderButton } from '../../../core/expiry-reminders';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { ButtonArgs } from './confirm-action';

/**
 * Rotate… / Revoke… on an expiry reminder: the usual command for the key, run as whoever clicked
 * (from the signed payload), so the usual confirmation follows and a rotated key is delivered
 * privately as always. The reminder itself stays in place.
 */
export async function onReminderAction({ conversation }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn } : { via: 'dm', client, user: body.user.id };
  const button = decodeReminderButton(action.value ?? '');
  const identity = interactionIdentity(body);
  if (!button || !identity) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more.' });
    return;
  }
  const reply = await conversation.command(`${button.op} ${button.keyId}`, identity, slackPrivateDelivery(target));
  await answerPrivately(target, formless(reply));
}
