import type { Config } from './config';
import { composeServices, type ServiceOverrides, type Services } from './services-core';
import { ALL_PARTS } from './services-parts';

export type { Deployments, ServiceOverrides, Services } from './services-core';
export { keyServices } from './services-core';

/**
 * The services of a process that runs every part (the local stack, the CLI, tests): model calls,
 * event delivery and the operator's actions (services-parts.ts). Each Lambda function builds only
 * the parts it runs (lambdas/handlers/).
 */
export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  return composeServices(config, overrides, ALL_PARTS);
}
