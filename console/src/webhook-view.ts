import { EVENT_TYPES, type EventType } from '../../lambdas/core/events';
import type { CallInput, CallOutput } from '../../lambdas/http/client';
import type { Me } from './api';
import { when } from './format';

/**
 * The Webhooks tab's decisions, apart from its markup (issue 22): what the signed-in key may be
 * offered, the Add form's choice of events as the API takes it, and a delivery in words. The
 * console's reading only: the API decides, and refuses with 403 whatever the page showed.
 */

/** The wire shapes, from the typed client: the same schemas the server answers with. */
export type Webhook = CallOutput<'listWebhooks'>['data'][number];
export type NewWebhook = CallOutput<'createWebhook'>;
export type NewWebhookBody = CallInput<'createWebhook'>['body'];
export type DeliveryPage = CallOutput<'listWebhookDeliveries'>;
export type Delivery = DeliveryPage['data'][number];

export interface WebhookPowers {
  /** The tab is offered at all (webhooks:read). */
  read: boolean;
  /** Why Add and Remove are off, if they are (no webhooks:write; adding also needs audit:read). */
  addBlocked?: string;
  removeBlocked?: string;
}

/**
 * From `/v1/me`, the key the session acts through (a person's session: the project's Automator
 * key, which holds admin). `admin` holds every scope. Row filters on audit:read cannot be seen
 * from here: the API says so when it refuses.
 */
export function webhookPowers(me: Me | undefined): WebhookPowers {
  if (!me) return { read: false };
  const scopes: readonly string[] = me.scopes;
  const holds = (scope: string) => scopes.includes('admin') || scopes.includes(scope);
  if (!holds('webhooks:read')) return { read: false };
  const noWrite = holds('webhooks:write') ? undefined : 'Your key lacks the webhooks:write permission, so it cannot add or remove webhooks.';
  const noAudit = holds('audit:read') ? undefined : 'Adding a webhook also needs the audit:read permission (an event tells what the audit trail does).';
  return { read: true, addBlocked: noWrite ?? noAudit, removeBlocked: noWrite };
}

/** What the Add form sends: every type checked is no list at all (the API's default: every type). */
export function newWebhookBody(url: string, events: readonly EventType[], description: string): NewWebhookBody {
  const all = EVENT_TYPES.every((t) => events.includes(t));
  const said = description.trim();
  return { url: url.trim(), ...(all ? {} : { events: EVENT_TYPES.filter((t) => events.includes(t)) }), ...(said ? { description: said } : {}) };
}

/** A webhook's events in words: `All events`, or the list. */
export function eventsWords(events: readonly string[]): string {
  return events.length === EVENT_TYPES.length ? 'All events' : events.join(', ');
}

/** The receiver's last answer: its HTTP status, else why none came back. */
export function lastAnswerWords(d: Pick<Delivery, 'lastStatus' | 'lastError' | 'attempts'>): string {
  if (d.lastStatus !== null) return `HTTP ${d.lastStatus}${d.lastError ? ` (${d.lastError})` : ''}`;
  return d.lastError ?? (d.attempts === 0 ? 'Not tried yet' : '—');
}

/** When it is tried next: only a pending delivery is. */
export function nextRetryWords(d: Pick<Delivery, 'status' | 'nextAttemptAt'>): string {
  if (d.status === 'delivered') return '—';
  if (d.status === 'failed') return 'Given up';
  return when(d.nextAttemptAt, 'Soon');
}

/** A status in words (never colour alone). */
export const DELIVERY_STATUS: Record<Delivery['status'], string> = { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' };
