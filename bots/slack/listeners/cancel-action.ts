import type { App, BlockButtonAction } from '@slack/bolt';
import { ACTION_CANCEL } from '../blocks/action-ids';
import { respondFrom, sendPrivately } from '../delivery';
import type { SlackDeps } from '../slack-deps';
import { interactionIdentity } from './payload-identity';

/** Cancel on a confirmation: the core says whether the clicker may answer it; nothing changes either way. */
export function registerCancelAction(app: App, { conversation }: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION_CANCEL, async ({ ack, body, respond }) => {
    await ack();
    const respondFn = respondFrom(respond);
    const identity = interactionIdentity(body);
    if (!respondFn || !identity) return;
    await sendPrivately({ via: 'response_url', respond: respondFn, replaceOriginal: true }, await conversation.cancel(identity));
  });
}
