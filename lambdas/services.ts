import type { Logger } from '@aws-lambda-powertools/logger';
import { LocalModel } from './adapters/local-model';
import { OpenAiCompatibleUpstream } from './adapters/upstream';
import { UpstreamDeployments } from './adapters/upstream-deployments';
import { UpstreamKeys } from './adapters/upstream-keys';
import { ConfigError, type Config } from './config';
import type { Clock, SecretsProvider } from './core/ports';
import { composeServices, type ServiceOverrides, type Services } from './services-core';

export type { Deployments, ServiceOverrides, Services } from './services-core';
export { keyServices } from './services-core';

/**
 * The services of a process that serves model calls (the streaming function, the events function,
 * the local server, the CLI, tests): the configured upstream — with none, the labelled local
 * model answers — and the catalog models' deployments.
 */
export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  return composeServices(config, overrides, (c, deps) => ({
    upstream: c.upstreamBaseUrl ? new OpenAiCompatibleUpstream(c.upstreamBaseUrl, deps.secrets) : new LocalModel(c.modelId),
    deployments: upstreamDeployments(c, deps),
  }));
}

/**
 * The deployments' router. Secrets given by the caller (the local stack, tests) mean no Secrets
 * Manager: a deployment's own key is then UPSTREAM_API_KEY_<SECRET> in the environment, and one
 * missing fails the start here with its name.
 */
function upstreamDeployments(config: Config, deps: { secrets: SecretsProvider; clock: Clock; logger: Logger; local: boolean }): UpstreamDeployments {
  const fromEnv = deps.local ? config.upstreamKeyFromEnv : undefined;
  if (fromEnv) {
    const missing = UpstreamKeys.missingLocally(config.models.flatMap((m) => m.deployments ?? []), fromEnv);
    if (missing.length > 0) throw new ConfigError(`invalid configuration: MODEL_UPSTREAMS: no key for a deployment's secret (${missing.join(', ')}; locally UPSTREAM_API_KEY_<SECRET>, or upstreams.<secret>.apiKey in the data dir's secrets.json)`);
  }
  const keys = new UpstreamKeys({ secrets: deps.secrets, ...(fromEnv ? { fromEnv } : {}) });
  return new UpstreamDeployments({ keys, clock: deps.clock, logger: deps.logger, settings: config.upstreams });
}
