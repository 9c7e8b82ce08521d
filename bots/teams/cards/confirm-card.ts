import type { ApiKey } from '../../core/api-types';
import { encodeAction, type PendingAction } from '../../core/pending-action';
import { adaptiveCard, button, heading, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';

const TITLES: Record<PendingAction['op'], string> = { rotate: 'Rotate', revoke: 'Revoke', delete: 'Delete' };

/**
 * Rotate / revoke / delete: shows exactly what the click will hit (name, start, last used) and
 * carries the core's PendingAction — the resolved key id, never a name to re-resolve, and no
 * person: whoever clicks is the actor and must be an admin.
 */
export function confirmCard(input: { action: PendingAction; key: ApiKey; consequence: string }, nowMs = Date.now()): AdaptiveCard {
  const op = TITLES[input.action.op];
  return adaptiveCard(
    [heading(`${op} this key?`), keyFacts(input.key, nowMs), text(input.consequence, { weight: 'bolder' })],
    [
      button(`${op} key`, VERB.confirm, { action: encodeAction(input.action) }, 'destructive'),
      button('Cancel', VERB.cancel),
    ],
  );
}
