import type { App, BlockButtonAction } from '@slack/bolt';
import { decodeReminderButton } from '../../core/expiry-reminders';
import { ACTION_REMINDER } from '../blocks/action-ids';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../delivery';
import type { SlackDeps } from '../slack-deps';
import { formless } from './app-mention';
import { interactionIdentity } from './payload-identity';

/**
 * Rotate… / Revoke… on an expiry reminder: the usual command for the key, run as whoever clicked
 * (from the signed payload), so the usual confirmation follows and a rotated key is delivered
 * privately as always. The reminder itself stays in place.
 */
export function registerReminderAction(app: App, { conversation }: SlackDeps): void {
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_REMINDER}_(rotate|revoke)$`), async ({ ack, body, action, respond, client }) => {
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
  });
}
