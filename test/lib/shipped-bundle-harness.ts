import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { bootstrapEnvironment } from '../../lambdas/bootstrap';
import { loadConfig, SECRET_NAMES, secretArnVariable, type SecretName } from '../../lambdas/config';
import { isStreamingRequest } from '../../lambdas/http/api';
import { installLambdaStreamingPolyfill, PRELUDE_DELIMITER } from '../../lambdas/handlers/streaming-runtime';
import { buildServices } from '../../lambdas/services';
import { captureOutput } from '../support/capture';
import { createTable, startDynalite } from '../support/dynalite';
import { startSecretsManagerStandIn } from './secrets-manager-stand-in';
import { startSlackStandIn, type SlackStandIn } from '../bots/slack/slack-stand-in';
import { functionLogicalId, type SynthesizedStage, synthStage } from './synth-app';

/**
 * Drive a shipped bundle as Lambda would: the artifacts that would be uploaded, not the TypeScript
 * sources. Synthesize the production stage, find each function's bundled `index.mjs` in the cloud
 * assembly, cold-start it with the runtime's native `import()` under exactly the environment the
 * template gives that function, and invoke it with API Gateway REST proxy events against dynalite
 * and a Secrets Manager stand-in. Every DynamoDB call is recorded with the function that made it
 * (dynalite enforces no IAM, so a test holds the calls against the role's grants itself).
 */

export const FUNCTION_NAMES = ['api', 'responses', 'slack', 'teams'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type StreamingHandler = (event: APIGatewayProxyEvent, stream: Writable, context: Context) => Promise<void>;

export const PUBLIC_BASE_URL = 'https://bundle-test.example.com/production';
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** What the Lambda runtime itself puts in every function's environment (credentials are fake). */
const RUNTIME_ENVIRONMENT = {
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
  AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
};
/** Set on a developer's machine, absent in Lambda; any of them would steer the bundles elsewhere. */
const NOT_IN_LAMBDA = ['DYNAMODB_ENDPOINT', 'UPSTREAM_BASE_URL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'NODE_OPTIONS'];

export type SecretValues = {
  hashing: { current: string };
  botAssertion: { current: string };
  upstream: { apiKey: string };
  slack: { signingSecret: string; botToken: string };
  teams: { appId: string; appPassword: string };
  botViewerKeys: { slack: string; teams: string };
} & Record<SecretName, unknown>; // every secret the config names, so a new one cannot be missed here

function freshSecretValues(): SecretValues {
  return {
    hashing: { current: randomBytes(48).toString('base64url') },
    botAssertion: { current: randomBytes(48).toString('base64url') },
    upstream: { apiKey: '' },
    slack: { signingSecret: randomBytes(16).toString('hex'), botToken: 'xoxb-bundle-test' },
    teams: { appId: randomUUID(), appPassword: randomBytes(16).toString('hex') },
    // Filled with the bootstrap's viewer keys after the cold starts and before any invocation; in
    // time, because the stand-in serializes a secret only when it is asked for it.
    botViewerKeys: { slack: '', teams: '' },
  };
}

export const secretArn = (name: SecretName): string =>
  `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:keywarden-production/${name}-${name.length}AbCdE`;

/** The context the runtime passes to a function named `functionName`. */
function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/keywarden-production/${functionName}`,
    logStreamName: 'bundle-test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface RestEventOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** JSON-encoded, with `Content-Type: application/json`. */
  body?: unknown;
  /** Sent as is (a signed body must reach the function byte for byte). */
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** The API Gateway resource template (`/v1/keys/{id}/revoke`); defaults to the path. */
  resource?: string;
  pathParameters?: Record<string, string>;
}

/** An API Gateway REST proxy event as the `production` stage delivers it. */
export function restEvent(method: string, path: string, options: RestEventOptions = {}): APIGatewayProxyEvent {
  const headers: Record<string, string> = { accept: '*/*', host: 'bundle-test.example.com', 'user-agent': 'shipped-bundles-test', ...options.headers };
  if (options.key) headers.Authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const requestId = randomUUID();
  const multi = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [v]]));
  return {
    resource: options.resource ?? path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? multi(options.query) : null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abcdef1234',
      authorizer: null,
      domainName: 'bundle-test.example.com',
      domainPrefix: 'bundle-test',
      extendedRequestId: requestId,
      httpMethod: method,
      path: `/production${path}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: options.resource ?? path,
      stage: 'production',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'shipped-bundles-test',
        userArn: null,
      },
    },
  };
}

/** A response as it leaves a streaming function: the prelude API Gateway reads, then the body. */
export interface FramedResponse {
  prelude: { statusCode: number; headers?: Record<string, string> };
  body: string;
}

/** A stand-in for the Lambda response stream that keeps the raw bytes the function writes. */
class RecordingResponseStream extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  /**
   * Lambda's HTTP integration framing: JSON prelude, 8 NUL bytes, then the body. Throws when the
   * delimiter is missing, so a function that writes an unframed body fails the invocation.
   */
  decode(): FramedResponse {
    const raw = Buffer.concat(this.chunks);
    const at = raw.indexOf(PRELUDE_DELIMITER);
    if (at < 0) throw new Error(`no prelude delimiter in ${JSON.stringify(raw.toString('utf8').slice(0, 200))}`);
    return {
      prelude: JSON.parse(raw.subarray(0, at).toString('utf8')) as FramedResponse['prelude'],
      body: raw.subarray(at + PRELUDE_DELIMITER.length).toString('utf8'),
    };
  }
}

/** A header by case-insensitive name, as API Gateway matches them. */
export const header = (headers: Record<string, unknown> | undefined, name: string): string | undefined => {
  const found = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : String(found[1]);
};

/** One `lambda:Invoke` a bundle made, as the Lambda API received it. */
export interface LambdaInvocation {
  functionName: string;
  invocationType: string | undefined;
  payload: unknown;
}

/**
 * A stand-in for the Lambda API on 127.0.0.1 (`AWS_ENDPOINT_URL_LAMBDA`): `POST
 * /2015-03-31/functions/{name}/invocations` is recorded and answered as Lambda answers an
 * asynchronous invocation (202, empty body). It runs nothing itself.
 */
async function startLambdaApiStandIn() {
  const invocations: LambdaInvocation[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Type: 'User', message: `unsupported ${req.method} ${req.url}` }));
        return;
      }
      const raw = Buffer.concat(parts).toString('utf8');
      invocations.push({
        functionName: decodeURIComponent(match[1]!),
        invocationType: String(req.headers['x-amz-invocation-type'] ?? '') || undefined,
        payload: raw ? JSON.parse(raw) : undefined,
      });
      res.writeHead(202, { 'x-amzn-requestid': randomUUID() });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations: invocations as readonly LambdaInvocation[],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A stand-in for API Gateway in front of the API bundles, for the bots' /v1 calls: each HTTP
 * request becomes a REST proxy event for the `api` function (`/v1/responses` for the streaming
 * one), after `delay()` milliseconds (a slow API, for the ack-first test).
 */
async function startApiGatewayStandIn(
  run: (path: string, event: APIGatewayProxyEvent) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }>,
  delay: () => number,
) {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://gateway');
        const path = url.pathname.replace(/^\/production/, '');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const query = Object.fromEntries(url.searchParams);
        const raw = Buffer.concat(parts).toString('utf8');
        await new Promise((r) => setTimeout(r, delay()));
        const out = await run(path, restEvent(req.method ?? 'GET', path, { headers, ...(raw ? { rawBody: raw } : {}), ...(Object.keys(query).length ? { query } : {}) }));
        const outHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(out.headers ?? {})) outHeaders[k] = String(v);
        res.writeHead(out.statusCode, outHeaders);
        res.end(out.body);
      })().catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface DynamoCall {
  /** The function whose invocation was running; `undefined` for a call made outside any invocation. */
  fn: FunctionName | undefined;
  /** `GetItem`, `Query`, … from the `X-Amz-Target` header. */
  operation: string;
  indexName: string | undefined;
}

/**
 * Sits between the bundles and dynalite and records every DynamoDB operation with the function
 * `attribute()` names at the moment the request arrives.
 */
async function startDynamoCallRecorder(target: string, attribute: () => FunctionName | undefined) {
  const calls: DynamoCall[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      let indexName: string | undefined;
      try {
        indexName = (JSON.parse(body.toString('utf8')) as { IndexName?: string }).IndexName;
      } catch {
        indexName = undefined;
      }
      calls.push({ fn: attribute(), operation: String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '', indexName });
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: calls as readonly DynamoCall[],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The function's environment from the template, with the cross-stack tokens given test values. */
function environmentOf(stage: SynthesizedStage, name: FunctionName, table: string, botApiUrl: string): Record<string, string> {
  const fn = stage.statelessJson.Resources[functionLogicalId(stage.statelessJson, stage.config, name)];
  const vars = (fn?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) {
    if (typeof value === 'string') env[key] = value;
    else if (key === 'TABLE_NAME') env[key] = table;
    else if (key === 'PUBLIC_BASE_URL') env[key] = PUBLIC_BASE_URL;
    // The bots call /v1 over HTTP: here, the API Gateway stand-in in front of the API bundles.
    else if (key === 'KEYWARDEN_API_URL') env[key] = botApiUrl;
    // `Aws.ACCOUNT_ID`: the account the stand-ins' ARNs name.
    else if (key === 'KEYWARDEN_ACCOUNT_ID') env[key] = '123456789012';
    else {
      const secret = SECRET_NAMES.find((n) => secretArnVariable(n) === key);
      if (!secret) throw new Error(`unexpected token-valued environment variable ${key}`);
      env[key] = secretArn(secret);
    }
  }
  return env;
}

/** The bundled `index.mjs` of a function, found through the asset metadata in the template. */
function bundlePath(stage: SynthesizedStage, name: FunctionName): string {
  const fn = stage.statelessJson.Resources[functionLogicalId(stage.statelessJson, stage.config, name)];
  const assetPath = fn?.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`no aws:asset:path metadata on the ${name} function`);
  return join(stage.outdir, assetPath, 'index.mjs');
}

/**
 * The bundle lives under node_modules/.cache, which Vitest externalizes: `import()` hands it to
 * Node's own ESM loader untransformed, as the Lambda runtime loads it.
 */
const importBundle = (path: string) => import(/* @vite-ignore */ pathToFileURL(path).href) as Promise<Record<string, unknown>>;

export interface ShippedBundles {
  readonly stage: SynthesizedStage;
  readonly bundlePaths: Readonly<Record<FunctionName, string>>;
  /** The environment each function was cold-started with (the template's variables, resolved). */
  readonly environments: Readonly<Record<FunctionName, Readonly<Record<string, string>>>>;
  /** The operator's bootstrap admin key for the one project in the table. */
  readonly adminKey: string;
  readonly secrets: SecretValues;
  /** Every DynamoDB call since start, in order. */
  readonly dynamoCalls: readonly DynamoCall[];
  /** SecretId of every GetSecretValue call since start, in order. */
  readonly secretsManagerCalls: readonly string[];
  /** Everything written to stdout and stderr since just before the first cold start. */
  logs(): string;
  api(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  /** Invokes the streaming function and decodes what it wrote once the stream has finished. */
  responses(event: APIGatewayProxyEvent): Promise<FramedResponse>;
  slack(event: APIGatewayProxyEvent | Record<string, unknown>): Promise<APIGatewayProxyResult>;
  teams(event: APIGatewayProxyEvent | Record<string, unknown>): Promise<APIGatewayProxyResult>;
  /**
   * Every Lambda `Invoke` call the bundles made (the Lambda API stand-in answers 202 and records
   * it): a test plays Lambda's part by invoking the named function with the payload.
   */
  readonly lambdaInvocations: readonly LambdaInvocation[];
  /**
   * The Slack Web API stand-in, synthesized in as the stage's `slackApiUrl` (GovSlack's or a
   * proxy's, for an operator): the Slack bundle answers response URLs on its origin.
   */
  readonly slackStandIn: SlackStandIn;
  /** How long the API Gateway stand-in in front of the API bundles waits before each /v1 call the bots make. */
  setApiDelay(ms: number): void;
  /** Stops the servers, restores `process.env` and the output streams, removes the assembly. */
  close(): Promise<void>;
}

/**
 * Synthesizes the production stage (the slow part: once per test file), starts dynalite, the
 * DynamoDB recorder and the Secrets Manager stand-in, cold-starts all four functions and runs the
 * operator's bootstrap. Changes `process.env` and captures stdout/stderr until `close()`; a start
 * that fails half-way undoes what it had done.
 */
export async function startShippedBundles(): Promise<ShippedBundles> {
  const undo: Array<() => unknown> = [];
  const close = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    return { ...(await start(undo)), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function start(undo: Array<() => unknown>): Promise<Omit<ShippedBundles, 'close'>> {
  const savedEnv = { ...process.env };
  undo.push(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });
  const table = `keywarden-bundle-test-${randomUUID().slice(0, 8)}`;
  const secrets = freshSecretValues();

  // Under the repository so the bundles' external `@aws-sdk/*` imports resolve from node_modules,
  // as they resolve from the runtime's own copy in Lambda.
  const base = join(REPO, 'node_modules', '.cache', 'keywarden-shipped-bundles');
  mkdirSync(base, { recursive: true });
  const outdir = mkdtempSync(join(base, 'assembly-'));
  undo.push(() => rmSync(outdir, { recursive: true, force: true }));
  const slackStandIn = await startSlackStandIn();
  undo.push(() => slackStandIn.close());
  const stage = synthStage('production', { slackApiUrl: slackStandIn.apiUrl }, { outdir });
  const functionName = (name: FunctionName) => `${stage.config.resourcePrefix}-${name}`;
  const perFunction = <T>(of: (name: FunctionName) => T) => Object.fromEntries(FUNCTION_NAMES.map((name) => [name, of(name)])) as Record<FunctionName, T>;
  const bundlePaths = perFunction((name) => bundlePath(stage, name));
  let apiDelayMs = 0;
  // Filled in below, once the API bundles are cold-started; the bots only call through it later.
  let throughGateway: (path: string, event: APIGatewayProxyEvent) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }> = () =>
    Promise.reject(new Error('the API bundles are not started yet'));
  const gateway = await startApiGatewayStandIn((path, event) => throughGateway(path, event), () => apiDelayMs);
  undo.push(() => gateway.close());
  const environments = perFunction((name) => environmentOf(stage, name, table, gateway.url));
  const lambdaApi = await startLambdaApiStandIn();
  undo.push(() => lambdaApi.close());

  const dynalite = await startDynalite();
  undo.push(() => dynalite.close());
  await createTable(dynalite.endpoint, table);
  // Calls are attributed by which invocation is running, so invocations must never overlap.
  let running: FunctionName | undefined;
  const recorder = await startDynamoCallRecorder(dynalite.endpoint, () => running);
  undo.push(() => recorder.close());
  const secretsManager = await startSecretsManagerStandIn(
    SECRET_NAMES.map((name) => ({ arn: secretArn(name), name: `keywarden-production/${name}`, value: secrets[name] })),
  );
  undo.push(() => secretsManager.close());

  for (const key of NOT_IN_LAMBDA) delete process.env[key];
  // The endpoints point the SDK at the local stand-ins.
  Object.assign(process.env, RUNTIME_ENVIRONMENT, {
    AWS_ENDPOINT_URL_DYNAMODB: recorder.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
  });
  installLambdaStreamingPolyfill();
  const logs = captureOutput();
  undo.push(() => logs.stop());

  /**
   * Cold start: the module load, under this function's environment only — the previous function's
   * variables are removed first, so a bundle cannot lean on a variable its template lacks.
   */
  let previous: Record<string, string> = {};
  async function coldStart<H>(name: FunctionName): Promise<H> {
    for (const key of Object.keys(previous)) delete process.env[key];
    previous = { ...environments[name], AWS_LAMBDA_FUNCTION_NAME: functionName(name) };
    Object.assign(process.env, previous);
    const { handler } = await importBundle(bundlePaths[name]);
    if (typeof handler !== 'function') throw new Error(`the ${name} bundle exports no handler`);
    return handler as H;
  }

  /** One invocation; the DynamoDB calls made until its handler settles are attributed to `name`. */
  async function invoke<R>(name: FunctionName, run: (context: Context) => Promise<R>): Promise<R> {
    // A bot waits on its /v1 call while the API function runs it (the bots make no DynamoDB
    // call of their own), so that one nesting keeps the attribution exact.
    const nested = (running === 'slack' || running === 'teams') && (name === 'api' || name === 'responses');
    if (running && !nested) throw new Error(`invoking ${name} while ${running} is running: DynamoDB calls would be misattributed`);
    const outer = running;
    running = name;
    try {
      return await run(lambdaContext(functionName(name)));
    } finally {
      running = outer;
    }
  }

  const api = await coldStart<ApiHandler>('api');
  const responses = await coldStart<StreamingHandler>('responses');
  const slack = await coldStart<ApiHandler>('slack');
  const teams = await coldStart<ApiHandler>('teams');
  throughGateway = async (path, event) => {
    // As API Gateway does (lib/keywarden-api.ts): OpenAI's routes to the streaming function, the rest to the API function.
    if (!isStreamingRequest(event.httpMethod, path)) return invoke('api', (context) => api(event, context));
    const stream = new RecordingResponseStream();
    await invoke('responses', (context) => responses(event, stream, context));
    if (!stream.writableFinished) await once(stream, 'finish');
    const { prelude, body } = stream.decode();
    return { statusCode: prelude.statusCode, headers: prelude.headers ?? {}, body };
  };

  // The operator's bootstrap, from the sources, against the same table and hashing secret.
  const services = buildServices(loadConfig({ TABLE_NAME: table, KEYWARDEN_ENVIRONMENT: 'production', DYNAMODB_ENDPOINT: dynalite.endpoint }), {
    secrets: new StaticSecretsProvider(secrets),
  });
  const boot = await bootstrapEnvironment(services, { accountName: 'Bundle test', projectName: 'Bundle test', credits: 100 }).finally(() =>
    services.dynamo.destroy(),
  );
  Object.assign(secrets.botViewerKeys, boot.botViewerKeys);

  return {
    stage,
    bundlePaths,
    environments,
    adminKey: boot.adminKey,
    secrets,
    dynamoCalls: recorder.calls,
    secretsManagerCalls: secretsManager.calls,
    logs: () => logs.text(),
    api: (event) => invoke('api', (context) => api(event, context)),
    async responses(event) {
      const stream = new RecordingResponseStream();
      await invoke('responses', (context) => responses(event, stream, context));
      if (!stream.writableFinished) await once(stream, 'finish');
      return stream.decode();
    },
    slack: (event) => invoke('slack', (context) => slack(event as APIGatewayProxyEvent, context)),
    teams: (event) => invoke('teams', (context) => teams(event as APIGatewayProxyEvent, context)),
    lambdaInvocations: lambdaApi.invocations,
    slackStandIn,
    setApiDelay: (ms) => {
      apiDelayMs = ms;
    },
  };
}
