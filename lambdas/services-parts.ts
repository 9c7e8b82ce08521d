import { eventBusFor } from './adapters/eventbridge-bus';
import { LocalModel } from './adapters/local-model';
import { OpenAiCompatibleUpstream } from './adapters/upstream';
import { UpstreamDeployments } from './adapters/upstream-deployments';
import { UpstreamKeys } from './adapters/upstream-keys';
import { ConfigError, type Config } from './config';
import { AccountGate } from './core/account-gate';
import { Billing } from './core/billing';
import { EventRelay } from './core/event-relay';
import { EventSweep } from './core/event-sweep';
import { OperatorService } from './core/operator-service';
import type { Clock, SecretsProvider } from './core/ports';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventDelivery, ModelAccess, OperatorAccess, ServiceParts } from './services-core';

/**
 * The real parts a process's entry may build beyond what every request uses (services-core.ts
 * `ServiceParts`), one export each, so an entry that imports one carries none of the others.
 */

/**
 * What model calls use (the streaming function, the local stack, the CLI, tests): the configured
 * upstream — with none, the labelled local model answers — the catalog models' deployments, the
 * prices (PRICE_PER_REQUEST …), and the account gate.
 */
export const modelAccess: ModelAccess = (config, deps) => ({
  upstream: config.upstreamBaseUrl ? new OpenAiCompatibleUpstream(config.upstreamBaseUrl, deps.secrets) : new LocalModel(config.modelId),
  deployments: upstreamDeployments(config, deps),
  billing: new Billing(deps.store, config.pricing),
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

/**
 * The outbox's delivery (the events function, the local stack): the relay that sends stored events
 * to the bus and the projects' webhooks, signed and sent by the webhook transport, and the sweep
 * that stores the events no request announces.
 */
export const eventDelivery: EventDelivery = ({ config, store, clock, logger, events, keyRequests, webhooks, transport }) => {
  const bus = eventBusFor(config);
  return {
    bus,
    relay: new EventRelay({ store, clock, log: logger, bus, transport, unseal: (w) => webhooks.unseal(w) }),
    eventSweep: new EventSweep({ store, clock, events, log: logger, keyRequests }),
  };
};

/** The operator's actions (the CLI, bootstrap, tests). */
export const operatorActions: OperatorAccess = (deps) => new OperatorService(deps);

/** Every part: what a process that runs everything builds (services.ts's buildServices). */
export const ALL_PARTS: ServiceParts = { models: modelAccess, delivery: eventDelivery, operator: operatorActions };
