import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { validateCreateOptions } from '../../../core';
import { CREATE_FIELDS, readCreateMetadata, readCreateModal } from '../../blocks/create-modal';
import { answerPrivately, savedUrlTarget, slackPrivateDelivery } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';

/** What this listener reads of Bolt's arguments (a test passes just these). */
export type CreateModalSubmissionArgs = Pick<SlackViewMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'body' | 'view' | 'client'>;

/**
 * The create modal was submitted. Field errors go back into the modal; otherwise the modal
 * closes and the new key is delivered to the submitter only: ephemeral through the slash
 * command's response_url, or their DM with the bot.
 */
export async function onCreateModalSubmission({ conversation, responseUrls }: SlackDeps, { ack, body, view, client }: CreateModalSubmissionArgs): Promise<void> {
  const refusal = createModalErrors(view.state.values as Parameters<typeof readCreateModal>[0]);
  if (refusal) {
    await ack(refusal);
    return;
  }
  const fields = readCreateModal(view.state.values);
  await ack();
  const identity = interactionIdentity(body);
  if (!identity) return;
  const { responseUrl, channelId } = readCreateMetadata(view.private_metadata);
  const target = savedUrlTarget(responseUrl, responseUrls, { client, user: body.user.id });
  const reply = await conversation.submitCreate(fields, identity, slackPrivateDelivery(target, { channelId }));
  if (reply.kind === 'create_form') return;
  await answerPrivately(target, reply, { channelId });
}

/**
 * The answer a create-modal submission with a bad field gets in its ack (the errors shown under
 * the fields), or undefined when the fields are fine. Pure and fast: the front door
 * (ack-first/front-door.ts) calls it before acknowledging, since only the ack can carry it.
 */
export function createModalErrors(
  values: Parameters<typeof readCreateModal>[0] | undefined,
): { response_action: 'errors'; errors: Record<string, string> } | undefined {
  let checked: ReturnType<typeof validateCreateOptions>;
  try {
    checked = validateCreateOptions(readCreateModal(values ?? {}));
  } catch {
    return undefined; // not the modal's shape at all: the listener meets the same and fails, logged
  }
  return checked.ok ? undefined : { response_action: 'errors', errors: { [CREATE_FIELDS[checked.field].block]: checked.message } };
}
