import type { App } from '@slack/bolt';
import type { SlackDeps } from '../slack-deps';
import { registerAppMention } from './app-mention';
import { registerCancelAction } from './cancel-action';
import { registerChannelMessage } from './channel-message';
import { registerConfirmAction } from './confirm-action';
import { registerCreateModalSubmission } from './create-modal-submission';
import { registerDirectMessage } from './direct-message';
import { registerReminderAction } from './reminder-action';
import { registerSlashCommand } from './slash-command';

/** Every Slack surface the bot answers, one listener file each (see slack/manifest.yaml). */
export function registerListeners(app: App, deps: SlackDeps): void {
  registerSlashCommand(app, deps);
  registerCreateModalSubmission(app, deps);
  registerConfirmAction(app, deps);
  registerCancelAction(app, deps);
  registerReminderAction(app, deps);
  registerAppMention(app, deps);
  registerDirectMessage(app, deps);
  registerChannelMessage(app, deps);
}
