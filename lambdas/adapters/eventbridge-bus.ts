/**
 * The platform's EventBridge bus (issue 22 point 3; docs/events.md): lifecycle events put with
 * PutEvents. One entry per event:
 *
 *   Source        `keywarden` — the same in every stage: each stage has its own bus
 *                 (`<resourcePrefix>-events`), so a rule pattern is written once and works on any
 *   DetailType    the event's type, e.g. `key.rotated`
 *   Detail        the whole LifecycleEvent as JSON (the webhook payload, byte for byte the same shape)
 *   Time          the event's own timestamp, not the moment it was relayed
 *
 * PutEvents takes at most 10 entries and 256 KB a call, so events go in batches under both. An
 * entry the API refuses comes back in `failed` with its error code and message (the relay retries
 * it later). When no call gets through at all, put throws (the relay retries them all); when some
 * do, the events of a failed call are reported failed and those already on the bus stay delivered.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config';
import type { LifecycleEvent } from '../core/events';
import type { EventBus } from '../core/ports';

export const EVENT_SOURCE = 'keywarden';
/** PutEvents' own limits: entries a call, and bytes a call as EventBridge counts them. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;
/** EventBridge counts a `Time` as 14 bytes, whatever its text. */
const TIME_BYTES = 14;

export interface EventBridgeBusOptions {
  busName: string;
  /** Tests only: a stand-in on 127.0.0.1 (fixed region, placeholder credentials). */
  endpoint?: string;
  /** Bounds of one attempt; the relay runs on a schedule, so a slow bus must not hold it. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
}

/** An entry's size as PutEvents counts it toward the 256 KB. */
function entryBytes(entry: PutEventsRequestEntry): number {
  const text = [entry.Source, entry.DetailType, entry.Detail, entry.EventBusName, ...(entry.Resources ?? [])];
  return text.reduce((n, s) => n + (s ? Buffer.byteLength(s, 'utf8') : 0), entry.Time ? TIME_BYTES : 0);
}

export class EventBridgeBus implements EventBus {
  readonly label: string;
  private readonly client: EventBridgeClient;

  constructor(private readonly options: EventBridgeBusOptions) {
    this.label = `eventbridge:${options.busName}`;
    // throwOnRequestTimeout: without it the Node handler only logs a warning when requestTimeout
    // passes and waits on (found by this adapter's test against a stand-in that never answers).
    const requestHandler = {
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
    };
    const maxAttempts = options.maxAttempts ?? 2;
    this.client = options.endpoint
      ? new EventBridgeClient({
          endpoint: options.endpoint,
          region: 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          requestHandler,
          maxAttempts,
        })
      : new EventBridgeClient({ requestHandler, maxAttempts });
  }

  async put(events: LifecycleEvent[]): Promise<{ failed: Array<{ id: string; reason: string }> }> {
    const failed: Array<{ id: string; reason: string }> = [];
    const batches = this.batches(events, failed);
    let callFailure: unknown;
    let callsAnswered = 0;
    for (const batch of batches) {
      let out;
      try {
        out = await this.client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
      } catch (err) {
        // The batches already on the bus stay delivered: only this call's events are retried.
        callFailure = err;
        const reason = `PutEvents failed: ${(err as Error).name}: ${(err as Error).message}`.slice(0, 300);
        for (const b of batch) failed.push({ id: b.id, reason });
        continue;
      }
      callsAnswered += 1;
      if (!out.FailedEntryCount) continue;
      // Results come back in the order of the entries sent.
      (out.Entries ?? []).forEach((result, i) => {
        if (result.ErrorCode || !result.EventId) {
          failed.push({ id: batch[i]!.id, reason: `${result.ErrorCode ?? 'Failed'}: ${result.ErrorMessage ?? 'no message'}` });
        }
      });
    }
    // No call got through (the bus, the network or the credentials are down): the relay retries them all.
    if (batches.length > 0 && callsAnswered === 0) throw callFailure;
    return { failed };
  }

  /** The events as PutEvents batches; one too large for any call is reported failed, not sent. */
  private batches(events: LifecycleEvent[], failed: Array<{ id: string; reason: string }>) {
    const batches: Array<Array<{ id: string; entry: PutEventsRequestEntry }>> = [];
    let current: Array<{ id: string; entry: PutEventsRequestEntry }> = [];
    let bytes = 0;
    for (const event of events) {
      const entry: PutEventsRequestEntry = {
        Source: EVENT_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event),
        EventBusName: this.options.busName,
        Time: new Date(event.timestamp),
      };
      const size = entryBytes(entry);
      if (size > MAX_BYTES) {
        failed.push({ id: event.id, reason: `EntryTooLarge: ${size} bytes, over PutEvents' ${MAX_BYTES}` });
        continue;
      }
      if (current.length === MAX_ENTRIES || bytes + size > MAX_BYTES) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push({ id: event.id, entry });
      bytes += size;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }
}

/** The bus lifecycle events go on, or undefined when none is configured (local, tests, a stack without one). */
export function eventBusFor(config: Pick<Config, 'eventBus'>): EventBus | undefined {
  const { name, endpoint } = config.eventBus;
  if (!name) return undefined;
  return new EventBridgeBus({ busName: name, ...(endpoint ? { endpoint } : {}) });
}
