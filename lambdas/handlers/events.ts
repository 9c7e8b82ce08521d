import { loadConfig } from '../config';
import { composeServices } from '../services-core';
import { EVENTS_PARTS } from './function-parts';

/**
 * Lambda entry of the events relay (issue 22 point 3; lib/keywarden-events.ts). Invoked three ways,
 * and every way ends in one relay pass over the outbox:
 *
 * - `{ "keywarden": "relay" }` every minute: retries fall due, and a pending event whose writer
 *   died is verified once its grace has passed.
 * - `{ "keywarden": "sweep" }` every 5 minutes: first the events no request announces (keys
 *   expiring, budget thresholds, credits low) are written to the outbox, then the pass.
 * - a DynamoDB Streams batch of event items that became ready: the pass, now rather than at the
 *   next minute. The records themselves are not read: the outbox is the truth, the stream a nudge.
 *
 * A failure throws (the function's Errors alarm; a scheduled run retries, a stream batch is
 * retried a bounded number of times and then left to the next scheduled pass).
 *
 * Built with event delivery only: no model call, no operator action (function-parts.ts).
 */
const services = composeServices(loadConfig(), {}, EVENTS_PARTS);

export type EventsInvocation = { keywarden: 'relay' | 'sweep' } | { Records: unknown[] };

export async function handler(event: EventsInvocation): Promise<void> {
  const trigger = 'Records' in event ? 'stream' : event.keywarden;
  if (trigger === 'sweep') services.logger.info('events sweep', { ...(await services.eventSweep.run()) });
  const report = await services.relay.runDue();
  services.logger.info('events relay pass', { trigger, ...report });
}
