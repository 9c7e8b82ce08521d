import { parseBudgetWord } from '../../../core';
import { budgetModalErrors, readBudgetMetadata, readBudgetModal } from '../../blocks/budget-alert-blocks';
import { answerPrivately, savedUrlTarget, sendPrivately, slackPrivateDelivery } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import { formless } from '../reply-kinds';
import type { CreateModalSubmissionArgs } from './create-modal-submission';

/**
 * The `Raise budget…` form came back: a budget the grammar cannot read goes back into the form
 * (the front door does it in AWS, ack-first/front-door.ts); otherwise it is `budget <id>
 * <amount>` for the submitter, whose confirmation (before → after) goes where the alert was
 * answered — the alert's response_url, else their DM. Nothing changes before that click.
 */
export async function onBudgetModalSubmission({ conversation, responseUrls }: SlackDeps, { ack, body, view, client }: CreateModalSubmissionArgs): Promise<void> {
  const values = view.state.values as Parameters<typeof readBudgetModal>[0];
  const refusal = budgetModalErrors(values);
  if (refusal) {
    await ack(refusal);
    return;
  }
  await ack();
  const identity = interactionIdentity(body);
  const metadata = readBudgetMetadata(view.private_metadata);
  if (!identity) return;
  const target = savedUrlTarget(metadata?.responseUrl, responseUrls, { client, user: body.user.id });
  if (!metadata) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That form is not valid any more.' });
    return;
  }
  const parsed = parseBudgetWord(readBudgetModal(values));
  if (!parsed.ok) return; // answered in the ack above
  const reply = await conversation.run({ name: 'budget', key: metadata.keyId, budget: parsed.budget }, identity, slackPrivateDelivery(target));
  await answerPrivately(target, formless(reply));
}
