import { LocalModel } from './adapters/local-model';
import { OpenAiCompatibleUpstream } from './adapters/upstream';
import { UpstreamDeployments } from './adapters/upstream-deployments';
import { UpstreamKeys } from './adapters/upstream-keys';
import { ConfigError, type Config } from './config';
import { AccountGate } from './core/account-gate';
import { Billing } from './core/billing';
import { OperatorService } from './core/operator-service';
import type { Clock, SecretsProvider } from './core/ports';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ModelAccess, OperatorAccess } from './services-core';

/**
 * The real model-call and operator parts a process's entry may build beyond what every request
 * uses (services-core.ts `ServiceParts`); event delivery is services-delivery.ts's. Apart because
 * the bundler keeps every imported module's package imports (a CommonJS package's `require`, an
 * external `@aws-sdk/*` import) even when none of its exports is used: the streaming function
 * imports this file and so carries none of the delivery's webhook signing or EventBridge client.
 */

/**
 * What model calls use (the streaming function, the local stack, the CLI, tests): the configured
 * upstream — with none, the labelled local model answers — the catalog models' deployments, the
 * prices (PRICE_PER_REQUEST …), and the account gate.
 */
export const modelAccess: ModelAccess = (config, deps) => ({
  upstream: config.upstreamBaseUrl ? new OpenAiCompatibleUpstream(config.upstreamBaseUrl, deps.secrets) : new LocalModel(config.modelId),
  deployments: upstreamDeployments(config, deps),
  billing: new Billing(config.pricing),
  accountGate: new AccountGate(deps.store, deps.clock),
});

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

/** The operator's actions (the CLI, bootstrap, tests). */
export const operatorActions: OperatorAccess = (deps) => new OperatorService(deps);
