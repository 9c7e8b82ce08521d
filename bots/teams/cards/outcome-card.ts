import type { ApiKey } from '../../core/api-types';
import { adaptiveCard, heading, plain, text, type AdaptiveCard, type TextColor } from './adaptive-card';
import { keyFacts } from './key-facts';

/**
 * What replaces a card after its button was clicked (the Action.Execute invoke response), so the
 * button cannot be clicked twice and the channel sees the outcome in place.
 */
export function outcomeCard(title: string, detail?: string, color: TextColor = 'default'): AdaptiveCard {
  return adaptiveCard([text(title, { weight: 'bolder', color }), ...(detail ? [text(detail, { isSubtle: true })] : [])]);
}

/** revoke / delete done. */
export function doneCard(input: { action: 'revoke' | 'delete'; key: ApiKey; by: string }, nowMs = Date.now()): AdaptiveCard {
  const verb = input.action === 'revoke' ? 'revoked' : 'deleted';
  return adaptiveCard([heading(`Key “${plain(input.key.name)}” ${verb}`), keyFacts(input.key, nowMs), text(`By ${input.by}.`, { isSubtle: true })]);
}
