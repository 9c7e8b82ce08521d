import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../slack-deps';
import { onAppMention } from './app-mention';
import { onChannelMessage } from './channel-message';
import { onDirectMessage } from './direct-message';

/** Events API callbacks: mentions, direct messages, and channel messages (the leak guard). */
export function register(app: App, deps: SlackDeps): void {
  app.event('app_mention', (args) => onAppMention(deps, args));
  app.event('message', (args) => onDirectMessage(deps, args));
  app.event('message', (args) => onChannelMessage(deps, args));
}
