import type { App } from '@slack/bolt';
import type { SlackDeps } from '../slack-deps';
import * as actions from './actions';
import * as commands from './commands';
import * as events from './events';
import * as views from './views';

/**
 * Every Slack surface the bot answers (see slack/manifest.yaml), in the Bolt starter's shape: one
 * folder per surface whose index registers its listeners, each listener a named exported callback
 * in its own file, called with the deps and Bolt's arguments.
 */
export function registerListeners(app: App, deps: SlackDeps): void {
  commands.register(app, deps);
  views.register(app, deps);
  actions.register(app, deps);
  events.register(app, deps);
}
