import { InvalidArgumentError } from 'commander';
import { EVENT_TYPES, isEventType, type EventType } from '../../lambdas/core/events';
import type { CallOutput } from '../../lambdas/http/client';

/**
 * `webhooks` between the command line and people: the --events list read against the event
 * vocabulary (before any call, so a typo is named with the choices), and the webhooks and their
 * delivery log as aligned tables. No I/O here.
 */

export type ApiWebhook = CallOutput<'listWebhooks'>['data'][number];
export type ApiDelivery = CallOutput<'listWebhookDeliveries'>['data'][number];

/**
 * `key.revoked,key.exposed`: the event types a webhook receives, or undefined for `all` (the API's
 * default: every type). Duplicates collapse; order is the vocabulary's.
 */
export function parseEvents(v: string): EventType[] | undefined {
  const words = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (words.length === 1 && words[0] === 'all') return undefined;
  const unknown = words.filter((w) => !isEventType(w));
  if (words.length === 0 || unknown.length > 0) {
    const what = words.length === 0 ? 'no event type given' : `unknown event type${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`;
    throw new InvalidArgumentError(`${what}; --events takes a comma-separated list of ${EVENT_TYPES.join(', ')} (or all)`);
  }
  return EVENT_TYPES.filter((t) => words.includes(t));
}

/** UTC to the minute, as the key table shows times. */
const time = (iso: string | null, none: string) => (iso ? iso.slice(0, 16).replace('T', ' ') : none);

/** Every type, said as `all`; else the list. */
export function eventsText(events: readonly string[]): string {
  return events.length === EVENT_TYPES.length ? 'all' : events.join(',');
}

/** An aligned table under a header, the last column left ragged (it may hold spaces). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

/** `webhooks list` for people: never a secret (the API answers none after creation). */
export function webhookTable(list: ApiWebhook[]): string {
  if (list.length === 0) return 'no webhooks';
  return table([
    ['ID', 'CREATED (UTC)', 'EVENTS', 'URL', 'DESCRIPTION'],
    ...list.map((w) => [w.id, time(w.createdAt, ''), eventsText(w.events), w.url, w.description ?? '']),
  ]);
}

/** One webhook on a line, for `add`. */
export function webhookLine(w: ApiWebhook): string {
  return `${w.id}  ${w.url}  events ${eventsText(w.events)}  created ${w.createdAt}${w.description ? `  "${w.description}"` : ''}`;
}

/** The last answer of a delivery: the receiver's HTTP status, else why no status came back. */
export function lastAnswer(d: Pick<ApiDelivery, 'lastStatus' | 'lastError' | 'attempts'>): string {
  if (d.lastStatus !== null && d.lastError) return `${d.lastStatus} ${d.lastError}`;
  if (d.lastStatus !== null) return String(d.lastStatus);
  return d.lastError ?? (d.attempts === 0 ? 'not tried yet' : '-');
}

/** `webhooks deliveries` for people: newest event first, then how to read the next page. */
export function deliveryTable(page: CallOutput<'listWebhookDeliveries'>): string {
  const rows = page.data.length === 0
    ? 'no deliveries'
    : table([
        ['EVENT ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT (UTC)', 'LAST ANSWER'],
        ...page.data.map((d) => [d.eventId, d.eventType, d.status, String(d.attempts), time(d.nextAttemptAt, '-'), lastAnswer(d)]),
      ]);
  return page.nextCursor ? `${rows}\nmore: --cursor ${page.nextCursor}` : rows;
}
