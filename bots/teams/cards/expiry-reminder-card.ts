import { encodeReminderButton, IDLE_NOTE, REMINDER_LEAD, type ExpiryReminderReply } from '../../core/expiry-reminders';
import { adaptiveCard, button, heading, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';

const EMOJI = { '14d': '⏳', '3d': '⚠', expired: '⛔' } as const;

/**
 * An expiry reminder, to one admin's 1:1 chat: the key by its start, expiry and last use, and
 * Rotate… / Revoke… buttons that start the usual confirmation for whoever clicks.
 */
export function expiryReminderCard(reply: ExpiryReminderReply, nowMs = Date.now()): AdaptiveCard {
  const { key } = reply;
  return adaptiveCard(
    [
      heading(`${EMOJI[reply.threshold]} ${REMINDER_LEAD[reply.threshold]}`),
      keyFacts(key, nowMs),
      ...(reply.idle ? [text(IDLE_NOTE, { color: 'warning' })] : []),
    ],
    [
      button('Rotate…', VERB.reminder, { button: encodeReminderButton({ op: 'rotate', keyId: key.id }) }),
      button('Revoke…', VERB.reminder, { button: encodeReminderButton({ op: 'revoke', keyId: key.id }) }, 'destructive'),
    ],
  );
}
