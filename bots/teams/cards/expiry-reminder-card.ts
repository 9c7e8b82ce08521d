import { encodeReminderButton, type ExpiryReminderReply } from '../../core/expiry-reminders';
import { adaptiveCard, button, heading, text, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';
import { VERB } from './verbs';

const LEAD = {
  '14d': '⏳ An API key of this project expires within 14 days',
  '3d': '⚠ An API key of this project expires within 3 days',
  expired: '⛔ An API key of this project has just expired',
} as const;

/**
 * An expiry reminder, to one admin's 1:1 chat: the key by its start, expiry and last use, and
 * Rotate… / Revoke… buttons that start the usual confirmation for whoever clicks.
 */
export function expiryReminderCard(reply: ExpiryReminderReply, nowMs = Date.now()): AdaptiveCard {
  const { key } = reply;
  return adaptiveCard(
    [
      heading(LEAD[reply.threshold]),
      keyFacts(key, nowMs),
      ...(reply.idle ? [text('Not used in 90 days: if nothing needs it, revoke it rather than rotate it.', { color: 'warning' })] : []),
    ],
    [
      button('Rotate…', VERB.reminder, { button: encodeReminderButton({ op: 'rotate', keyId: key.id }) }),
      button('Revoke…', VERB.reminder, { button: encodeReminderButton({ op: 'revoke', keyId: key.id }) }, 'destructive'),
    ],
  );
}
