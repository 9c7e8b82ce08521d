import type { App } from '@slack/bolt';
import { CREATE_MODAL_CALLBACK } from '../../blocks/action-ids';
import type { SlackDeps } from '../../slack-deps';
import { onCreateModalSubmission } from './create-modal-submission';

/** Modal submissions: the create-key form. */
export function register(app: App, deps: SlackDeps): void {
  app.view(CREATE_MODAL_CALLBACK, (args) => onCreateModalSubmission(deps, args));
}
