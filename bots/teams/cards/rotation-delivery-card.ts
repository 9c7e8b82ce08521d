import { encodeRotationDeliveryButton, rotationDeliveryFacts, type RotationDeliveryNotice } from '../../core/rotation-delivery-notices';
import { adaptiveCard, button, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';
import { VERB } from './verbs';

/**
 * A scheduled rotation's notice to the key's owner, in their 1:1 chat
 * (bots/core/rotation-delivery-notices.ts): which key, until when, and `Collect key`. The key's
 * name is shown as text (`plain`); no card here carries a key value.
 */
export function rotationDeliveryCard(notice: RotationDeliveryNotice): AdaptiveCard {
  const f = rotationDeliveryFacts(notice);
  const d = notice.delivery;
  return adaptiveCard(
    [
      heading('🔄 Your rotated key is waiting'),
      text(plain(f.lead)),
      facts([
        ['New key', `${d.keyStart}… (${d.keyId})`],
        ['Replaces', d.replacedKeyId],
        ['Collect by', d.claimUntil],
      ]),
      text('Collect it here, once: the value is shown only to you, in this chat. Not collected by then, the rotation is undone and the admins are told.', { isSubtle: true }),
    ],
    [button('Collect key', VERB.rotationDelivery, { button: encodeRotationDeliveryButton({ op: 'collect', keyId: d.keyId }) }, 'positive')],
  );
}
