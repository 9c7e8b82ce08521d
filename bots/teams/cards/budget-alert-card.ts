import type { ApiKey } from '../../core/api-types';
import { budgetAlertLead, encodeBudgetAlertButton, suggestedBudget, type BudgetAlertReply } from '../../core/budget-alerts';
import { adaptiveCard, button, heading, plain, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';

/** A budget alert, to one admin's 1:1 chat: the key and where its budget stands, with Raise budget… and Pause key. */
export function budgetAlertCard(reply: BudgetAlertReply, nowMs = Date.now()): AdaptiveCard {
  const { key } = reply;
  return adaptiveCard(
    [heading(`${reply.threshold === 100 ? '⛔' : '⚠'} ${budgetAlertLead(reply)}`), keyFacts(key, nowMs)],
    [
      button('Raise budget…', VERB.budgetAlert, { button: encodeBudgetAlertButton({ op: 'raise', keyId: key.id }) }, 'positive'),
      button('Pause key', VERB.budgetAlert, { button: encodeBudgetAlertButton({ op: 'pause', keyId: key.id }) }, 'destructive'),
    ],
  );
}

/** `Raise budget…`: the new budget, as the `budget` command takes it; the confirmation (before → after) comes next. */
export function budgetFormCard(key: ApiKey, nowMs = Date.now()): AdaptiveCard {
  return adaptiveCard(
    [
      heading(`Change the budget of “${plain(key.name)}”`),
      keyFacts(key, nowMs),
      {
        type: 'Input.Text',
        id: 'budget',
        label: 'New budget',
        placeholder: '40/month, 5/day, 50/week, 100/total or none',
        value: suggestedBudget(key),
        maxLength: 40,
        isRequired: true,
        errorMessage: 'Credits per period, like 40/month',
      },
      text('Nothing changes until you confirm the change.', { isSubtle: true }),
    ],
    [button('Review change', VERB.budget, { keyId: key.id }, 'positive')],
  );
}
