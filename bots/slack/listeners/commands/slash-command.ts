import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { slackRequestChannel, slackIdentity } from '../../../core';
import { createKeyModal } from '../../blocks/create-modal';
import { answerPrivately, sendPrivately, slackPrivateDelivery, type PrivateTarget } from '../../delivery';
import { errorLabel } from '../../../boot/bot-log';
import type { SlackDeps } from '../../slack-deps';

/** What this listener reads of Bolt's arguments (a test passes just these). */
export type SlashCommandArgs = Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'command' | 'ack' | 'respond' | 'client'>;

/**
 * `/apikeys …`: ack at once (Slack wants it within 3 s), then answer through the response_url,
 * always ephemeral. `create` with no arguments opens the modal with the command's trigger_id.
 */
export async function onSlashCommand({ conversation, log }: SlackDeps, { command, ack, respond, client }: SlashCommandArgs): Promise<void> {
  await ack();
  const target: PrivateTarget = { via: 'response_url', respond };
  const where = { channelId: command.channel_id };
  // Who and where come from the signed payload (the same workspace), never from the text.
  const delivery = slackPrivateDelivery(target, where, slackRequestChannel(command.team_id, command.channel_id));
  const reply = await conversation.command(command.text ?? '', slackIdentity(command.team_id, command.user_id), delivery);
  if (reply.kind === 'create_form') {
    try {
      await client.views.open({
        trigger_id: command.trigger_id,
        view: createKeyModal({ responseUrl: command.response_url, channelId: command.channel_id }),
      });
    } catch (err) {
      log.warn('views.open failed', { code: errorLabel(err) });
      await sendPrivately(target, {
        kind: 'error',
        code: 'unavailable',
        message: 'I could not open the form. Try again, or use `create <name> --type viewer|privileged …`.',
      });
    }
    return;
  }
  await answerPrivately(target, reply, where);
}
