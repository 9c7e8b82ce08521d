import type { App } from '@slack/bolt';
import { BUDGET_MODAL_CALLBACK, CREATE_MODAL_CALLBACK, DENY_MODAL_CALLBACK } from '../../blocks/action-ids';
import type { SlackDeps } from '../../slack-deps';
import { onBudgetModalSubmission } from './budget-modal-submission';
import { onCreateModalSubmission } from './create-modal-submission';
import { onDenyModalSubmission } from './deny-modal-submission';

/** Modal submissions: the create-key form, a budget alert's new budget, and a key request's reason for a denial. */
export function register(app: App, deps: SlackDeps): void {
  app.view(CREATE_MODAL_CALLBACK, (args) => onCreateModalSubmission(deps, args));
  app.view(BUDGET_MODAL_CALLBACK, (args) => onBudgetModalSubmission(deps, args));
  app.view(DENY_MODAL_CALLBACK, (args) => onDenyModalSubmission(deps, args));
}
