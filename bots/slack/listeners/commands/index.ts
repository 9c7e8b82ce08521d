import type { App } from '@slack/bolt';
import { SLASH_COMMAND } from '../../blocks/action-ids';
import type { SlackDeps } from '../../slack-deps';
import { onSlashCommand } from './slash-command';

/** Slash commands: `/apikeys`. */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, (args) => onSlashCommand(deps, args));
}
