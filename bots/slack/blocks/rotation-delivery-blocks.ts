import { redactKeys } from '../../core';
import { encodeRotationDeliveryButton, rotationDeliveryFacts, type RotationDeliveryNotice } from '../../core/rotation-delivery-notices';
import { ACTION_ROTATION_DELIVERY } from './action-ids';
import { actions, md, section, wire, type WireMessage } from './mrkdwn';

/**
 * A scheduled rotation's notice to the key's owner, in their DM with the bot
 * (bots/core/rotation-delivery-notices.ts): which key, until when, and `Collect key`. The key's
 * name is anyone's choice: escaped by `md`. No value here: the click fetches it, for the owner.
 */
export function rotationDeliveryMessage(notice: RotationDeliveryNotice): WireMessage {
  const facts = rotationDeliveryFacts(notice);
  const lead = md`:arrows_counterclockwise: ${facts.lead}`;
  // A key name that looks like a key is shown masked, as everywhere a person's text is shown.
  const message = wire({
    text: lead,
    blocks: [
      section(md`:arrows_counterclockwise: *${facts.lead}*\n${facts.detail}\n${facts.until}`),
      actions([
        {
          type: 'button',
          action_id: `${ACTION_ROTATION_DELIVERY}_collect`,
          text: { type: 'plain_text', text: 'Collect key' },
          style: 'primary',
          value: encodeRotationDeliveryButton({ op: 'collect', keyId: notice.delivery.keyId }),
        },
      ]),
    ],
  });
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}
