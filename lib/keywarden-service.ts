import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseTransferMode,
  ResponseType,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { API_ROUTE_TABLE } from '../lambdas/http/api';
import { TABLE_SCHEMA } from '../lambdas/adapters/table-schema';
import { type SecretName, secretArnVariable } from '../lambdas/config';
import type { FunctionSizing, StageConfig } from './stage-config';

/** The four Lambda entry points of the service. */
export const FUNCTION_NAMES = ['api', 'responses', 'slack', 'teams'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

interface FunctionSpec {
  /** File under `lambdas/handlers/`. */
  readonly entry: string;
  readonly description: string;
  readonly sizing: keyof StageConfig['functions'];
  /** Item-level DynamoDB actions on the table; `Query` also covers the named indexes. */
  readonly tableActions: readonly TableAction[];
  /** The only secrets the function may read. */
  readonly secrets: readonly SecretName[];
  /** `service`: runs the service core against the table. `bot`: a client of /v1 over HTTP. */
  readonly kind: 'service' | 'bot';
}

/**
 * Least privilege, in one place: what each function may touch. The bots hold no table
 * permission at all: they are clients of /v1 like any integration (SPEC §7).
 */
export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  api: {
    entry: 'api.ts',
    description: 'Keywarden /v1 (keys, audit, models, me, verify, openapi, health)',
    sizing: 'api',
    tableActions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    secrets: ['hashing', 'botAssertion'],
    kind: 'service',
  },
  responses: {
    entry: 'responses.ts',
    description: 'Keywarden /v1/responses (response streaming)',
    sizing: 'responses',
    tableActions: ['GetItem', 'PutItem', 'UpdateItem'],
    secrets: ['hashing', 'upstream'],
    kind: 'service',
  },
  slack: {
    entry: 'slack.ts',
    description: 'Keywarden Slack bot (/slack/events)',
    sizing: 'bots',
    tableActions: [],
    secrets: ['slack', 'botViewerKeys', 'botAssertion'],
    kind: 'bot',
  },
  teams: {
    entry: 'teams.ts',
    description: 'Keywarden Microsoft Teams bot (/api/messages)',
    sizing: 'bots',
    tableActions: [],
    secrets: ['teams', 'botViewerKeys', 'botAssertion'],
    kind: 'bot',
  },
};

/** `/v1/keys/:id` (the router's form) → `/v1/keys/{id}` (API Gateway's). */
const gatewayPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/**
 * Every buffered `/v1` route, served by the API function, grouped by path: straight from the
 * service's route table (lambdas/http/api.ts), so API Gateway and the router cannot disagree.
 */
export const API_ROUTES: ReadonlyArray<readonly [path: string, methods: readonly string[]]> = [
  ...API_ROUTE_TABLE.filter((r) => !r.streaming).reduce((byPath, r) => {
    const path = gatewayPath(r.path);
    return byPath.set(path, [...(byPath.get(path) ?? []), r.method]);
  }, new Map<string, string[]>()),
];
/** The routes served by the response-streaming function (REST API `STREAM` mode). */
export const STREAMING_ROUTES: ReadonlyArray<readonly [path: string, method: string]> = API_ROUTE_TABLE.filter((r) => r.streaming).map(
  (r) => [gatewayPath(r.path), r.method] as const,
);
export const SLACK_ROUTE = '/slack/events';
export const TEAMS_ROUTE = '/api/messages';

/**
 * esbuild output is ESM (top-level await, smaller cold start), but some dependencies (botbuilder,
 * Bolt's transitive deps) are CommonJS and call `require`; this banner gives them one.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

export interface KeywardenServiceProps {
  readonly config: StageConfig;
  /** The table created by `KeywardenTable` (or one with the same physical schema). */
  readonly table: ITable;
  /** ARNs of the table's GSIs; defaults to the indexes named in `table-schema.ts`. */
  readonly tableIndexArns?: readonly string[];
  /** The table's customer-managed KMS key, if any; defaults to `table.encryptionKey`. */
  readonly tableEncryptionKey?: IKey;
  /** One secret per name in `SECRET_NAMES` (see `KeywardenSecrets`). */
  readonly secrets: Readonly<Record<SecretName, ISecret>>;
  /**
   * Mount the routes on an API you already own instead of creating one. Its stage, logging,
   * throttling and domain are then yours; Keywarden only adds `/v1`, `/slack` and `/api`.
   */
  readonly restApi?: RestApi;
  /**
   * The public base URL (without `/v1`) clients and bots use. Defaults to the custom domain, or
   * to the execute-api URL of the API's stage, built from its id so that no function depends on
   * the deployment that depends on the function.
   */
  readonly publicBaseUrl?: string;
  /** Alarm notifications; defaults to a new topic (with `config.alarmEmail` subscribed, if set). */
  readonly alarmTopic?: ITopic;
}

/**
 * The whole stateless side of Keywarden as one construct: four Lambda functions with their own
 * roles and log groups, the REST API (or routes on yours), and the alarms. A platform team embeds
 * the service in its own CDK app with a table, the secrets and a stage config (docs/operating.md).
 */
export class KeywardenService extends Construct {
  readonly api: RestApi;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly publicBaseUrl: string;
  readonly alarmTopic: ITopic;
  readonly alarms: Alarm[] = [];

  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: KeywardenServiceProps) {
    super(scope, id);
    this.config = props.config;
    const ownsApi = props.restApi === undefined;
    this.api = props.restApi ?? this.createRestApi();
    this.publicBaseUrl = props.publicBaseUrl ?? this.defaultPublicBaseUrl(ownsApi);

    const indexArns =
      props.tableIndexArns ?? [TABLE_SCHEMA.gsi1.name, TABLE_SCHEMA.gsi2.name].map((n) => `${props.table.tableArn}/index/${n}`);
    const tableKey = props.tableEncryptionKey ?? props.table.encryptionKey;

    const fns = {} as Record<FunctionName, NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      fns[name] = this.createFunction(name, FUNCTION_SPECS[name], {
        table: props.table,
        indexArns,
        tableKey,
        secrets: props.secrets,
      });
    }
    this.functions = fns;

    this.addRoutes();

    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic();
    this.createAlarms(ownsApi);

    new CfnOutput(this, 'ApiBaseUrl', {
      value: this.publicBaseUrl,
      description: 'Public base URL; OpenAI clients use <this>/v1',
    });
    new CfnOutput(this, 'SlackRequestUrl', {
      value: `${this.publicBaseUrl}${SLACK_ROUTE}`,
      description: 'Slack app: Event Subscriptions, Interactivity and Slash Commands Request URL',
    });
    new CfnOutput(this, 'TeamsMessagingEndpoint', {
      value: `${this.publicBaseUrl}${TEAMS_ROUTE}`,
      description: 'Azure Bot: messaging endpoint',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe more alarm targets here' });
  }

  // ---------------------------------------------------------------- API

  private createRestApi(): RestApi {
    const { config } = this;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/${config.resourcePrefix}/api-access`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const api = new RestApi(this, 'Api', {
      restApiName: `${config.resourcePrefix}-api`,
      description: `Keywarden ${config.stage}: /v1, Slack and Teams`,
      // Regional: streamed responses may idle 5 minutes (edge-optimized: 30 s), and a custom
      // domain can sit behind the platform's own CDN if wanted.
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: config.manageApiGatewayAccountRole,
      deployOptions: {
        stageName: config.apiStageName,
        throttlingRateLimit: config.throttling.rateLimit,
        throttlingBurstLimit: config.throttling.burstLimit,
        // ERROR execution logs without data trace: request and response bodies (which carry
        // raw keys on create/rotate) and the Authorization header are never logged.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: false,
        tracingEnabled: config.tracing,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
      ...(config.customDomain
        ? {
            domainName: {
              domainName: config.customDomain.domainName,
              certificate: Certificate.fromCertificateArn(this, 'Certificate', config.customDomain.certificateArn),
              endpointType: EndpointType.REGIONAL,
              securityPolicy: SecurityPolicy.TLS_1_2,
            },
          }
        : {}),
    });
    // Errors API Gateway answers itself (unknown route, stage throttling, oversized body, Lambda
    // failure) get the same OpenAI error shape, codes and types as the service's own errors
    // (SPEC §4, lambdas/http/errors.ts).
    const gatewayError = (
      id: string,
      type: ResponseType,
      error: { status?: string; code: string; type: string; message: string; retryAfter?: boolean },
    ) =>
      api.addGatewayResponse(id, {
        type,
        ...(error.status ? { statusCode: error.status } : {}),
        ...(error.retryAfter ? { responseHeaders: { 'Retry-After': "'1'" } } : {}),
        templates: {
          // `message` is a JSON string literal, or `$context.error.messageString` (already quoted).
          'application/json': `{"error":{"message":${error.message},"type":"${error.type}","code":"${error.code}","param":null}}`,
        },
      });
    const literal = (text: string) => JSON.stringify(text);
    gatewayError('UnknownRoute', ResponseType.MISSING_AUTHENTICATION_TOKEN, {
      status: '404',
      code: 'not_found',
      type: 'not_found_error',
      message: literal('Unknown route.'),
    });
    gatewayError('Throttled', ResponseType.THROTTLED, {
      status: '429',
      code: 'rate_limit_exceeded',
      type: 'rate_limit_error',
      message: literal('Too many requests for this deployment; retry shortly.'),
      retryAfter: true,
    });
    gatewayError('Default4xx', ResponseType.DEFAULT_4XX, {
      code: 'invalid_request_error',
      type: 'invalid_request_error',
      message: '$context.error.messageString',
    });
    gatewayError('Default5xx', ResponseType.DEFAULT_5XX, {
      status: '503',
      code: 'service_unavailable',
      type: 'api_error',
      message: literal('The service is temporarily unavailable.'),
      retryAfter: true,
    });

    this.acknowledgeApiFindings(api);
    return api;
  }

  private acknowledgeApiFindings(api: RestApi): void {
    Validations.of(api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Requests are validated in the Lambda handlers (zod schemas) so that every rejection uses the OpenAI error shape and status codes of SPEC §4; API Gateway request validation would answer in its own shape.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF by default: abuse is bounded by stage throttling and by per-key rate limits and credits enforced atomically in the service; attach a web ACL to the stage if your platform requires one.',
      },
    );
    const role = api.node.tryFindChild('CloudWatchRole');
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway logging role needs to create and write log groups named by API Gateway at run time; AWS maintains this service-role policy for exactly that purpose.',
      });
    }
  }

  private defaultPublicBaseUrl(ownsApi: boolean): string {
    if (!ownsApi) {
      throw new Error(
        `${this.node.path}: publicBaseUrl is required when Keywarden is mounted on an existing RestApi (its stage and domain are yours)`,
      );
    }
    if (this.config.customDomain) return `https://${this.config.customDomain.domainName}`;
    // Built from the API id and the literal stage name, never from `api.url` or the stage
    // resource: those reference the stage, the stage the deployment, the deployment the methods
    // and the methods the functions, so a function environment variable holding them is a cycle.
    return `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.config.apiStageName}`;
  }

  private addRoutes(): void {
    const { api, functions } = this;
    // One resource-policy statement for the whole API instead of two per method: the API
    // function serves every buffered /v1 method and Lambda resource policies are limited to 20 KB.
    const apiIntegration = new LambdaIntegration(functions.api, { scopePermissionToMethod: false });
    for (const [path, methods] of API_ROUTES) {
      const resource = api.root.resourceForPath(path);
      for (const method of methods) resource.addMethod(method, apiIntegration);
    }

    // Invokes the function's response-streaming path (InvokeWithResponseStream), so tokens
    // reach the client as the upstream produces them (handler: awslambda.streamifyResponse).
    const streamingIntegration = new LambdaIntegration(functions.responses, {
      responseTransferMode: ResponseTransferMode.STREAM,
      timeout: this.config.functions.responses.timeout,
    });
    for (const [path, method] of STREAMING_ROUTES) api.root.resourceForPath(path).addMethod(method, streamingIntegration);
    api.root.resourceForPath(SLACK_ROUTE).addMethod('POST', new LambdaIntegration(functions.slack));
    api.root.resourceForPath(TEAMS_ROUTE).addMethod('POST', new LambdaIntegration(functions.teams));

    // Acknowledge on the top-level resources Keywarden adds, so that an embedding API keeps its
    // own findings for its other routes.
    for (const top of ['v1', 'slack', 'api']) {
      const resource = api.root.getResource(top) as IResource;
      Validations.of(resource).acknowledge(
        {
          id: 'AwsSolutions-APIG4',
          reason:
            '/v1 authenticates every request with Keywarden API keys (bearer token, keyed hash lookup, scopes) inside the Lambda, which is the product itself; /slack/events verifies Slack request signatures and /api/messages verifies Bot Framework JWTs in the handlers. An API Gateway authorizer would add latency and a second cache that breaks instant revocation (SPEC §8).',
        },
        {
          id: 'AwsSolutions-COG4',
          reason:
            'Callers are machines holding Keywarden API keys and chat platforms signing their requests, not Cognito users; see AwsSolutions-APIG4.',
        },
      );
    }
  }

  // ---------------------------------------------------------------- functions

  private createFunction(
    name: FunctionName,
    spec: FunctionSpec,
    data: { table: ITable; indexArns: readonly string[]; tableKey: IKey | undefined; secrets: Readonly<Record<SecretName, ISecret>> },
  ): NodejsFunction {
    const { config } = this;
    const id = pascal(name);
    const sizing: FunctionSizing = config.functions[spec.sizing];

    const logGroup = new LogGroup(this, `${id}Logs`, {
      logGroupName: `/${config.resourcePrefix}/${name}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    // A role per function with inline statements only: no AWS-managed policy, no wildcard action.
    const role = new Role(this, `${id}Role`, {
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
    if (spec.tableActions.length > 0) {
      role.addToPolicy(
        new PolicyStatement({
          sid: 'TableItems',
          actions: spec.tableActions.map((a) => `dynamodb:${a}`),
          resources: [data.table.tableArn],
        }),
      );
      if (spec.tableActions.includes('Query')) {
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
      environment.PUBLIC_BASE_URL = this.publicBaseUrl;
      if (config.upstreamBaseUrl) environment.UPSTREAM_BASE_URL = config.upstreamBaseUrl;
    } else {
      environment.KEYWARDEN_API_URL = this.publicBaseUrl;
    }
    for (const secret of spec.secrets) environment[secretArnVariable(secret)] = data.secrets[secret].secretArn;
    if (config.sourceMaps) environment.NODE_OPTIONS = '--enable-source-maps';

    return new NodejsFunction(this, `${id}Function`, {
      functionName: `${config.resourcePrefix}-${name}`,
      description: spec.description,
      entry: `${HANDLERS_DIR}${spec.entry}`,
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
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        mainFields: ['module', 'main'],
        // The runtime provides AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        banner: ESM_REQUIRE_BANNER,
        logLevel: LogLevel.WARNING,
        sourceMap: config.sourceMaps,
        ...(config.sourceMaps ? { sourceMapMode: SourceMapMode.EXTERNAL, sourcesContent: false } : {}),
      },
    });
  }

  // ---------------------------------------------------------------- alarms

  private createAlarmTopic(): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `Keywarden ${this.config.stage} alarms`,
      enforceSSL: true,
    });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names and metric values, never key material; CloudWatch can only publish to an encrypted topic through a customer-managed key policy, which this topic does not need.',
    });
    if (this.config.alarmEmail) topic.addSubscription(new EmailSubscription(this.config.alarmEmail));
    return topic;
  }

  private createAlarms(ownsApi: boolean): void {
    const { config } = this;
    const period = Duration.minutes(5);
    const apiDimensions = { ApiName: this.api.restApiName, Stage: config.apiStageName };
    const action = new SnsAction(this.alarmTopic);
    const alarm = (id: string, props: ConstructorParameters<typeof Alarm>[2]) => {
      const a = new Alarm(this, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    if (ownsApi) {
      alarm('Api5xxAlarm', {
        alarmName: `${config.resourcePrefix}-api-5xx`,
        alarmDescription: 'API Gateway answered 5XX (Lambda failures, timeouts, upstream_error, service_unavailable).',
        metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: '5XXError', dimensionsMap: apiDimensions, statistic: 'Sum', period }),
        threshold: config.alarms.api5xxPer5Minutes,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      alarm('ApiLatencyAlarm', {
        alarmName: `${config.resourcePrefix}-api-latency-p99`,
        alarmDescription: 'API Gateway p99 latency above threshold for 15 minutes.',
        metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensionsMap: apiDimensions, statistic: 'p99', period }),
        threshold: config.alarms.apiLatencyP99Ms,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    for (const name of FUNCTION_NAMES) {
      const fn = this.functions[name];
      const id = pascal(name);
      alarm(`${id}ErrorsAlarm`, {
        alarmName: `${config.resourcePrefix}-${name}-errors`,
        alarmDescription: `The ${name} function failed (unhandled error, timeout or crash).`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      alarm(`${id}ThrottlesAlarm`, {
        alarmName: `${config.resourcePrefix}-${name}-throttles`,
        alarmDescription: `The ${name} function was throttled (account or reserved concurrency exhausted).`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
  }
}

/** JSON access log lines. Deliberately no query string and no headers: `?search=` may carry a full key. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      extendedRequestId: '$context.extendedRequestId',
      requestTime: '$context.requestTime',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationStatus: '$context.integration.status',
      integrationLatency: '$context.integration.latency',
      integrationError: '$context.integration.error',
      errorType: '$context.error.responseType',
      xrayTraceId: '$context.xrayTraceId',
    }),
  );
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
