/**
 * Lifecycle events (issue 22 point 3; docs/events.md): what happened to a key, a budget or an
 * account's balance, told to the platform's EventBridge bus and to each project's webhooks. No
 * Node-only import: the console and the CLI read these shapes too.
 *
 * An event never carries a raw key: a key is named by its id, name and visible start.
 */

export const EVENT_TYPES = [
  'key.created',
  'key.updated',
  'key.rotated',
  'key.revoked',
  'key.disabled',
  'key.enabled',
  'key.deleted',
  'key.expiring',
  'key.exposed',
  // A scheduled rotation whose new value could not be delivered: undone or never made (key-rotation-failure.ts).
  'key.rotation_failed',
  // A key asked for, and what became of the request (key-request-events.ts; docs/events.md).
  'key_request.requested',
  'key_request.approved',
  'key_request.denied',
  'key_request.expired',
  'key_request.claimed',
  'budget.threshold',
  'account.credits_low',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/** The key-changing audit actions and the event each announces once it landed. */
export const EVENT_OF_ACTION = {
  'key.create': 'key.created',
  'key.update': 'key.updated',
  'key.rotate': 'key.rotated',
  'key.revoke': 'key.revoked',
  'key.disable': 'key.disabled',
  'key.enable': 'key.enabled',
  'key.delete': 'key.deleted',
  'key.exposed': 'key.exposed',
} as const satisfies Record<string, EventType>;

/** A detail's value: what audit details hold, and null for "removed". */
export type EventDetail = string | number | boolean | null;

/** A key as an event names it: never its value. */
export interface EventKey {
  id: string;
  name: string;
  /** The visible start, e.g. `archie_4fQa`. */
  start: string;
  type: string;
}

/** Who made the change: the audit record's actor, the key it came in with, the bot that relayed it. */
export interface EventActor {
  id: string;
  viaKeyId?: string;
  viaBot?: string;
}

/**
 * One event, as the bus and webhooks receive it (the Standard Webhooks payload shape: `type`,
 * `timestamp`, `data`, with the event's `id`, which is also the `webhook-id` of every delivery).
 */
export interface LifecycleEvent {
  /** `evt_` + 22 base62: the same on every delivery and retry of this event. */
  id: string;
  type: EventType;
  /** ISO time of the change (or of the crossing, for thresholds). */
  timestamp: string;
  data: {
    account: string;
    /** Absent for account events. */
    project?: string;
    /** Absent for account events. */
    key?: EventKey;
    /** Absent when nobody acted (expiry, thresholds). */
    actor?: EventActor;
    /** What changed: an edit's fields "before → after", a rotation's replacement, a threshold's figures. */
    details: Record<string, EventDetail>;
  };
}

/** Where an event goes: the platform's bus (AWS) and each subscribed webhook of its project. */
export type DeliveryTarget = 'bus' | `webhook:${string}`;

/** Every target of one event, and how far each got. */
export type Targets = Partial<Record<DeliveryTarget, TargetState>>;

/** One target's progress with one event. */
export interface TargetState {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Epoch ms of the next attempt while pending. */
  nextAt?: number;
  lastAttemptAt?: number;
  /** The receiver's HTTP status on the last attempt, if it answered. */
  lastStatus?: number;
  /** Why the last attempt failed (never an answer body). */
  lastError?: string;
  deliveredAt?: number;
}

/**
 * An event in the outbox (Store.putEvent …). `pending`: written before the change it announces,
 * with a marker on the key's own write (`marker`); it becomes `ready` once the change is known to
 * have landed — confirmed by the writer, or found by the relay after `due` (the writer died). A
 * pending event whose change never landed is dropped. `due` is when the relay next looks at it;
 * absent once every target is done (the event leaves the outbox and stays as a record).
 */
export interface StoredEvent {
  event: LifecycleEvent;
  state: 'pending' | 'ready';
  due?: number;
  /**
   * How the relay tells, for a pending event, that its change landed: the key item carries the
   * event's id in its marker set (`marked`), or the key is gone (`deleted`). Absent: nothing to
   * verify (thresholds, expiry: written ready).
   */
  marker?: { keyId: string; kind: 'marked' | 'deleted' };
  /** Set at the first relay pass: every target the event goes to, and how far each got. */
  targets?: Targets;
}

/** How long a pending event waits for its writer's confirmation before the relay checks the key itself. */
export const PENDING_GRACE_MS = 2 * 60_000;
/** How long a relay pass holds an event (another relay leaves it alone meanwhile). */
export const RELAY_LEASE_MS = 60_000;
/** Deliveries are retried for this long after the event, then given up (status `failed`). */
export const RETRY_FOR_MS = 24 * 60 * 60_000;

/**
 * The wait before attempt `n + 1` after `n` failed attempts: 5 s, 30 s, 2 min, 10 min, 30 min,
 * 1 h, 2 h, then every 4 h — until RETRY_FOR_MS has passed since the event.
 */
export function retryDelayMs(failedAttempts: number): number {
  const steps = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000];
  return steps[Math.min(Math.max(failedAttempts, 1), steps.length) - 1]!;
}

/** A project's webhook endpoint (its signing secret stored sealed, never listed). */
export interface WebhookRecord {
  /** `wh_` + 16 base62. */
  id: string;
  projectId: string;
  url: string;
  /** The event types it receives. */
  events: EventType[];
  description?: string;
  /** The signing secret (`whsec_…`), sealed with a key derived from the hashing secret. */
  sealedSecret: string;
  createdAt: string;
  createdBy: string;
}

/** One event's delivery to one webhook, as its delivery log shows it. */
export interface DeliveryRecord extends TargetState {
  webhookId: string;
  eventId: string;
  eventType: EventType;
  /** The event's time (the log's order). */
  eventAt: string;
}
