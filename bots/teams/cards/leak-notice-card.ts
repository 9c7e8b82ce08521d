import type { ApiKey } from '../../core/api-types';
import { encodeAction, type PendingAction } from '../../core/pending-action';
import { startPreview } from '../../core/key-text';
import { adaptiveCard, button, heading, plain, text, type AdaptiveCard } from './adaptive-card';
import { VERB } from './verbs';

/**
 * The leak guard's answer in the conversation where a live key was posted: names the key by its
 * start only, and offers the one-click revoke — which works for project admins only (the core
 * checks whoever clicks).
 */
export function leakNoticeCard(input: { key: ApiKey; posterName: string; revoke: PendingAction }): AdaptiveCard {
  return adaptiveCard(
    [
      heading('⚠ Live API key posted'),
      text(
        `${plain(input.posterName)}, that message contains a live API key of this project (${startPreview(input.key)}, “${plain(input.key.name)}”). Anyone here can use it: delete the message. The project admins have been alerted.`,
        { color: 'attention' },
      ),
      text('Project admins can revoke the key right here.', { isSubtle: true }),
    ],
    [button('Revoke key (admins)', VERB.confirm, { action: encodeAction(input.revoke) }, 'destructive')],
  );
}
