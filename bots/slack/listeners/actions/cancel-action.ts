import { respondFrom, sendPrivately } from '../../delivery';
import type { SlackDeps } from '../../slack-deps';
import { interactionIdentity } from '../payload-identity';
import type { ButtonArgs } from './confirm-action';

/** Cancel on a confirmation: the core says whether the clicker may answer it; nothing changes either way. */
export async function onCancelAction({ conversation }: SlackDeps, { ack, body, respond }: Pick<ButtonArgs, 'ack' | 'body' | 'respond'>): Promise<void> {
  await ack();
  const respondFn = respondFrom(respond);
  const identity = interactionIdentity(body);
  if (!respondFn || !identity) return;
  await sendPrivately({ via: 'response_url', respond: respondFn, replaceOriginal: true }, await conversation.cancel(identity));
}
