import type { App } from '@slack/bolt';
import { BUDGET_MODAL_CALLBACK, CREATE_MODAL_CALLBACK } from '../../blocks/action-ids';
import type { SlackDeps } from '../../slack-deps';
import { onBudgetModalSubmission } from './budget-modal-submission';
import { onCreateModalSubmission } from './create-modal-submission';

/** Modal submissions: the create-key form, and a budget alert's new budget. */
export function register(app: App, deps: SlackDeps): void {
  app.view(CREATE_MODAL_CALLBACK, (args) => onCreateModalSubmission(deps, args));
  app.view(BUDGET_MODAL_CALLBACK, (args) => onBudgetModalSubmission(deps, args));
}
