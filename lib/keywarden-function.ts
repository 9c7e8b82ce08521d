import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type SecretName, secretArnVariable } from '../lambdas/config';
import { OPENAPI_FILE } from '../lambdas/http/openapi-shipped';
import { suppressControl } from './control-tower';
import { createLogGroup } from './keywarden-logs';
import type { FunctionSizing, StageConfig } from './stage-config';

/** The four Lambda entry points of the service. */
export const FUNCTION_NAMES = ['api', 'responses', 'slack', 'teams'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'BatchWriteItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

interface FunctionSpec {
  /** The entry file, from the repository root: the services' under `lambdas/handlers/`, each bot's in its own folder. */
  readonly entry: string;
  readonly description: string;
  readonly sizing: keyof StageConfig['functions'];
  /** Item-level DynamoDB actions on the table; `Query` also covers the named indexes unless `tableOnlyQuery`. */
  readonly tableActions: readonly TableAction[];
  /** Queries the table's own partitions only, never an index. */
  readonly tableOnlyQuery?: true;
  /** The only secrets the function may read. */
  readonly secrets: readonly SecretName[];
  /**
   * `service`: runs the service core against the table. `bot`: a client of /v1 over HTTP.
   * `worker`: runs the service core against the table off any request path (no public URL, no upstream).
   */
  readonly kind: 'service' | 'bot' | 'worker';
  /** Serves GET /v1/openapi.json: the document is generated beside its bundle (`OPENAPI_HOOKS`). */
  readonly shipsOpenApi?: true;
}

/**
 * Least privilege, in one place: what each function may touch. The bots hold no table
 * permission at all: they are clients of /v1 like any integration (SPEC §7).
 */
export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  api: {
    entry: 'lambdas/handlers/api.ts',
    description: 'Keywarden /v1 (keys, audit, usage, me, verify, openapi, health)',
    sizing: 'api',
    // BatchGetItem: a key and a person's admin record read together (key-changing bot actions).
    // BatchWriteItem: usage records waiting together share one write (puts only; group-commit.ts).
    tableActions: ['GetItem', 'BatchGetItem', 'PutItem', 'BatchWriteItem', 'UpdateItem', 'DeleteItem', 'Query'],
    secrets: ['hashing', 'botAssertion'],
    kind: 'service',
    shipsOpenApi: true,
  },
  responses: {
    entry: 'lambdas/handlers/responses.ts',
    description: 'Keywarden model calls: /v1/models, /v1/responses (and stored responses), /v1/chat/completions, /v1/embeddings (response streaming)',
    sizing: 'responses',
    // Query and BatchGetItem: leased credits — the account's balance as shown (its keys' leases
    // read together: store/lease-balance.ts) and, when the account runs short, the keys holding
    // leases found (ACCOUNT#<id>#LEASES) to call them back (store/key-lease.ts).
    tableActions: ['GetItem', 'BatchGetItem', 'PutItem', 'BatchWriteItem', 'UpdateItem', 'Query'],
    tableOnlyQuery: true,
    secrets: ['hashing', 'upstream'],
    kind: 'service',
  },
  slack: {
    entry: 'bots/slack/handler.ts',
    description: 'Keywarden Slack bot (/slack/events)',
    sizing: 'bots',
    tableActions: [],
    secrets: ['slack', 'botViewerKeys', 'botAssertion'],
    kind: 'bot',
  },
  teams: {
    entry: 'bots/teams/handler.ts',
    description: 'Keywarden Microsoft Teams bot (/api/messages)',
    sizing: 'bots',
    tableActions: [],
    secrets: ['teams', 'botViewerKeys', 'botAssertion'],
    kind: 'bot',
  },
};

/**
 * The events relay (lib/keywarden-events.ts), in its own stack: not one of the four above, which
 * the API stack builds. It reads and advances the outbox, runs the sweep (keys, budgets,
 * accounts), unseals webhook secrets (a key derived from the hashing secret) and writes the
 * delivery log; its bus permission is added by its construct, scoped to the one bus.
 */
export const EVENTS_FUNCTION_SPEC: FunctionSpec = {
  entry: 'lambdas/handlers/events.ts',
  description: 'Keywarden lifecycle events relay: the outbox to the EventBridge bus and to webhooks',
  sizing: 'events',
  tableActions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
  secrets: ['hashing'],
  kind: 'worker',
};

/**
 * Rotation on schedule (lib/keywarden-rotation-schedule.ts), in the events stack: rotates keys
 * (put, mark, undo, revoke), audits and announces them; its PutSecretValue on tagged secrets is
 * added by its construct.
 */
export const ROTATIONS_FUNCTION_SPEC: FunctionSpec = {
  entry: 'lambdas/handlers/secret-rotation-schedule.ts',
  description: 'Keywarden keys rotated on schedule into the secrets that hold them; old keys idle past revokeWhenIdle ended',
  sizing: 'events',
  tableActions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
  secrets: ['hashing'],
  kind: 'worker',
};

const SPECS: Readonly<Record<FunctionName | 'events' | 'rotations', FunctionSpec>> = { ...FUNCTION_SPECS, events: EVENTS_FUNCTION_SPEC, rotations: ROTATIONS_FUNCTION_SPEC };

/**
 * esbuild output is ESM (top-level await, smaller cold start), but some dependencies (botbuilder,
 * Bolt's transitive deps) are CommonJS and call `require`; this banner gives them one.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * How every Keywarden function is bundled (bench/bundles.ts builds the same): ESM for node22
 * syntax, minified, the AWS SDK v3 left to the runtime, the require banner, source maps per stage.
 */
export function lambdaBundling(config: Pick<StageConfig, 'sourceMaps'>): BundlingOptions {
  return {
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    // Text as UTF-8, not \uXXXX escapes: the messages' typographic quotes and dashes cost 3 bytes, not 6.
    charset: Charset.UTF8,
    mainFields: ['module', 'main'],
    // The runtime provides AWS SDK v3.
    externalModules: ['@aws-sdk/*'],
    banner: ESM_REQUIRE_BANNER,
    logLevel: LogLevel.WARNING,
    sourceMap: config.sourceMaps,
    ...(config.sourceMaps ? { sourceMapMode: SourceMapMode.EXTERNAL, sourcesContent: false } : {}),
  };
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const posixQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * After the API function is bundled, /v1's OpenAPI document is written beside its `index.mjs`
 * (bin/openapi.ts, run by this Node.js with tsx, from the repository root), so the function serves
 * it without carrying the generator (lambdas/http/openapi-shipped.ts). A failure fails the bundling.
 */
export const OPENAPI_HOOKS: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_inputDir, outputDir) => [
    [process.execPath, '--import', 'tsx', `${REPO_ROOT}bin/openapi.ts`, join(outputDir, OPENAPI_FILE)].map(posixQuote).join(' '),
  ],
};

/**
 * The ARNs of the stage's deployment key secrets (`modelUpstreams`), each once: a complete ARN as
 * given; a name or a partial ARN as Secrets Manager's ARN of it, whose random 6-character suffix
 * is matched by `-??????` (exactly six characters: no other secret of that name prefix).
 */
export function deploymentSecretArns(config: Pick<StageConfig, 'modelUpstreams'>): string[] {
  const secrets = new Set(Object.values(config.modelUpstreams ?? {}).flatMap((list) => list.flatMap((d) => (d.secret ? [d.secret] : []))));
  return [...secrets].map((secret) => {
    if (!secret.startsWith('arn:')) return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secret}-??????`;
    return /-[A-Za-z0-9]{6}$/.test(secret) ? secret : `${secret}-??????`;
  });
}


/**
 * One of Keywarden's functions with the safe defaults baked in: its own log group and role,
 * inline least-privilege statements from `FUNCTION_SPECS` (no managed policy, no wildcard
 * action), arm64 on the newest Node.js runtime, ESM bundles built with local esbuild. Created in
 * the service construct's own scope, so logical ids stay what deployed stacks already have.
 */
export function createKeywardenFunction(
  scope: Construct,
  name: FunctionName | 'events' | 'rotations',
  data: {
    config: StageConfig;
    /** Unused by a worker. */
    publicBaseUrl: string;
    table: ITable;
    indexArns: readonly string[];
    tableKey: IKey | undefined;
    /** Encrypts the function's log group (the service's logs key). */
    logsKey: IKey;
    secrets: Readonly<Record<SecretName, ISecret>>;
  },
): NodejsFunction {
  const { config } = data;
  const spec = SPECS[name];
  const id = pascal(name);
  const sizing: FunctionSizing = config.functions[spec.sizing];

  const logGroup = createLogGroup(scope, `${id}Logs`, { config, name, key: data.logsKey });

  // A role per function with inline statements only: no AWS-managed policy, no wildcard action.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Keywarden ${config.stage} ${name} function`,
  });
  role.addToPolicy(
    new PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  if (spec.secrets.length > 0) {
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOwnSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: spec.secrets.map((s) => data.secrets[s].secretArn),
      }),
    );
  }
  // The function that calls the upstream reads each deployment's own key secret, and only those.
  const deploymentSecrets = spec.secrets.includes('upstream') ? deploymentSecretArns(config) : [];
  if (deploymentSecrets.length > 0) {
    role.addToPolicy(new PolicyStatement({ sid: 'ReadUpstreamDeploymentKeys', actions: ['secretsmanager:GetSecretValue'], resources: deploymentSecrets }));
  }
  if (spec.tableActions.length > 0) {
    role.addToPolicy(
      new PolicyStatement({
        sid: 'TableItems',
        actions: spec.tableActions.map((a) => `dynamodb:${a}`),
        resources: [data.table.tableArn],
      }),
    );
    if (spec.tableActions.includes('Query') && !spec.tableOnlyQuery) {
      role.addToPolicy(
        new PolicyStatement({ sid: 'TableIndexQuery', actions: ['dynamodb:Query'], resources: [...data.indexArns] }),
      );
    }
    if (data.tableKey) {
      // What DynamoDB needs from the caller to use a customer-managed table key, and only
      // through DynamoDB in this region.
      role.addToPolicy(
        new PolicyStatement({
          sid: 'TableKeyViaDynamoDB',
          effect: Effect.ALLOW,
          actions: [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ],
          resources: [data.tableKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
        }),
      );
    }
  }
  if (config.tracing) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }

  const environment: Record<string, string> = {
    KEYWARDEN_ENVIRONMENT: config.stage,
    POWERTOOLS_SERVICE_NAME: `keywarden-${name}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Keywarden',
  };
  if (spec.kind === 'service') {
    environment.TABLE_NAME = data.table.tableName;
    environment.PUBLIC_BASE_URL = data.publicBaseUrl;
    if (config.upstreamBaseUrl) environment.UPSTREAM_BASE_URL = config.upstreamBaseUrl;
    if (config.models) environment.MODELS = config.models;
    if (config.modelPrices) environment.MODEL_PRICES = JSON.stringify(config.modelPrices);
    if (config.modelUpstreams) environment.MODEL_UPSTREAMS = JSON.stringify(config.modelUpstreams);
    // The console's origin, for sign-in links and the same-origin check of its calls: given, or
    // the operator's own console domain. Without either, the console cannot sign in until the
    // second deploy with -c consoleUrl (docs/operating.md).
    const consoleUrl = config.consoleUrl ?? (config.consoleDomain ? `https://${config.consoleDomain.domainName}` : undefined);
    if (consoleUrl) environment.CONSOLE_URL = consoleUrl;
    // A rotation's secret outside this account needs the customer's role, refused when set without one (core/key-rotation.ts).
    environment.KEYWARDEN_ACCOUNT_ID = Aws.ACCOUNT_ID;
  } else if (spec.kind === 'worker') {
    environment.TABLE_NAME = data.table.tableName;
  } else {
    environment.KEYWARDEN_API_URL = data.publicBaseUrl;
  }
  for (const secret of spec.secrets) environment[secretArnVariable(secret)] = data.secrets[secret].secretArn;
  if (config.sourceMaps) environment.NODE_OPTIONS = '--enable-source-maps';

  const fn = new NodejsFunction(scope, `${id}Function`, {
    functionName: `${config.resourcePrefix}-${name}`,
    description: spec.description,
    entry: `${REPO_ROOT}${spec.entry}`,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    // The newest Node.js runtime Lambda offers (cdk-nag L1); bundles target node22 syntax so
    // they also run unchanged on nodejs22.x.
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: sizing.memorySize,
    timeout: sizing.timeout,
    role,
    logGroup,
    tracing: config.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
    environment,
    bundling: { ...lambdaBundling(config), ...(spec.shipsOpenApi ? { commandHooks: OPENAPI_HOOKS } : {}) },
  });
  suppressControl(fn, 'CT.LAMBDA.PR.3', OUTSIDE_VPC_REASON);
  return fn;
}

/** Why Keywarden's functions run outside a VPC (Control Tower CT.LAMBDA.PR.3). */
export const OUTSIDE_VPC_REASON =
  'the function reaches only AWS APIs (DynamoDB, Secrets Manager, Lambda, X-Ray) and public HTTPS services (the model upstream, Slack, Bot Framework, GitHub’s published secret scanning keys, its own /v1, projects’ webhook endpoints, EventBridge); there is no private network resource to protect, and a VPC would add NAT gateways per AZ and interface endpoints (cost, cold starts, failure modes) without narrowing what the least-privilege role already bounds.';

export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
