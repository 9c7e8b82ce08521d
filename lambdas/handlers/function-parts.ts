import { KeywardenError } from '../core/errors';
import type { Upstream } from '../core/ports';
import type { Deployments, EventDelivery, ModelAccess, OperatorAccess, ServiceParts } from '../services-core';
import { eventDelivery, modelAccess } from '../services-parts';

/**
 * What each Lambda function is built with beyond what every request uses (services-core.ts
 * `ServiceParts`): in AWS model calls are the streaming function's, event delivery the events
 * function's, and operator actions no function's (the CLI's). A part a function is built without
 * is one of the absent ones below, so its bundle carries none of that part's code. One export per
 * function: an entry imports its own and the bundler leaves the others' parts out.
 */

/**
 * A part whose use here would be a wiring mistake: reading any of its members throws, naming the
 * part and the process that runs it — never a silent no-op. (Promise resolution and inspection,
 * `then` and symbols, see an empty object.)
 */
export function absentPart<T extends object>(part: string, runsIn: string): T {
  return new Proxy(Object.create(null) as T, {
    get(_target, member) {
      if (typeof member === 'symbol' || member === 'then') return undefined;
      throw new Error(`${part} is not built into this function (${runsIn} runs it): ${member} used`);
    },
  });
}

/**
 * No model calls: were one ever routed to a function that serves none, it is refused (404), never
 * answered by the offline stand-in.
 */
const refused = () => new KeywardenError('not_found', 'Model calls are not served by this function.');
const NO_UPSTREAM: Upstream = { label: 'none (this function serves no model call)', forward: () => Promise.reject(refused()) };
const NO_DEPLOYMENTS: Deployments = {
  forward: () => Promise.reject(refused()),
  inOrder: () => Promise.reject(refused()),
  built: () => undefined,
  at: () => {
    throw refused();
  },
  only: () => NO_DEPLOYMENTS,
};
export const noModelCalls: ModelAccess = () => ({
  upstream: NO_UPSTREAM,
  deployments: NO_DEPLOYMENTS,
  billing: absentPart('model call billing', 'the streaming function'),
  accountGate: absentPart('the model routes\' account gate', 'the streaming function'),
});

/** No event delivery: the outbox still stores every event; the events function delivers them. */
export const noEventDelivery: EventDelivery = () => ({
  relay: absentPart('the event relay', 'the events function'),
  eventSweep: absentPart('the event sweep', 'the events function'),
  bus: undefined,
});

/** No operator actions: they are the CLI's (`keywarden`), never a function's. */
export const noOperator: OperatorAccess = () => absentPart('the operator actions', 'the CLI');

/** The API function (Keywarden's own routes, handlers/api.ts). */
export const API_PARTS: ServiceParts = { models: noModelCalls, delivery: noEventDelivery, operator: noOperator };
/** The response-streaming function (OpenAI's routes, handlers/responses.ts). */
export const STREAMING_PARTS: ServiceParts = { models: modelAccess, delivery: noEventDelivery, operator: noOperator };
/** The events function (handlers/events.ts). */
export const EVENTS_PARTS: ServiceParts = { models: noModelCalls, delivery: eventDelivery, operator: noOperator };
/** The scheduled rotations function (handlers/secret-rotation-schedule.ts): its events are the outbox's, delivered by the events function. */
export const ROTATIONS_PARTS: ServiceParts = { models: noModelCalls, delivery: noEventDelivery, operator: noOperator };
