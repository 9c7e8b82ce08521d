import { eventBusFor } from './adapters/eventbridge-bus';
import { WebhookSender } from './adapters/webhook-sender';
import { EventRelay } from './core/event-relay';
import { EventSweep } from './core/event-sweep';
import type { EventDelivery } from './services-core';

/**
 * The real event delivery part (services-core.ts `ServiceParts`), alone in its file: only a process
 * that delivers events imports it, so only its bundle carries the webhook signing (standardwebhooks
 * and its hashing, ~13 KB) and the EventBridge client (services-parts.ts says why a file each).
 *
 * The outbox's delivery (the events function, the local stack): the relay that sends stored events
 * to the bus and the projects' webhooks, signed and sent by the webhook sender (the override's
 * transport when given), and the sweep that stores the events no request announces.
 */
export const eventDelivery: EventDelivery = ({ config, store, clock, logger, events, keyRequests, webhooks, transport }) => {
  const bus = eventBusFor(config);
  const sender = transport ?? new WebhookSender({ allowLoopback: config.webhooksAllowLoopback });
  return {
    bus,
    relay: new EventRelay({ store, clock, log: logger, bus, transport: sender, unseal: (w) => webhooks.unseal(w) }),
    eventSweep: new EventSweep({ store, clock, events, log: logger, keyRequests }),
  };
};
