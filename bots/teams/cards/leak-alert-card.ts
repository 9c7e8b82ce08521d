import type { ApiKey } from '../../core/api-types';
import { encodeAction, type PendingAction } from '../../core/pending-action';
import { adaptiveCard, button, heading, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';

/**
 * The leak guard saw a live key of this project in a conversation. Names the key by its start
 * only; the revoke button is there only when the recipient is an admin (the core decides, and
 * checks the clicker again at click time).
 */
export function leakAlertCard(
  input: { audience: 'poster' | 'admin'; key: ApiKey; poster: string; handled?: 'revoked' | 'rotated'; revoke?: PendingAction },
  nowMs = Date.now(),
): AdaptiveCard {
  const done = input.handled === 'revoked' ? 'It has been revoked: it no longer works.' : input.handled === 'rotated' ? 'It has been rotated: the old value no longer works.' : undefined;
  const lead = done
    ? input.audience === 'poster'
      ? `You posted a Keywarden API key in a conversation. ${done} Delete the message; if something needs a key, ask an admin for a new one.`
      : `A Keywarden API key was posted in a conversation by ${input.poster}. ${done}`
    : input.audience === 'poster'
      ? 'You posted a live Keywarden API key in a conversation. Anyone who can read it can use it. Delete the message, then revoke or rotate the key.'
      : `A live Keywarden API key was posted in a conversation by ${input.poster}. Revoke it unless that conversation is private to its owner.`;
  return adaptiveCard(
    [heading(done ? '⚠ API key exposed — revoked' : '⚠ API key exposed'), text(lead, { color: 'attention' }), keyFacts(input.key, nowMs)],
    input.revoke ? [button('Revoke now', VERB.confirm, { action: encodeAction(input.revoke) }, 'destructive')] : [],
  );
}
