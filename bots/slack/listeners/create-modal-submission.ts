import type { App } from '@slack/bolt';
import { validateCreateOptions } from '../../core';
import { CREATE_MODAL_CALLBACK } from '../blocks/action-ids';
import { CREATE_FIELDS, readCreateMetadata, readCreateModal } from '../blocks/create-modal';
import { answerPrivately, responder, slackPrivateDelivery, type PrivateTarget } from '../delivery';
import type { SlackDeps } from '../slack-deps';
import { interactionIdentity } from './payload-identity';

/**
 * The create modal was submitted. Field errors go back into the modal; otherwise the modal
 * closes and the new key is delivered to the submitter only: ephemeral through the slash
 * command's response_url, or their DM with the bot.
 */
export function registerCreateModalSubmission(app: App, { conversation }: SlackDeps): void {
  app.view(CREATE_MODAL_CALLBACK, async ({ ack, body, view, client }) => {
    const fields = readCreateModal(view.state.values);
    const checked = validateCreateOptions(fields);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: { [CREATE_FIELDS[checked.field].block]: checked.message } });
      return;
    }
    await ack();
    const identity = interactionIdentity(body);
    if (!identity) return;
    const { responseUrl, channelId } = readCreateMetadata(view.private_metadata);
    const target: PrivateTarget = responseUrl ? { via: 'response_url', respond: responder(responseUrl) } : { via: 'dm', client, user: body.user.id };
    const reply = await conversation.submitCreate(fields, identity, slackPrivateDelivery(target, { channelId }));
    if (reply.kind === 'create_form') return;
    await answerPrivately(target, reply, { channelId });
  });
}
