import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeAction } from '../../../core';
import { slackRotationOrigin } from '../../../core/rotation-origin';
import { ACTION_CONFIRM, ACTION_LEAK_REVOKE } from '../../blocks/action-ids';
import { answerPrivately, respondFrom, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';

/** What the button listeners read of Bolt's arguments (a test passes just these). */
export type ButtonArgs = Pick<SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs, 'ack' | 'body' | 'action' | 'respond' | 'client'>;

/** The buttons this listener answers, and the origin a pending action must carry to be run by each. */
export const CONFIRM_ORIGINS: Readonly<Record<string, 'confirm' | 'leak'>> = { [ACTION_CONFIRM]: 'confirm', [ACTION_LEAK_REVOKE]: 'leak' };

/**
 * The confirm button of rotate/revoke/delete, and the leak guard's one-click revoke. The button
 * value names the action and key id only; the actor is whoever clicked (from the signed payload),
 * so a copied value cannot act for someone else — and the API refuses them unless they are an admin.
 */
export async function onConfirmAction({ conversation }: SlackDeps, { ack, body, action, respond, client }: ButtonArgs): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const target: PrivateTarget = respondFn ? { via: 'response_url', respond: respondFn, replaceOriginal: true } : { via: 'dm', client, user: body.user.id };
  const pending = decodeAction(action.value ?? '');
  const identity = interactionIdentity(body);
  if (!pending || pending.origin !== CONFIRM_ORIGINS[action.action_id] || !identity) {
    await sendPrivately(target, { kind: 'error', code: 'refused', message: 'That button is not valid any more. Run the command again.' });
    return;
  }
  const where = { channelId: body.channel?.id };
  // Where the click was, from the signed payload (never the button value): a rotation's stragglers are told there too.
  const thread = (body.container as { thread_ts?: string } | undefined)?.thread_ts ?? (body.message as { thread_ts?: string } | undefined)?.thread_ts;
  const origin = slackRotationOrigin(body.team?.id ?? body.user.team_id, body.channel?.id, thread);
  const reply = await conversation.confirm(pending, identity, slackPrivateDelivery(target, where), origin);
  if (reply.kind === 'create_form') return;
  await answerPrivately(target, reply, where);
}
