import type { Activity } from 'botbuilder';
import { redactKeys, type NewKeyReply, type Reply } from '../core';
import { ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard } from './cards/adaptive-card';
import { auditCard } from './cards/audit-card';
import { confirmCard } from './cards/confirm-card';
import { createKeyCard } from './cards/create-key-card';
import { helpCard } from './cards/help-card';
import { keyDetailsCard } from './cards/key-details-card';
import { ambiguousCard, keyListCard } from './cards/key-list-card';
import { exposureUsageCard } from './cards/exposure-card';
import { leakAlertCard } from './cards/leak-alert-card';
import { newKeyCard } from './cards/new-key-card';
import { doneCard } from './cards/outcome-card';
import { usageCard } from './cards/usage-card';
import { whoamiCard } from './cards/whoami-card';

/**
 * The core's replies as Teams message activities. A new key (`NewKeyReply`) has its own function and its own
 * caller (the private delivery, private-delivery.ts), which also words `key_delivered` for the
 * asking conversation; everything else goes through `publicActivity`, which redacts any
 * well-formed key from the whole activity as a second line of defence.
 */
export type PublicReply = Exclude<Reply, { kind: 'key_delivered' }>;
export type { NewKeyReply };

export function cardActivity(card: AdaptiveCard): Partial<Activity> {
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }] };
}

export function textActivity(text: string): Partial<Activity> {
  return { type: 'message', text, textFormat: 'markdown' };
}

/** For channels, group chats and anything else not the new-key delivery. */
export function publicActivity(reply: PublicReply, nowMs = Date.now()): Partial<Activity> {
  return redactActivity(renderPublic(reply, nowMs));
}

/** Only for the asker's personal chat (bots/teams/private-delivery.ts). */
export function newKeyActivity(reply: NewKeyReply): Partial<Activity> {
  return cardActivity(newKeyCard(reply));
}

function renderPublic(reply: PublicReply, nowMs: number): Partial<Activity> {
  switch (reply.kind) {
    case 'text':
      return textActivity(reply.text);
    case 'chat_answer':
      return textActivity(reply.text);
    case 'console_link':
      return textActivity(`🔑 [Open the API Keys console](${reply.url}) — a one-time link for you only: it works once, until ${reply.expiresAt}.`);
    case 'error':
      return textActivity(`⚠️ ${reply.message}`);
    case 'cancelled':
      return textActivity('Cancelled; nothing changed.');
    case 'help':
      return cardActivity(helpCard(reply));
    case 'key_list':
      return cardActivity(keyListCard(reply, nowMs));
    case 'key_details':
      return cardActivity(keyDetailsCard(reply.key, nowMs));
    case 'ambiguous':
      return cardActivity(ambiguousCard(reply, nowMs));
    case 'create_form':
      return cardActivity(createKeyCard(reply));
    case 'confirm':
      return cardActivity(confirmCard(reply, nowMs));
    case 'done':
      return cardActivity(doneCard(reply, nowMs));
    case 'audit_list':
      return cardActivity(auditCard(reply, nowMs));
    case 'usage':
      return cardActivity(usageCard(reply, nowMs));
    case 'whoami':
      return cardActivity(whoamiCard(reply));
    case 'leak_alert':
      return cardActivity(leakAlertCard(reply, nowMs));
    case 'exposure_usage':
      return cardActivity(exposureUsageCard(reply.key, reply.usage, nowMs));
  }
}

/**
 * Every well-formed key anywhere in the activity (text, card, data) replaced by its start. Keys
 * are [A-Za-z0-9_] only, so rewriting the JSON text cannot break its structure.
 */
export function redactActivity<T>(activity: T): T {
  return JSON.parse(redactKeys(JSON.stringify(activity))) as T;
}
