import type { App, BlockButtonAction } from '@slack/bolt';
import { ACTION_CANCEL } from '../blocks/action-ids';
import { respondFrom, sendPrivately } from '../delivery';

/** Cancel on a confirmation: replace it with "nothing changed". No API call. */
export function registerCancelAction(app: App): void {
  app.action<BlockButtonAction>(ACTION_CANCEL, async ({ ack, respond }) => {
    await ack();
    const respondFn = respondFrom(respond);
    if (respondFn) await sendPrivately({ via: 'response_url', respond: respondFn, replaceOriginal: true }, { kind: 'cancelled' });
  });
}
