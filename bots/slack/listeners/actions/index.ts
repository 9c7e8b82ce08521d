import type { App, BlockButtonAction } from '@slack/bolt';
import { ACTION_BUDGET_ALERT, ACTION_CANCEL, ACTION_CONFIRM, ACTION_EXPOSURE, ACTION_KEY_REQUEST, ACTION_LEAK_REVOKE, ACTION_REMINDER, ACTION_ROTATION_DELIVERY } from '../../blocks/action-ids';
import type { SlackDeps } from '../../slack-deps';
import { onBudgetAlertAction } from './budget-alert-action';
import { onCancelAction } from './cancel-action';
import { onConfirmAction } from './confirm-action';
import { onExposureAction } from './exposure-action';
import { onKeyRequestAction } from './key-request-action';
import { onReminderAction } from './reminder-action';
import { onRotationDeliveryAction } from './rotation-delivery-action';

/** Buttons: confirm (and the leak guard's revoke), cancel, the expiry reminder's rotate/revoke, the budget alert's raise/pause, the exposure notice's replace/usage and a key request's approve/deny/collect, and a rotated key's collect (its owner's notice). */
export function register(app: App, deps: SlackDeps): void {
  for (const actionId of [ACTION_CONFIRM, ACTION_LEAK_REVOKE]) app.action<BlockButtonAction>(actionId, (args) => onConfirmAction(deps, args));
  app.action<BlockButtonAction>(ACTION_CANCEL, (args) => onCancelAction(deps, args));
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_REMINDER}_(rotate|revoke)$`), (args) => onReminderAction(deps, args));
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_BUDGET_ALERT}_(raise|pause)$`), (args) => onBudgetAlertAction(deps, args));
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_EXPOSURE}_(replace|usage)$`), (args) => onExposureAction(deps, args));
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_KEY_REQUEST}_(approve|deny|collect)$`), (args) => onKeyRequestAction(deps, args));
  app.action<BlockButtonAction>(`${ACTION_ROTATION_DELIVERY}_collect`, (args) => onRotationDeliveryAction(deps, args));
}
