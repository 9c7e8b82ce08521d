import { decodeRotationDeliveryButton, collectRotatedKey } from '../../../core/rotation-delivery-notices';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { ButtonArgs } from './confirm-action';

/**
 * `Collect key` on a scheduled rotation's notice to the key's owner
 * (bots/core/rotation-delivery-notices.ts), for whoever clicked (from the signed payload, never
 * the button value): the value through the response_url, always ephemeral — only the clicker sees
 * it, and the API hands it to the owner alone, once; anyone else is refused (and audited).
 */
export async function onRotationDeliveryAction({ client: api, log }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const button = decodeRotationDeliveryButton(action.value ?? '');
  const identity = interactionIdentity(body);
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn, replaceOriginal: true } : { via: 'dm', client, user: body.user.id };
  if (!button || !identity || !api) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more.' });
    return;
  }
  const reply = await collectRotatedKey(api, button.keyId, identity, slackPrivateDelivery(target));
  log.info('rotation delivery action', { keyId: button.keyId, reply: reply.kind });
  await answerPrivately(target, formless(reply));
}
