import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import { decodeAction, parseBudgetWord, redactKeys, type Reply } from '../../core';
import { decodeBudgetAlertButton } from '../../core/budget-alerts';
import { decodeExposureButton } from '../../core/exposure-notices';
import { decodeKeyRequestButton } from '../../core/key-request-approvals';
import { decodeReminderButton } from '../../core/expiry-reminders';
import { collectRotatedKey, decodeRotationDeliveryButton } from '../../core/rotation-delivery-notices';
import { askerOf, displayName } from '../asker';
import type { TeamsBotContext } from '../bot-context';
import { ADAPTIVE_CARD_CONTENT_TYPE, plain, type AdaptiveCard } from '../cards/adaptive-card';
import { budgetFormCard } from '../cards/budget-alert-card';
import { CREATE_FIELDS, type CreateFormData } from '../cards/create-key-card';
import { DENY_REASON_INPUT } from '../cards/key-request-card';
import { doneCard, outcomeCard } from '../cards/outcome-card';
import { isVerb, VERB } from '../cards/verbs';
import { deliveredNote, replacedNote, teamsPrivateDelivery } from '../private-delivery';
import { cardActivity, publicActivity, redactActivity, textActivity } from '../render-reply';
import { teamsRotationOrigin } from '../rotation-origin';

/**
 * A click on one of Keywarden's card buttons, from either door:
 *   - Action.Execute → `invoke` named `adaptiveCard/action`, answered with an invoke response
 *     (the updated card replaces the clicked one; a message response shows the clicker a notice);
 *   - Action.Submit (the fallback) → a `message` whose `value` is the button's data, answered by
 *     updating the clicked card in place (PUT) or replying with the notice.
 * The actor is always the clicker (from the activity), never anything inside the button data.
 */
type Outcome = { kind: 'card'; card: AdaptiveCard } | { kind: 'notice'; text: string };

export const INVOKE_NAME = 'adaptiveCard/action';
const MESSAGE_RESPONSE_TYPE = 'application/vnd.microsoft.activity.message';

/** The button data of an Action.Submit fallback click, if this message is one. */
export function submittedData(activity: Partial<Activity>): Record<string, unknown> | undefined {
  const value = activity.value as Record<string, unknown> | undefined;
  return value && typeof value === 'object' && isVerb(value.verb) ? value : undefined;
}

export async function onExecute(bot: TeamsBotContext, context: TurnContext): Promise<void> {
  const action = (context.activity.value as { action?: { verb?: unknown; data?: unknown } } | undefined)?.action;
  const data = { ...(action?.data && typeof action.data === 'object' ? (action.data as Record<string, unknown>) : {}), verb: action?.verb };
  const outcome = await decide(bot, context, data);
  const body =
    outcome.kind === 'card'
      ? { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: redactActivity(outcome.card) }
      : { statusCode: 200, type: MESSAGE_RESPONSE_TYPE, value: redactKeys(outcome.text) };
  await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
}

export async function onSubmit(bot: TeamsBotContext, context: TurnContext, data: Record<string, unknown>): Promise<void> {
  const outcome = await decide(bot, context, data);
  if (outcome.kind === 'notice') {
    await context.sendActivity(textActivity(redactKeys(outcome.text)));
    return;
  }
  const replaced = redactActivity(cardActivity(outcome.card));
  const clicked = context.activity.replyToId;
  if (clicked) await context.updateActivity({ ...replaced, id: clicked });
  else await context.sendActivity(replaced);
}

async function decide(bot: TeamsBotContext, context: TurnContext, data: Record<string, unknown>): Promise<Outcome> {
  const clicker = askerOf(context.activity);
  const who = displayName(context.activity);
  switch (data.verb) {
    case VERB.confirm: {
      const action = typeof data.action === 'string' ? decodeAction(data.action) : undefined;
      if (!action) return { kind: 'notice', text: 'This button is not valid any more. Run the command again.' };
      const reply = await bot.conversation.confirm(action, clicker, teamsPrivateDelivery(bot, context), teamsRotationOrigin(context.activity));
      bot.log.info('teams: card action', { verb: data.verb, op: action.op, origin: action.origin, reply: reply.kind });
      if (reply.kind === 'key_delivered') return { kind: 'card', card: outcomeCard(deliveredNote(reply, context.activity), replacedNote(reply), 'good') };
      if (reply.kind === 'done') return { kind: 'card', card: doneCard({ ...reply, by: who }) };
      return notice(reply);
    }
    case VERB.cancel: {
      const reply = await bot.conversation.cancel(clicker);
      if (reply.kind === 'cancelled') return { kind: 'card', card: outcomeCard(`Cancelled by ${who}; nothing changed.`) };
      return notice(reply);
    }
    case VERB.create: {
      const fields: CreateFormData = {};
      for (const field of CREATE_FIELDS) if (typeof data[field] === 'string') fields[field] = data[field];
      const reply = await bot.conversation.submitCreate(fields, clicker, teamsPrivateDelivery(bot, context));
      bot.log.info('teams: card action', { verb: data.verb, reply: reply.kind });
      if (reply.kind === 'key_delivered') return { kind: 'card', card: outcomeCard(deliveredNote(reply, context.activity), undefined, 'good') };
      return notice(reply);
    }
    case VERB.reminder: {
      // The usual command for the key, as whoever clicked: its confirmation replaces the reminder.
      const button = typeof data.button === 'string' ? decodeReminderButton(data.button) : undefined;
      if (!button) return { kind: 'notice', text: 'This button is not valid any more.' };
      const reply = await bot.conversation.command(`${button.op} ${button.keyId}`, clicker, teamsPrivateDelivery(bot, context));
      bot.log.info('teams: card action', { verb: data.verb, op: button.op, reply: reply.kind });
      if (reply.kind === 'key_delivered') return { kind: 'card', card: outcomeCard(deliveredNote(reply, context.activity), replacedNote(reply), 'good') };
      return notice(reply);
    }
    case VERB.budgetAlert: {
      // Pause key: the usual pause confirmation. Raise budget…: a form for the new budget, offered to an admin only.
      const button = typeof data.button === 'string' ? decodeBudgetAlertButton(data.button) : undefined;
      if (!button) return { kind: 'notice', text: 'This button is not valid any more.' };
      bot.log.info('teams: card action', { verb: data.verb, op: button.op });
      if (button.op === 'pause') {
        const reply = await bot.conversation.command(`pause ${button.keyId}`, clicker, teamsPrivateDelivery(bot, context));
        return reply.kind === 'key_delivered' ? { kind: 'notice', text: 'Done.' } : notice(reply);
      }
      const form = await bot.conversation.budgetForm(button.keyId, clicker);
      return form.kind === 'budget_form' ? { kind: 'card', card: budgetFormCard(form.key) } : notice(form);
    }
    case VERB.budget: {
      // The form came back: `budget <id> <amount>` as the clicker, whose confirmation replaces the form.
      const keyId = typeof data.keyId === 'string' && /^key_[0-9A-Za-z]{1,64}$/.test(data.keyId) ? data.keyId : undefined;
      const parsed = parseBudgetWord(typeof data.budget === 'string' ? data.budget : '');
      if (!keyId) return { kind: 'notice', text: 'This form is not valid any more.' };
      if (!parsed.ok) return { kind: 'notice', text: `⚠️ ${parsed.message}` };
      const reply = await bot.conversation.run({ name: 'budget', key: keyId, budget: parsed.budget }, clicker, teamsPrivateDelivery(bot, context));
      bot.log.info('teams: card action', { verb: data.verb, reply: reply.kind });
      return reply.kind === 'key_delivered' ? { kind: 'notice', text: 'Done.' } : notice(reply);
    }
    case VERB.exposure: {
      // Show usage: the figures read again. Create replacement: its confirmation, to an admin only; the value then goes to the clicker's 1:1 chat.
      const button = typeof data.button === 'string' ? decodeExposureButton(data.button) : undefined;
      if (!button) return { kind: 'notice', text: 'This button is not valid any more.' };
      const reply = await bot.conversation.exposureButton(button, clicker);
      bot.log.info('teams: card action', { verb: data.verb, op: button.op, reply: reply.kind });
      return reply.kind === 'key_delivered' ? { kind: 'notice', text: 'Done.' } : notice(reply);
    }
    case VERB.keyRequest: {
      // Approve / Deny as the clicker (the API decides who may, once); the decision replaces the card. Collect key: the value to the requester's 1:1 chat.
      const button = typeof data.button === 'string' ? decodeKeyRequestButton(data.button) : undefined;
      if (!button) return { kind: 'notice', text: 'This button is not valid any more.' };
      const reason = typeof data[DENY_REASON_INPUT] === 'string' ? data[DENY_REASON_INPUT] : undefined;
      const reply = await bot.conversation.keyRequestButton(button, clicker, teamsPrivateDelivery(bot, context), reason);
      bot.log.info('teams: card action', { verb: data.verb, op: button.op, requestId: button.requestId, reply: reply.kind });
      if (reply.kind === 'key_delivered') return { kind: 'card', card: outcomeCard(`Collected key “${plain(reply.key.name)}”; the value is in the card I just sent you.`, undefined, 'good') };
      if (reply.kind === 'text' && button.op !== 'collect') return { kind: 'card', card: outcomeCard(plain(reply.text), undefined, 'good') };
      return notice(reply);
    }
    case VERB.rotationDelivery: {
      // Collect key on a scheduled rotation's notice: the value to the clicker's 1:1 chat, if the API finds them the owner.
      const button = typeof data.button === 'string' ? decodeRotationDeliveryButton(data.button) : undefined;
      if (!button) return { kind: 'notice', text: 'This button is not valid any more.' };
      const reply = await collectRotatedKey(bot.client, button.keyId, clicker, teamsPrivateDelivery(bot, context));
      bot.log.info('teams: card action', { verb: data.verb, keyId: button.keyId, reply: reply.kind });
      if (reply.kind === 'key_delivered') return { kind: 'card', card: outcomeCard(`Collected the new value of “${plain(reply.key.name)}”; it is in the card I just sent you.`, undefined, 'good') };
      return notice(reply);
    }
    default:
      return { kind: 'notice', text: 'I don’t know this button. Run the command again.' };
  }
}

/** Anything but a finished action: said to the clicker, the card stays as it was. */
function notice(reply: Exclude<Reply, { kind: 'key_delivered' }>): Outcome {
  if (reply.kind === 'error' || reply.kind === 'text') return { kind: 'notice', text: reply.kind === 'error' ? `⚠️ ${reply.message}` : reply.text };
  const rendered = publicActivity(reply);
  const card = rendered.attachments?.[0]?.content as AdaptiveCard | undefined;
  return card ? { kind: 'card', card } : { kind: 'notice', text: rendered.text ?? 'Done.' };
}
