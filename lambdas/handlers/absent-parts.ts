import { KeywardenError } from '../core/errors';
import type { Upstream } from '../core/ports';
import type { Deployments, EventDelivery, ModelAccess, OpenApiDocuments, OperatorAccess, ServiceParts } from '../services-core';

/**
 * The parts a Lambda function is built without (services-core.ts `ServiceParts`), and the
 * function built with none of the real ones: the scheduled rotations. This file imports no real
 * part's file, so the bundles of the functions that import it carry none of that code
 * (function-parts.ts says why a file each: the bundler keeps an imported module's package imports
 * even when its exports go unused).
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

/** No OpenAPI document: it is the API function's (api-parts.ts), and no other function routes GET /v1/openapi.json. */
export const noOpenApi: OpenApiDocuments = () => Promise.reject(new Error('the OpenAPI document is not built into this function (the API function serves it)'));

/** The scheduled rotations function (handlers/secret-rotation-schedule.ts): its events are the outbox's, delivered by the events function. */
export const ROTATIONS_PARTS: ServiceParts = { models: noModelCalls, delivery: noEventDelivery, operator: noOperator, openApi: noOpenApi };
