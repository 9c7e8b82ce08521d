import { Aws, Validations } from 'aws-cdk-lib';
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
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { API_ROUTE_TABLE } from '../lambdas/http/api';
import { suppressControl } from './control-tower';
import type { FunctionName } from './keywarden-function';
import { createLogGroup } from './keywarden-logs';
import type { StageConfig } from './stage-config';

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

/** The REST API with access logs, throttling, OpenAI-shaped gateway errors and its cdk-nag reasons. */
export function createRestApi(scope: Construct, config: StageConfig, logsKey: IKey): RestApi {
  const accessLogs = createLogGroup(scope, 'AccessLogs', { config, name: 'api-access', key: logsKey });
  const api = new RestApi(scope, 'Api', {
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
            certificate: Certificate.fromCertificateArn(scope, 'Certificate', config.customDomain.certificateArn),
            endpointType: EndpointType.REGIONAL,
            securityPolicy: SecurityPolicy.TLS_1_2,
          },
        }
      : {}),
  });
  // Errors API Gateway answers itself (unknown route, stage throttling, oversized body, Lambda
  // failure) get the same OpenAI error shape, codes and types as the service's own errors
  // (SPEC §4, lambdas/http/errors.ts), and the headers the router sets on every answer:
  // nosniff and no-store.
  const gatewayError = (
    id: string,
    type: ResponseType,
    error: { status?: string; code: string; type: string; message: string; retryAfter?: boolean },
  ) =>
    api.addGatewayResponse(id, {
      type,
      ...(error.status ? { statusCode: error.status } : {}),
      responseHeaders: {
        'X-Content-Type-Options': "'nosniff'",
        'Cache-Control': "'no-store'",
        ...(error.retryAfter ? { 'Retry-After': "'1'" } : {}),
      },
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

  acknowledgeApiFindings(api);
  if (!config.tracing) {
    suppressControl(
      api.deploymentStage,
      'CT.APIGATEWAY.PR.2',
      `X-Ray tracing is a per-stage choice (lib/stage-config.ts) and is off in ${config.stage} to keep its cost down; staging and production trace every request.`,
    );
  }
  return api;
}

function acknowledgeApiFindings(api: RestApi): void {
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

export function defaultPublicBaseUrl(scope: Construct, api: RestApi, config: StageConfig, ownsApi: boolean): string {
  if (!ownsApi) {
    throw new Error(
      `${scope.node.path}: publicBaseUrl is required when Keywarden is mounted on an existing RestApi (its stage and domain are yours)`,
    );
  }
  if (config.customDomain) return `https://${config.customDomain.domainName}`;
  // Built from the API id and the literal stage name, never from `api.url` or the stage
  // resource: those reference the stage, the stage the deployment, the deployment the methods
  // and the methods the functions, so a function environment variable holding them is a cycle.
  return `https://${api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${config.apiStageName}`;
}

/** Mounts /v1 (from the route table), /slack/events and /api/messages on the API. */
export function addRoutes(api: RestApi, functions: Readonly<Record<FunctionName, NodejsFunction>>, config: StageConfig): void {
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
    timeout: config.functions.responses.timeout,
  });
  for (const [path, method] of STREAMING_ROUTES) api.root.resourceForPath(path).addMethod(method, streamingIntegration);
  api.root.resourceForPath(SLACK_ROUTE).addMethod('POST', new LambdaIntegration(functions.slack));
  api.root.resourceForPath(TEAMS_ROUTE).addMethod('POST', new LambdaIntegration(functions.teams));

  // API Gateway's invoke permissions on Keywarden's functions (not an embedding API's others).
  const ours = new Set(Object.values(functions).map((fn) => fn.functionArn));
  for (const c of api.node.findAll()) {
    if (c instanceof CfnPermission && typeof c.functionName === 'string' && ours.has(c.functionName)) {
      suppressControl(c, 'CT.LAMBDA.PR.2', INVOKE_PERMISSION_REASON);
    }
  }

  // Acknowledge on the top-level resources Keywarden adds, so that an embedding API keeps its
  // own findings for its other routes.
  for (const top of ['v1', 'slack', 'api']) {
    const resource = api.root.getResource(top) as IResource;
    Validations.of(resource).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          '/v1 authenticates every request with Keywarden API keys (bearer token, keyed hash lookup, scopes) inside the Lambda, which is the product itself (GitHub’s secret scanning reports, /v1/secret-scanning/github, by GitHub’s ECDSA signature instead); /slack/events verifies Slack request signatures and /api/messages verifies Bot Framework JWTs in the handlers. An API Gateway authorizer would add latency and a second cache that breaks instant revocation (SPEC §8).',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are machines holding Keywarden API keys and chat platforms signing their requests, not Cognito users; see AwsSolutions-APIG4.',
      },
    );
  }
}

/** Why API Gateway's invoke permissions carry no literal SourceAccount (Control Tower CT.LAMBDA.PR.2). */
export const INVOKE_PERMISSION_REASON =
  'only this REST API may invoke the function: SourceArn is its execute-api ARN, whose account, region and API id are CloudFormation references because the stacks are environment-agnostic. The control accepts only a literal SourceAccount/SourceArn or a reference to a resource of the same template, and an API Gateway stage has no ARN attribute to reference.';

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
