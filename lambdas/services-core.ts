import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from './adapters/dynamodb-client';
import { GithubKeysFetcher } from './adapters/github-keys';
import { AwsSecretsProvider } from './adapters/secrets';
import { DynamoDbStore } from './adapters/dynamodb-store';
import { DynamoWire } from './adapters/dynamodb-wire';
import type { UpstreamDeployments } from './adapters/upstream-deployments';
import type { Config } from './config';
import { createLogger } from './logging';
import { AccountGate } from './core/account-gate';
import { Billing } from './core/billing';
import { AuditLog } from './core/audit-log';
import { Authenticator } from './core/authenticator';
import { ConversationDirectory } from './core/conversations';
import { KeyService } from './core/key-service';
import { KeyRequests } from './core/key-requests';
import { RotationOwnerDelivery } from './core/rotation-owner-delivery';
import { ModelCatalog } from './core/models';
import { UsageLog } from './core/usage';
import { OperatorService } from './core/operator-service';
import { EventOutbox } from './core/event-outbox';
import { EventRelay } from './core/event-relay';
import { EventSweep } from './core/event-sweep';
import { WebhookService } from './core/webhooks';
import { WebhookSender } from './adapters/webhook-sender';
import { eventBusFor } from './adapters/eventbridge-bus';
import { systemClock, type Clock, type EventBus, type GithubScanningKeys, type SecretsProvider, type Store, type Upstream, type WebhookTransport } from './core/ports';

export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  secrets: SecretsProvider;
  /** Who is calling: keys checked and counted, people vouched for by bots. */
  auth: Authenticator;
  /** The audit trail. */
  audit: AuditLog;
  /** Lifecycle events: the outbox every event is stored in first (core/event-outbox.ts). */
  events: EventOutbox;
  /** Delivers the outbox's events to the bus and the projects' webhooks (core/event-relay.ts). */
  relay: EventRelay;
  /** Finds the events no write announces — keys about to expire, budget thresholds, low balances — and stores each once (core/event-sweep.ts). */
  eventSweep: EventSweep;
  /** The projects' webhook endpoints (core/webhooks.ts). */
  webhooks: WebhookService;
  /** The platform's EventBridge bus, when one is configured. */
  bus: EventBus | undefined;
  /** The key lifecycle, under the authority rule. */
  keys: KeyService;
  /** Keys asked for by anyone, approved by a key manager, collected by the requester. */
  keyRequests: KeyRequests;
  /** Scheduled rotations' new values held sealed for their chat owner to collect once. */
  rotationDeliveries: RotationOwnerDelivery;
  operator: OperatorService;
  billing: Billing;
  /** Where the bots reach people privately. */
  conversations: ConversationDirectory;
  /** One record per authenticated call, written after the answer. */
  usage: UsageLog;
  /** The public model ids and the upstream model each maps to. */
  catalog: ModelCatalog;
  accountGate: AccountGate;
  upstream: Upstream;
  /** The catalog models' upstream deployments, each model's tried in order (MODEL_UPSTREAMS). */
  deployments: Deployments;
  /** The keys GitHub signs its secret scanning reports with (fetched, cached). */
  githubKeys: GithubScanningKeys;
  dynamo: DynamoDBClient;
  /** The hot path's DynamoDB transport, over `dynamo`'s configuration (dynamodb-wire.ts). */
  dynamoWire: DynamoWire;
}

export interface ServiceOverrides {
  secrets?: SecretsProvider;
  dynamo?: DynamoDBClient;
  clock?: Clock;
  logger?: Logger;
  upstream?: Upstream;
  /** Where webhook attempts go (tests: a resolver of their own). */
  webhookTransport?: WebhookTransport;
  /**
   * Deliver an event as soon as it is ready, in this process (the local stack). In AWS the relay
   * function does, woken by the table's stream and a schedule.
   */
  relayInProcess?: boolean;
}

/** The key core over a store: who is calling, the audit trail, and the lifecycle that uses both. */
export function keyServices(deps: { store: Store; secrets: SecretsProvider; clock: Clock; events?: EventOutbox; homeAccount?: string }): Pick<Services, 'auth' | 'audit' | 'keys'> {
  const auth = new Authenticator(deps);
  const audit = new AuditLog(deps);
  const events = deps.events ?? new EventOutbox(deps);
  return { auth, audit, keys: new KeyService({ ...deps, auth, audit, events }) };
}

/** What the model calls go to: the deployments' router, as services.ts builds it (the API function has none). */
export type Deployments = Pick<UpstreamDeployments, 'forward' | 'built' | 'at' | 'only' | 'inOrder'>;

/** The upstream and the deployments of a process, built by its entry (services.ts, or the API function's none). */
export type ModelAccess = (config: Config, deps: { secrets: SecretsProvider; clock: Clock; logger: Logger; local: boolean }) => { upstream: Upstream; deployments: Deployments };

/**
 * The one composition root (services.ts's buildServices, and the API function's own): the real
 * adapters are the default everywhere; overrides exist for the local stack (secrets file, embedded
 * dynalite) and for tests that need a clock. `models` builds what model calls go to — the
 * configured upstream or the local model, and the deployments — given by the caller, so a bundle
 * that makes no model call (the API function's) carries none of it.
 */
export function composeServices(config: Config, overrides: ServiceOverrides, models: ModelAccess): Services {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config);
  const dynamo = overrides.dynamo ?? createDynamoClient(config.dynamodbEndpoint);
  const secrets = overrides.secrets ?? new AwsSecretsProvider(config.secretArns);
  const dynamoWire = new DynamoWire(dynamo);
  const store = new DynamoDbStore({ tableName: config.tableName, client: dynamo, wire: dynamoWire });
  const transport = overrides.webhookTransport ?? new WebhookSender({ allowLoopback: config.webhooksAllowLoopback });
  const bus = eventBusFor(config);
  let relay: EventRelay | undefined;
  const events = new EventOutbox({ store, clock, log: logger }, overrides.relayInProcess ? (ready) => relay?.deliverSoon(ready) : undefined);
  const { auth, audit, keys } = keyServices({ store, secrets, clock, events, homeAccount: config.keywardenAccountId });
  const webhooks = new WebhookService({ store, secrets, clock, audit, transport });
  relay = new EventRelay({ store, clock, log: logger, bus, transport, unseal: (w) => webhooks.unseal(w) });
  const access = models(config, { secrets, clock, logger, local: overrides.secrets !== undefined });
  const upstream = overrides.upstream ?? access.upstream;
  const { deployments } = access;
  // Decisions announce their key_request.* events at once; the sweep revokes keys never collected.
  const keyRequests = new KeyRequests({ store, secrets, clock, audit, keys, events });
  return {
    config,
    clock,
    logger,
    store,
    secrets,
    auth,
    audit,
    keys,
    keyRequests,
    rotationDeliveries: new RotationOwnerDelivery({ store, secrets, clock, audit }),
    events,
    relay,
    eventSweep: new EventSweep({ store, clock, events, log: logger, keyRequests }),
    webhooks,
    bus,
    operator: new OperatorService({ store, keys, audit, clock }),
    billing: new Billing(store, config.pricing),
    usage: new UsageLog({ store, secrets, clock }),
    conversations: new ConversationDirectory({ store, clock }),
    catalog: new ModelCatalog(config.models),
    accountGate: new AccountGate(store, clock),
    upstream,
    deployments,
    githubKeys: new GithubKeysFetcher(config.githubSecretScanningKeysUrl, clock),
    dynamo,
    dynamoWire,
  };
}
