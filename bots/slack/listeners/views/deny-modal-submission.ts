import { decodeKeyRequestButton } from '../../../core/key-request-approvals';
import { denyModalErrors, readDenyMetadata, readDenyModal } from '../../blocks/key-request-blocks';
import { answerPrivately, savedUrlTarget, sendPrivately, slackPrivateDelivery } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { CreateModalSubmissionArgs } from './create-modal-submission';

/**
 * The Deny… form came back: the request denied as the submitter (the API decides whether they
 * may), with the reason the requester reads. The outcome replaces the card through its
 * response_url, else goes to the submitter's DM.
 */
export async function onDenyModalSubmission({ conversation, log, responseUrls }: SlackDeps, { ack, body, view, client }: CreateModalSubmissionArgs): Promise<void> {
  const values = view.state.values as Parameters<typeof readDenyModal>[0];
  const refusal = denyModalErrors(values);
  if (refusal) {
    await ack(refusal);
    return;
  }
  const reason = readDenyModal(values);
  await ack();
  const identity = interactionIdentity(body);
  const metadata = readDenyMetadata(view.private_metadata);
  if (!identity) return;
  const target = savedUrlTarget(metadata?.responseUrl, responseUrls, { client, user: body.user.id }, { replaceOriginal: true });
  const button = metadata && decodeKeyRequestButton(JSON.stringify({ op: 'deny', requestId: metadata.requestId }));
  if (!button) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That form is not valid any more.' });
    return;
  }
  const reply = await conversation.keyRequestButton(button, identity, slackPrivateDelivery(target), reason);
  log.info('key request action', { op: 'deny', requestId: button.requestId, reply: reply.kind });
  await answerPrivately(target, formless(reply));
}
