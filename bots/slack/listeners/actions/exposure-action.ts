import { decodeExposureButton } from '../../../core/exposure-notices';
import { answerPrivately, respondFrom, sendPrivately, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { ButtonArgs } from './confirm-action';

/**
 * `Create replacement` / `Show usage` on an exposure notice, for whoever clicked (from the signed
 * payload). Show usage reads the figures again; Create replacement asks its confirmation of an
 * admin only (the API asked first), and the confirmed click creates the key and delivers its value
 * privately to that admin (confirm-action.ts). The notice stays in place.
 */
export async function onExposureAction({ conversation }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn } : { via: 'dm', client, user: body.user.id };
  const button = decodeExposureButton(action.value ?? '');
  const identity = interactionIdentity(body);
  if (!button || !identity) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more.' });
    return;
  }
  await answerPrivately(target, formless(await conversation.exposureButton(button, identity)));
}
