import type { ApiKey } from '../../core/api-types';
import { encodeAction, type PendingAction } from '../../core/pending-action';
import { startPreview } from '../../core/key-text';
import { adaptiveCard, button, heading, plain, text, type AdaptiveCard } from './adaptive-card';
import { VERB } from './verbs';

/**
 * The leak guard's answer in the conversation where a live key was posted: names the key by its
 * start only, and says it was revoked already (the exposure pipeline ran as the message came
 * in). Only when the pipeline could not be asked does it offer the one-click revoke — which
 * works for project admins only (the core checks whoever clicks).
 */
export function leakNoticeCard(input: { key: ApiKey; posterName: string; handled: 'revoked' | 'rotated' | null; revoke?: PendingAction }): AdaptiveCard {
  const who = `${plain(input.posterName)}, that message contains`;
  const named = `(${startPreview(input.key)}, “${plain(input.key.name)}”)`;
  if (input.handled) {
    return adaptiveCard([
      heading('⚠ API key posted — revoked'),
      text(
        `${who} an API key of this project ${named}. It has been ${input.handled === 'revoked' ? 'revoked: it no longer works' : 'rotated: the old value no longer works'}. Please delete the message anyway. The project admins have been told.`,
        { color: 'attention' },
      ),
    ]);
  }
  return adaptiveCard(
    [
      heading('⚠ Live API key posted'),
      text(`${who} a live API key of this project ${named}. Anyone here can use it: delete the message. The project admins have been alerted.`, { color: 'attention' }),
      text('Project admins can revoke the key right here.', { isSubtle: true }),
    ],
    input.revoke ? [button('Revoke key (admins)', VERB.confirm, { action: encodeAction(input.revoke) }, 'destructive')] : [],
  );
}
