import type { ApiKey } from '../../core/api-types';
import { CONFIRM_BUTTON, CONFIRM_QUESTION, encodeAction, type PendingAction } from '../../core/pending-action';
import type { KeyChange } from '../../core/replies';
import { adaptiveCard, button, facts, heading, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';


/**
 * Rotate / revoke / delete / pause / resume / limit: shows exactly what the click will hit (name,
 * start, last used; for a change in place, the field before → after) and carries the core's
 * PendingAction — the resolved key id and version, never a name to re-resolve, and no person:
 * whoever clicks is the actor and must be an admin.
 */
export function confirmCard(input: { action: PendingAction; key: ApiKey; consequence: string; change?: KeyChange }, nowMs = Date.now()): AdaptiveCard {
  const op = input.action.op;
  const { change } = input;
  return adaptiveCard(
    [
      heading(CONFIRM_QUESTION[op]),
      keyFacts(input.key, nowMs),
      ...(change ? [facts([[change.label, `${change.before} → ${change.after}`]])] : []),
      text(input.consequence, { weight: 'bolder' }),
    ],
    [
      button(CONFIRM_BUTTON[op], VERB.confirm, { action: encodeAction(input.action) }, op === 'resume' || op === 'limit' || op === 'budget' ? 'positive' : 'destructive'),
      button('Cancel', VERB.cancel),
    ],
  );
}
