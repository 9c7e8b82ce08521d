import type { Config } from './config';
import { liveOpenApi } from './http/openapi';
import { composeServices, type ServiceOverrides, type ServiceParts, type Services } from './services-core';
import { eventDelivery } from './services-delivery';
import { modelAccess, operatorActions } from './services-parts';

export type { Deployments, ServiceOverrides, Services } from './services-core';
export { keyServices } from './services-core';

/** Every part: what a process that runs everything builds. */
const ALL_PARTS: ServiceParts = { models: modelAccess, delivery: eventDelivery, operator: operatorActions, openApi: liveOpenApi() };

/**
 * The services of a process that runs every part (the local stack, the CLI, tests): model calls,
 * event delivery and the operator's actions (services-parts.ts, services-delivery.ts). Each Lambda
 * function builds only the parts it runs (lambdas/handlers/).
 */
export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  return composeServices(config, overrides, ALL_PARTS);
}
