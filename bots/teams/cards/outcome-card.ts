import type { ApiKey } from '../../core/api-types';
import type { DoneAction } from '../../core/replies';
import { adaptiveCard, heading, plain, text, type AdaptiveCard, type TextColor } from './adaptive-card';
import { keyFacts } from './key-facts';

/**
 * What replaces a card after its button was clicked (the Action.Execute invoke response), so the
 * button cannot be clicked twice and the channel sees the outcome in place.
 */
export function outcomeCard(title: string, detail?: string, color: TextColor = 'default'): AdaptiveCard {
  return adaptiveCard([text(title, { weight: 'bolder', color }), ...(detail ? [text(detail, { isSubtle: true })] : [])]);
}

const DONE: Record<DoneAction, string> = { revoke: 'revoked', delete: 'deleted', pause: 'paused', resume: 'resumed', limit: 'has a new rate limit', budget: 'has a new budget' };

/** revoke / delete / pause / resume / limit / budget done: the key as it now stands (status, rate limit, budget). */
export function doneCard(input: { action: DoneAction; key: ApiKey; by: string }, nowMs = Date.now()): AdaptiveCard {
  return adaptiveCard([heading(`Key “${plain(input.key.name)}” ${DONE[input.action]}`), keyFacts(input.key, nowMs), text(`By ${input.by}.`, { isSubtle: true })]);
}
