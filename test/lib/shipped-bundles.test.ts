import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { bootstrapEnvironment } from '../../lambdas/bootstrap';
import { loadConfig, type SecretName } from '../../lambdas/config';
import { installLambdaStreamingPolyfill, PRELUDE_DELIMITER } from '../../lambdas/handlers/streaming-runtime';
import { buildServices } from '../../lambdas/services';
import { captureOutput } from '../support/capture';
import { createTable, startDynalite } from '../support/dynalite';
import { ESM_REQUIRE_BANNER } from '../../lib/keywarden-service';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './secrets-manager-stand-in';
import {
  asArray,
  type CfnTemplate,
  functionLogicalId,
  functionRole,
  roleStatements,
  type SynthesizedStage,
  synthStage,
} from './synth-app';

/**
 * The artifacts that would be uploaded, not the TypeScript sources: synthesize the production
 * stage, find each function's bundled `index.mjs` in the cloud assembly, load it with the
 * runtime's native `import()`, and drive it with API Gateway REST proxy events against dynalite
 * and a stand-in Secrets Manager, using exactly the environment the template gives the function.
 */

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type FunctionName = 'api' | 'responses' | 'slack' | 'teams';
type StreamingHandler = (event: APIGatewayProxyEvent, stream: Writable, context: Context) => Promise<void>;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TABLE = `keywarden-bundle-test-${randomUUID().slice(0, 8)}`;
const PUBLIC_BASE_URL = 'https://bundle-test.example.com/production';
const REGION = 'eu-west-1';

/**
 * The bundle lives under node_modules/.cache, which Vitest externalizes: `import()` hands it to
 * Node's own ESM loader untransformed, as the Lambda runtime loads it.
 */
const importBundle = (path: string) => import(/* @vite-ignore */ pathToFileURL(path).href) as Promise<Record<string, unknown>>;

const secretArn = (name: SecretName) => `arn:aws:secretsmanager:${REGION}:123456789012:secret:keywarden-production/${name}-${name.length}AbCdE`;
const SECRET_VALUES: Record<SecretName, unknown> = {
  hashing: { current: randomBytes(48).toString('base64url') },
  botAssertion: { current: randomBytes(48).toString('base64url') },
  upstream: { apiKey: '' },
  slack: { signingSecret: randomBytes(16).toString('hex'), botToken: 'xoxb-bundle-test' },
  teams: { appId: randomUUID(), appPassword: randomBytes(16).toString('hex') },
  // Filled with the bootstrap's viewer keys before the bots' first invocation.
  botViewerKeys: { slack: '', teams: '' },
};

function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/keywarden-production/${name}`,
    logStreamName: 'bundle-test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An API Gateway REST proxy event as the `production` stage delivers it. */
function restEvent(
  method: string,
  path: string,
  options: {
    key?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    resource?: string;
    pathParameters?: Record<string, string>;
  } = {},
): APIGatewayProxyEvent {
  const headers: Record<string, string> = { accept: '*/*', host: 'bundle-test.example.com', 'user-agent': 'shipped-bundles-test', ...options.headers };
  if (options.key) headers.Authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const requestId = randomUUID();
  return {
    resource: options.resource ?? path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
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

/** A stand-in for the Lambda response stream that records the raw bytes the function writes. */
class RecordingResponseStream extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  /** Lambda's HTTP integration framing: JSON prelude, 8 NUL bytes, then the body. */
  parse(): { prelude: { statusCode: number; headers?: Record<string, string> }; body: string } {
    const raw = Buffer.concat(this.chunks);
    const at = raw.indexOf(PRELUDE_DELIMITER);
    if (at < 0) throw new Error(`no prelude delimiter in ${JSON.stringify(raw.toString('utf8').slice(0, 200))}`);
    return {
      prelude: JSON.parse(raw.subarray(0, at).toString('utf8')) as { statusCode: number; headers?: Record<string, string> },
      body: raw.subarray(at + PRELUDE_DELIMITER.length).toString('utf8'),
    };
  }
}

const header = (headers: Record<string, unknown> | undefined, name: string): string | undefined => {
  const found = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : String(found[1]);
};

interface DynamoCall {
  fn: FunctionName | undefined;
  operation: string;
  indexName: string | undefined;
}

/**
 * Sits between the bundles and dynalite and records every DynamoDB operation with the function
 * that made it, so the test can hold the calls against the IAM grants in the template (dynalite
 * itself enforces no IAM).
 */
async function startRecordingProxy(target: string, attribute: () => FunctionName | undefined) {
  const calls: DynamoCall[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
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
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
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
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('shipped Lambda bundles (production assembly)', () => {
  let s: SynthesizedStage;
  let outdir: string;
  let dynalite: { endpoint: string; close(): Promise<void> };
  let secretsManager: SecretsManagerStandIn;
  let dynamoProxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  /** The function whose code is running, for attributing DynamoDB calls. */
  let running: FunctionName | undefined;
  const attributed =
    <A extends unknown[], R>(name: FunctionName, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      running = name;
      try {
        return await fn(...args);
      } finally {
        running = undefined;
      }
    };
  let apiHandler: ApiHandler;
  let responsesHandler: StreamingHandler;
  let slackHandler: ApiHandler;
  let teamsHandler: ApiHandler;
  let bundlePaths: Record<FunctionName, string>;
  let adminKey: string;
  let createdKey: { id: string; key: string };
  const savedEnv = { ...process.env };
  let logs: ReturnType<typeof captureOutput>;
  const secretsSeen: string[] = [];

  /** The function's environment from the template, with the cross-stack tokens given test values. */
  function environmentOf(template: CfnTemplate, name: FunctionName): Record<string, string> {
    const fn = template.Resources[functionLogicalId(template, s.config, name)];
    const vars = (fn?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(vars)) {
      if (typeof value === 'string') env[key] = value;
      else if (key === 'TABLE_NAME') env[key] = TABLE;
      else if (key === 'PUBLIC_BASE_URL' || key === 'KEYWARDEN_API_URL') env[key] = PUBLIC_BASE_URL;
      else {
        const secret = /^SECRET_(.+)_ARN$/.exec(key)?.[1];
        const name = Object.keys(SECRET_VALUES).find((n) => n.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase() === secret);
        if (!name) throw new Error(`unexpected token-valued environment variable ${key}`);
        env[key] = secretArn(name as SecretName);
      }
    }
    return env;
  }

  function assetIndex(template: CfnTemplate, name: FunctionName): string {
    const fn = template.Resources[functionLogicalId(template, s.config, name)];
    const assetPath = fn?.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') throw new Error(`no aws:asset:path metadata on the ${name} function`);
    return join(outdir, assetPath, 'index.mjs');
  }

  /** Cold start of one function: its exact environment, then the module load. */
  async function coldStart(name: FunctionName): Promise<Record<string, unknown>> {
    const env = environmentOf(s.statelessJson, name);
    for (const key of Object.keys(env)) secretsSeen.push(key);
    Object.assign(process.env, env);
    return importBundle(bundlePaths[name]);
  }

  beforeAll(async () => {
    // Under the repository so the bundles' external `@aws-sdk/*` imports resolve from node_modules,
    // as they resolve from the runtime's own copy in Lambda.
    const base = join(REPO, 'node_modules', '.cache', 'keywarden-shipped-bundles');
    mkdirSync(base, { recursive: true });
    outdir = mkdtempSync(join(base, 'assembly-'));
    s = synthStage('production', {}, { outdir });
    bundlePaths = {
      api: assetIndex(s.statelessJson, 'api'),
      responses: assetIndex(s.statelessJson, 'responses'),
      slack: assetIndex(s.statelessJson, 'slack'),
      teams: assetIndex(s.statelessJson, 'teams'),
    };

    dynalite = await startDynalite();
    await createTable(dynalite.endpoint, TABLE);
    dynamoProxy = await startRecordingProxy(dynalite.endpoint, () => running);
    secretsManager = await startSecretsManagerStandIn(
      (Object.keys(SECRET_VALUES) as SecretName[]).map((name) => ({
        arn: secretArn(name),
        name: `keywarden-production/${name}`,
        value: SECRET_VALUES[name],
      })),
    );

    // What the Lambda runtime provides; the endpoints point the SDK at the local stand-ins.
    for (const key of ['DYNAMODB_ENDPOINT', 'UPSTREAM_BASE_URL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'NODE_OPTIONS']) delete process.env[key];
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'keywarden-production-api',
    });
    installLambdaStreamingPolyfill();
    logs = captureOutput();

    apiHandler = attributed('api', (await coldStart('api')).handler as ApiHandler);
    responsesHandler = attributed('responses', (await coldStart('responses')).handler as StreamingHandler);
    slackHandler = attributed('slack', (await coldStart('slack')).handler as ApiHandler);
    teamsHandler = attributed('teams', (await coldStart('teams')).handler as ApiHandler);

    // The operator's bootstrap, from the sources, against the same table and hashing secret.
    const services = buildServices(
      loadConfig({ TABLE_NAME: TABLE, KEYWARDEN_ENVIRONMENT: 'production', DYNAMODB_ENDPOINT: dynalite.endpoint }),
      { secrets: new StaticSecretsProvider(SECRET_VALUES) },
    );
    const boot = await bootstrapEnvironment(services, { accountName: 'Bundle test', projectName: 'Bundle test', credits: 100 });
    services.dynamo.destroy();
    adminKey = boot.adminKey;
    Object.assign(SECRET_VALUES.botViewerKeys as Record<string, string>, boot.botViewerKeys);
  }, 240_000);

  afterAll(async () => {
    logs?.stop();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await secretsManager?.close();
    await dynamoProxy?.close();
    await dynalite?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('are ESM with the require banner and leave the AWS SDK to the runtime', () => {
    for (const path of Object.values(bundlePaths)) {
      const code = readFileSync(path, 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/from\s*"@aws-sdk\/client-secrets-manager"/);
      expect(code).not.toMatch(/\bclass \w+ extends \w+\s*\{[^}]*"DynamoDBServiceException"/);
      expect(code).not.toContain('node_modules/@aws-sdk/');
    }
  });

  it('creates a key with the bootstrap admin key (API bundle)', async () => {
    const res = await apiHandler(
      restEvent('POST', '/v1/keys', { key: adminKey, body: { name: 'bundle test key' } }),
      lambdaContext('keywarden-production-api'),
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = JSON.parse(res.body) as { id: string; key: string; name: string; setupScript: string; status: string };
    expect(body.name).toBe('bundle test key');
    expect(body.status).toBe('active');
    expect(body.key).toMatch(/^archie_[A-Za-z0-9]+$/);
    expect(body.setupScript).toContain(`${PUBLIC_BASE_URL}/v1`);
    expect(res.body).not.toContain(adminKey);
    createdKey = { id: body.id, key: body.key };
  });

  it('lists the new key without its secret', async () => {
    const res = await apiHandler(
      restEvent('GET', '/v1/keys', { key: adminKey, query: { search: 'bundle test' } }),
      lambdaContext('keywarden-production-api'),
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { data: Array<{ id: string; name: string }> };
    expect(body.data.map((k) => k.id)).toContain(createdKey.id);
    expect(res.body).not.toContain(createdKey.key);
  });

  it('serves /v1/models to the new key, with rate-limit headers', async () => {
    const res = await apiHandler(restEvent('GET', '/v1/models', { key: createdKey.key }), lambdaContext('keywarden-production-api'));
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toContain('archibot');
    expect(header(res.headers, 'x-ratelimit-limit')).toBeDefined();
    expect(header(res.headers, 'x-ratelimit-remaining')).toBeDefined();
  });

  it('rejects a wrong key in the OpenAI error shape without echoing it', async () => {
    const forged = `${createdKey.key.slice(0, -3)}AAA`;
    const res = await apiHandler(restEvent('GET', '/v1/models', { key: forged }), lambdaContext('keywarden-production-api'));
    expect(res.statusCode).toBe(401);
    const body = JSON.parse(res.body) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect(res.body).not.toContain(forged);
  });

  it('streams /v1/responses through the response-streaming bundle (prelude, 8 NUL bytes, SSE body)', async () => {
    const stream = new RecordingResponseStream();
    await responsesHandler(
      restEvent('POST', '/v1/responses', { key: createdKey.key, body: { model: 'archibot', input: 'Hello from the bundle test', stream: true } }),
      stream,
      lambdaContext('keywarden-production-responses'),
    );
    if (!stream.writableFinished) await once(stream, 'finish');
    const { prelude, body } = stream.parse();
    expect(prelude.statusCode, body).toBe(200);
    expect(header(prelude.headers, 'content-type')).toMatch(/text\/event-stream/);
    expect(header(prelude.headers, 'x-archibot-request-id')).toMatch(/^req_/);
    expect(header(prelude.headers, 'x-ratelimit-limit')).toBeDefined();
    expect(body).toMatch(/^event: response\.created/m);
    expect(body).toMatch(/^event: response\.completed/m);
    expect(body).toContain('Hello from the bundle test');
  });

  it('answers a non-streaming /v1/responses request through the same framing', async () => {
    const stream = new RecordingResponseStream();
    await responsesHandler(
      restEvent('POST', '/v1/responses', { key: createdKey.key, body: { model: 'archibot', input: 'Say hi' } }),
      stream,
      lambdaContext('keywarden-production-responses'),
    );
    if (!stream.writableFinished) await once(stream, 'finish');
    const { prelude, body } = stream.parse();
    expect(prelude.statusCode, body).toBe(200);
    const json = JSON.parse(body) as { object: string; status: string };
    expect(json.object).toBe('response');
    expect(json.status).toBe('completed');
    expect(Number(header(prelude.headers, 'x-archibot-credits-charged'))).toBeGreaterThan(0);
  });

  it('rejects a revoked key on the streaming path at once', async () => {
    const revoke = await apiHandler(
      restEvent('POST', `/v1/keys/${createdKey.id}/revoke`, {
        key: adminKey,
        resource: '/v1/keys/{id}/revoke',
        pathParameters: { id: createdKey.id },
      }),
      lambdaContext('keywarden-production-api'),
    );
    expect(revoke.statusCode, revoke.body).toBe(200);
    const stream = new RecordingResponseStream();
    await responsesHandler(
      restEvent('POST', '/v1/responses', { key: createdKey.key, body: { model: 'archibot', input: 'still there?' } }),
      stream,
      lambdaContext('keywarden-production-responses'),
    );
    if (!stream.writableFinished) await once(stream, 'finish');
    const { prelude, body } = stream.parse();
    expect(prelude.statusCode).toBe(401);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('key_revoked');
  });

  it('Slack bundle: rejects an unsigned request and answers a signed URL verification', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 'ignored', challenge: 'bundle-challenge-42' });
    const unsigned = await slackHandler(restEvent('POST', '/slack/events', { rawBody: body, headers: { 'Content-Type': 'application/json' } }), lambdaContext('keywarden-production-slack'));
    expect(unsigned.statusCode).toBe(401);

    const timestamp = String(Math.floor(Date.now() / 1000));
    const { signingSecret } = SECRET_VALUES.slack as { signingSecret: string };
    const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const signed = await slackHandler(
      restEvent('POST', '/slack/events', {
        rawBody: body,
        headers: { 'Content-Type': 'application/json', 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': signature },
      }),
      lambdaContext('keywarden-production-slack'),
    );
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.body).toContain('bundle-challenge-42');
  });

  it('Teams bundle: refuses an activity without a Bot Framework token', async () => {
    const activity = {
      type: 'message',
      id: randomUUID(),
      text: 'help',
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/teams/',
      from: { id: '29:intruder', aadObjectId: randomUUID() },
      conversation: { id: 'a:1', conversationType: 'personal' },
      recipient: { id: `28:${(SECRET_VALUES.teams as { appId: string }).appId}` },
    };
    const res = await teamsHandler(restEvent('POST', '/api/messages', { body: activity }), lambdaContext('keywarden-production-teams'));
    expect(res.statusCode).toBe(401);
  });

  it('made only the DynamoDB calls their roles in the template allow', () => {
    expect(dynamoProxy.calls.length).toBeGreaterThan(0);
    expect(dynamoProxy.calls.filter((c) => c.fn === undefined)).toEqual([]);
    for (const name of ['api', 'responses', 'slack', 'teams'] as const) {
      const statements = roleStatements(s.statelessJson, functionRole(s.statelessJson, functionLogicalId(s.statelessJson, s.config, name)));
      const allowed = (operation: string, index: string | undefined) =>
        statements.some(
          (st) =>
            asArray(st.Action).includes(`dynamodb:${operation}`) &&
            asArray(st.Resource).some((r) => (index ? JSON.stringify(r).includes(`/index/${index}"`) : !JSON.stringify(r).includes('/index/'))),
        );
      for (const call of dynamoProxy.calls.filter((c) => c.fn === name)) {
        expect(allowed(call.operation, call.indexName), `${name}: ${call.operation} ${call.indexName ?? 'table'}`).toBe(true);
      }
    }
    expect(dynamoProxy.calls.filter((c) => c.fn === 'slack' || c.fn === 'teams')).toEqual([]);
    expect(new Set(dynamoProxy.calls.filter((c) => c.fn === 'responses').map((c) => c.operation)).size).toBeGreaterThan(0);
  });

  it('read the secrets from Secrets Manager by the ARNs in the template, and logged no raw key', () => {
    for (const name of ['hashing', 'slack', 'teams', 'botViewerKeys', 'botAssertion'] as const) {
      expect(secretsManager.calls).toContain(secretArn(name));
    }
    expect(secretsSeen).toEqual(expect.arrayContaining(['SECRET_HASHING_ARN', 'SECRET_BOT_ASSERTION_ARN', 'SECRET_UPSTREAM_ARN']));
    const text = logs.text();
    // The scan means something only if the bundles logged the requests above: the API bundle's
    // create, and the refusals of a forged and a revoked key on both paths.
    const entries = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => ({ status: (JSON.parse(line) as { status?: number }).status, line }));
    const logged = (status: number, path: string) => entries.some((e) => e.status === status && e.line.includes(`"${path}"`));
    expect(logged(201, '/v1/keys')).toBe(true);
    expect(logged(401, '/v1/models')).toBe(true);
    expect(logged(401, '/v1/responses')).toBe(true);
    const botKeys = SECRET_VALUES.botViewerKeys as { slack: string; teams: string };
    for (const raw of [adminKey, createdKey.key, botKeys.slack, botKeys.teams]) expect(text).not.toContain(raw);
  });
});
