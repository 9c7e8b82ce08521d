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
import type { AccountGate } from './core/account-gate';
import type { Billing } from './core/billing';
import { AuditLog } from './core/audit-log';
import { Authenticator } from './core/authenticator';
import { ConversationDirectory } from './core/conversations';
import { KeyService } from './core/key-service';
import { KeyRequests } from './core/key-requests';
import { RotationOwnerDelivery } from './core/rotation-owner-delivery';
import { ModelCatalog } from './core/models';
import { UsageLog } from './core/usage';
import { EventOutbox } from './core/event-outbox';
import type { EventRelay } from './core/event-relay';
import type { EventSweep } from './core/event-sweep';
import type { OperatorService } from './core/operator-service';
import { WebhookService } from './core/webhooks';
import { WebhookTargets } from './adapters/webhook-targets';
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
  /** A model call's prices: what it reserves, what it costs. */
  billing: Billing;
  /** Where the bots reach people privately. */
  conversations: ConversationDirectory;
  /** One record per authenticated call, written after the answer. */
  usage: UsageLog;
  /** The public model ids and the upstream model each maps to. */
  catalog: ModelCatalog;
  /** Whether an account's API access is on, read by the model routes (cached briefly). */
  accountGate: AccountGate;
  upstream: Upstream;
  /** The catalog models' upstream deployments, each model's tried in order (MODEL_UPSTREAMS). */
  deployments: Deployments;
  /** The keys GitHub signs its secret scanning reports with (fetched, cached). */
  githubKeys: GithubScanningKeys;
  /** /v1's OpenAPI document for this deployment (GET /v1/openapi.json). */
  openApi: OpenApiDocuments;
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
  /** Where webhook attempts go and which URLs may be registered (tests: a resolver of their own). */
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

/**
 * What model calls use, built by the entry of a process that serves them (services-parts.ts, or a
 * function's none): the upstream and the deployments they go to, their prices, the account gate.
 */
export type ModelAccess = (
  config: Config,
  deps: { store: Store; secrets: SecretsProvider; clock: Clock; logger: Logger; local: boolean },
) => Pick<Services, 'upstream' | 'deployments' | 'billing' | 'accountGate'>;

/** The outbox's delivery: the relay, the sweep and the bus, built by the entry of a process that delivers events. */
export type EventDelivery = (deps: {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  events: EventOutbox;
  keyRequests: KeyRequests;
  webhooks: WebhookService;
  /** The override's transport; without one the delivery builds the real sender. */
  transport: WebhookTransport | undefined;
}) => Pick<Services, 'relay' | 'eventSweep' | 'bus'>;

/** Where a deployment's /v1 is served, and the brand of its billing headers: what its OpenAPI document says. */
export interface OpenApiPlace {
  serverUrl: string;
  brand: string;
}
/**
 * /v1's OpenAPI document placed for a deployment: generated from the route table where the process
 * carries it (http/openapi.ts), the one shipped beside the API function's bundle in AWS
 * (http/openapi-shipped.ts).
 */
export type OpenApiDocuments = (place: OpenApiPlace) => Promise<object>;

/** The operator's actions, built by the entry of a process that takes them (the CLI, bootstrap, tests). */
export type OperatorAccess = (deps: { store: Store; keys: KeyService; audit: AuditLog; clock: Clock }) => OperatorService;

/**
 * What a process's entry builds beyond the services every request uses, each only where it runs,
 * so a Lambda bundle carries none of the code its function never runs: services-parts.ts has the
 * real ones (buildServices: the local stack, the CLI, tests), lambdas/handlers/function-parts.ts
 * each function's. In AWS: model calls are the streaming function's, event delivery the events
 * function's, and operator actions no function's.
 */
export interface ServiceParts {
  models: ModelAccess;
  delivery: EventDelivery;
  operator: OperatorAccess;
  openApi: OpenApiDocuments;
}

/**
 * The one composition root (services.ts's buildServices, and each Lambda function's entry): the
 * real adapters are the default everywhere; overrides exist for the local stack (secrets file,
 * embedded dynalite) and for tests that need a clock. `parts` are what the entry builds beyond
 * what every request uses (ServiceParts).
 */
export function composeServices(config: Config, overrides: ServiceOverrides, parts: ServiceParts): Services {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config);
  const dynamo = overrides.dynamo ?? createDynamoClient(config.dynamodbEndpoint);
  const secrets = overrides.secrets ?? new AwsSecretsProvider(config.secretArns);
  const dynamoWire = new DynamoWire(dynamo);
  const store = new DynamoDbStore({ tableName: config.tableName, client: dynamo, wire: dynamoWire, maxPendingRecords: config.maxPendingRecords });
  let relay: EventRelay | undefined;
  const events = new EventOutbox({ store, clock, log: logger }, overrides.relayInProcess ? (ready) => relay?.deliverSoon(ready) : undefined);
  const { auth, audit, keys } = keyServices({ store, secrets, clock, events, homeAccount: config.keywardenAccountId });
  // Registration only checks URLs: the sender (its signing code) is the delivery's, built where it runs.
  const targets = overrides.webhookTransport ?? new WebhookTargets({ allowLoopback: config.webhooksAllowLoopback });
  const webhooks = new WebhookService({ store, secrets, clock, audit, targets });
  const models = parts.models(config, { store, secrets, clock, logger, local: overrides.secrets !== undefined });
  // Decisions announce their key_request.* events at once; the sweep revokes keys never collected.
  const keyRequests = new KeyRequests({ store, secrets, clock, audit, keys, events });
  const delivery = parts.delivery({ config, store, clock, logger, events, keyRequests, webhooks, transport: overrides.webhookTransport });
  relay = delivery.relay;
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
    ...delivery,
    webhooks,
    operator: parts.operator({ store, keys, audit, clock }),
    usage: new UsageLog({ store, secrets, clock }),
    conversations: new ConversationDirectory({ store, clock }),
    catalog: new ModelCatalog(config.models),
    ...models,
    upstream: overrides.upstream ?? models.upstream,
    githubKeys: new GithubKeysFetcher(config.githubSecretScanningKeysUrl, clock),
    openApi: parts.openApi,
    dynamo,
    dynamoWire,
  };
}
