import { rotationFailureFacts, type RotationFailureReply } from '../../core/rotation-failure-notices';
import { adaptiveCard, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';

/** A scheduled rotation that could not deliver its value (bots/core/rotation-failure-notices.ts): names, never a value; caller-given text made plain. */
export function rotationFailureCard(reply: RotationFailureReply, nowMs = Date.now()): AdaptiveCard {
  const f = rotationFailureFacts(reply, nowMs);
  return adaptiveCard([
    heading('⚠ Scheduled rotation failed'),
    text(plain(f.lead), { color: 'attention' }),
    facts([
      ['Delivers to', plain(f.destination)],
      ['Why', plain(f.reason)],
      ['When', f.when],
      ['Key', reply.key.id],
    ]),
    text(f.next, { isSubtle: true }),
  ]);
}
