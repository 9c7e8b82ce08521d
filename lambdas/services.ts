import { LocalModel } from './adapters/local-model';
import type { Config } from './config';
import { composeServices, type ServiceOverrides, type Services } from './services-core';

export type { ServiceOverrides, Services } from './services-core';
export { keyServices } from './services-core';

/**
 * The services of a process that serves model calls (the streaming function, the events function,
 * the local server, the CLI, tests): with no upstream configured, the labelled local model answers.
 */
export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  return composeServices(config, overrides, (c) => new LocalModel(c.modelId));
}
