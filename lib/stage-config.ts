import { parseModels, upstreamUrlProblem, withDeployments, withPrices, type ModelPrices } from '../lambdas/core/models';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * One deployment stage = one Keywarden environment (SPEC §2): its own table, its own hashing
 * secret, its own API. Everything that differs between stages lives in this one typed record;
 * the stacks and the construct read it and contain no `if (stage === 'production')`.
 *
 * Choose a stage with `-c stage=<name>` (default `development`). A few operator-specific values
 * can be given on the command line instead of editing this file; see {@link resolveStageConfig}.
 */
export const STAGE_NAMES = ['development', 'staging', 'production'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export const DEFAULT_STAGE: StageName = 'development';

export interface CustomDomainConfig {
  /** e.g. `api.keywarden.example.com`; you create the DNS record (CNAME/alias to the output target). */
  readonly domainName: string;
  /** ACM certificate for `domainName`, in the deployment region (regional endpoint). */
  readonly certificateArn: string;
}

export interface StageConfig {
  /** The environment name the service reports (`KEYWARDEN_ENVIRONMENT`). */
  readonly stage: string;
  /** CloudFormation stack names start with this, e.g. `Keywarden-production`. */
  readonly stackPrefix: string;
  /** Physical names (table, secrets, log groups, functions) start with this, e.g. `keywarden-production`. */
  readonly resourcePrefix: string;
  /** API Gateway stage name; the public base URL is `https://…/<apiStageName>`. */
  readonly apiStageName: string;

  /** Lambda and API Gateway log retention. */
  readonly logRetention: RetentionDays;
  /**
   * What happens to stateful resources (table, secrets, KMS key, log groups) when the stack is
   * deleted or a resource is replaced. RETAIN in production: the hashing secret and the table
   * are the keys; losing either invalidates every issued key.
   */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection (blocks DeleteTable even outside CloudFormation). */
  readonly deletionProtection: boolean;
  /** DynamoDB point-in-time recovery (35 days of per-second restore). */
  readonly pointInTimeRecovery: boolean;
  /**
   * `aws-managed`: the `aws/dynamodb` key, no cost, no key policy to manage.
   * `customer-managed`: a dedicated KMS key with annual rotation; key use shows in CloudTrail
   * per key and access can be revoked by disabling the key (~$1/month).
   */
  readonly tableEncryption: 'aws-managed' | 'customer-managed';

  /** Alarm notifications go to an SNS topic; this address is subscribed to it when set. */
  readonly alarmEmail?: string;
  /**
   * Another Slack Web API base for the Slack function (`SLACK_API_URL`): GovSlack
   * (`https://slack-gov.com/api/`) or an egress proxy. Its origin is also the one place besides
   * Slack's hooks host a `response_url` may point (bots/slack/response-urls.ts). `https:`, or
   * `http:` on loopback only (a local stand-in).
   */
  readonly slackApiUrl?: string;
  readonly alarms: {
    /** API Gateway 5XX responses per 5 minutes that raise the alarm. */
    readonly api5xxPer5Minutes: number;
    /** API Gateway p99 latency (ms) over 5 minutes. Long `/v1/responses` streams count too. */
    readonly apiLatencyP99Ms: number;
  };

  /** API Gateway stage-wide throttling (steady requests per second and burst). Per-key limits are enforced by the service. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly customDomain?: CustomDomainConfig;
  /**
   * The console's own domain on its CloudFront distribution (SNI, TLSv1.2_2021); the certificate
   * must be in us-east-1 (CloudFront). Unset: the distribution's `*.cloudfront.net` name.
   */
  readonly consoleDomain?: CustomDomainConfig;
  /** OpenAI-compatible upstream base URL; unset = the clearly labelled local model. */
  readonly upstreamBaseUrl?: string;
  /**
   * The model catalog (`MODELS`, SPEC §4): `archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano`; an
   * id alone maps to itself. Unset: `archibot`.
   */
  readonly models?: string;
  /**
   * The catalog models' own prices (`MODEL_PRICES`, docs/gateway.md): credits per 1k input, output
   * and cached input tokens, e.g. `{ archibot: { input: 0.15, output: 0.6, cachedInput: 0.075 } }`;
   * a model not named keeps the global prices. From context as that object (cdk.json) or its JSON
   * text (`-c modelPrices='{…}'`); validated against `models` before any construct is created.
   */
  readonly modelPrices?: Readonly<Record<string, ModelPrices>>;
  /**
   * A catalog model's upstream deployments, tried in order (`MODEL_UPSTREAMS`, docs/gateway.md
   * "More than one upstream"): `{ archibot: [{ name: 'east', baseUrl: 'https://…/v1', secret:
   * 'keywarden/upstream-east', model: 'gpt-4.1-mini' }, …] }`. A deployment's `secret` is a Secrets
   * Manager secret (its name, or its complete ARN) holding `{"apiKey": "…"}`, created by the
   * operator; the responses function may read exactly those secrets. From context as the object
   * (cdk.json) or its JSON text (`-c modelUpstreams='{…}'`); validated against `models` at synth.
   */
  readonly modelUpstreams?: Readonly<Record<string, readonly DeploymentContext[]>>;
  /**
   * Where the API Keys console is served (the Console stack's CloudFront URL, or your domain for
   * it): chat sign-in links point there. Known after the first deploy: `-c consoleUrl=https://…`.
   */
  readonly consoleUrl?: string;

  /** X-Ray active tracing on the API stage and every function. */
  readonly tracing: boolean;
  /**
   * API Gateway execution logs need one account-level (per region) CloudWatch role. `true`: this
   * stack creates it (retained on delete). Set `false` when your landing zone already configures
   * API Gateway account settings; execution logging then uses the existing role.
   */
  readonly manageApiGatewayAccountRole: boolean;
  /** Ship external source maps and run with `--enable-source-maps` (readable stack traces, slower cold start). */
  readonly sourceMaps: boolean;

  readonly functions: {
    readonly api: FunctionSizing;
    readonly responses: FunctionSizing;
    readonly bots: FunctionSizing;
    /** The events relay (lib/keywarden-events.ts): webhook attempts are bounded at 10 s each. */
    readonly events: FunctionSizing;
  };
}

/** One upstream deployment as the stage names it (lambdas/core/models.ts UpstreamDeployment). */
export interface DeploymentContext {
  readonly name: string;
  readonly baseUrl: string;
  readonly secret?: string;
  readonly model?: string;
  readonly prices?: ModelPrices;
}

export interface FunctionSizing {
  readonly memorySize: number;
  readonly timeout: Duration;
}

const functionDefaults: StageConfig['functions'] = {
  api: { memorySize: 512, timeout: Duration.seconds(15) },
  // Streams until the upstream finishes; API Gateway keeps a streamed response open up to 15 minutes
  // (idle timeout 5 minutes on regional endpoints).
  responses: { memorySize: 512, timeout: Duration.minutes(5) },
  // Slack needs an ack within 3 s; cold starts of Bolt/botbuilder need the memory more than the time.
  bots: { memorySize: 512, timeout: Duration.seconds(30) },
  // A pass delivers up to 25 events side by side, each webhook attempt bounded at 10 s; the
  // minutes are headroom for a slow bus or table, not the usual run (well under a second).
  events: { memorySize: 512, timeout: Duration.minutes(2) },
};

function named(stage: StageName) {
  return {
    stage,
    stackPrefix: `Keywarden-${stage}`,
    resourcePrefix: `keywarden-${stage}`,
    apiStageName: stage,
  };
}

export const STAGES: Readonly<Record<StageName, StageConfig>> = {
  development: {
    ...named('development'),
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    tableEncryption: 'aws-managed',
    alarms: { api5xxPer5Minutes: 20, apiLatencyP99Ms: 10_000 },
    throttling: { rateLimit: 20, burstLimit: 40 },
    tracing: false,
    manageApiGatewayAccountRole: true,
    sourceMaps: true,
    functions: functionDefaults,
  },
  staging: {
    ...named('staging'),
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    tableEncryption: 'aws-managed',
    alarms: { api5xxPer5Minutes: 10, apiLatencyP99Ms: 5_000 },
    throttling: { rateLimit: 50, burstLimit: 100 },
    tracing: true,
    manageApiGatewayAccountRole: true,
    sourceMaps: false,
    functions: functionDefaults,
  },
  production: {
    ...named('production'),
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    tableEncryption: 'customer-managed',
    alarms: { api5xxPer5Minutes: 5, apiLatencyP99Ms: 5_000 },
    throttling: { rateLimit: 500, burstLimit: 1_000 },
    tracing: true,
    manageApiGatewayAccountRole: true,
    sourceMaps: false,
    functions: functionDefaults,
  },
};

export class StageConfigError extends Error {
  override name = 'StageConfigError';
}

export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}

/** Context keys an operator may pass with `-c key=value` to override the stage record. */
export const CONTEXT_KEYS = {
  stage: 'stage',
  alarmEmail: 'alarmEmail',
  upstreamBaseUrl: 'upstreamBaseUrl',
  models: 'models',
  modelPrices: 'modelPrices',
  modelUpstreams: 'modelUpstreams',
  consoleUrl: 'consoleUrl',
  domainName: 'domainName',
  certificateArn: 'certificateArn',
  consoleDomainName: 'consoleDomainName',
  consoleCertificateArn: 'consoleCertificateArn',
  slackApiUrl: 'slackApiUrl',
} as const;

type ContextReader = (key: string) => unknown;

function optionalString(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new StageConfigError(`context "${key}" must be a string`);
  return value;
}

/**
 * The stage record chosen by `-c stage=…`, with the operator overrides applied:
 * `-c alarmEmail=ops@example.com`, `-c upstreamBaseUrl=https://…/v1`, `-c models=archibot=gpt-4.1-mini`,
 * `-c domainName=api.example.com -c certificateArn=arn:aws:acm:…` (both or neither).
 * Fails loudly on an unknown stage or a malformed value, before any construct is created.
 */
export function resolveStageConfig(read: ContextReader): StageConfig {
  const stage = optionalString(read, CONTEXT_KEYS.stage) ?? DEFAULT_STAGE;
  if (!isStageName(stage)) {
    throw new StageConfigError(`unknown stage "${stage}"; expected one of ${STAGE_NAMES.join(', ')}`);
  }
  const base = STAGES[stage];
  const alarmEmail = optionalString(read, CONTEXT_KEYS.alarmEmail) ?? base.alarmEmail;
  const upstreamBaseUrl = optionalString(read, CONTEXT_KEYS.upstreamBaseUrl) ?? base.upstreamBaseUrl;
  const models = optionalString(read, CONTEXT_KEYS.models) ?? base.models;
  const modelPrices = jsonFromContext<StageConfig['modelPrices']>(read(CONTEXT_KEYS.modelPrices), 'modelPrices', '{"model":{"input":…,"output":…}} (credits per 1k tokens)') ?? base.modelPrices;
  const modelUpstreams =
    jsonFromContext<StageConfig['modelUpstreams']>(read(CONTEXT_KEYS.modelUpstreams), 'modelUpstreams', '{"model":[{"name":…,"baseUrl":…,"secret":…,"model":…}]}') ?? base.modelUpstreams;
  const consoleUrl = optionalString(read, CONTEXT_KEYS.consoleUrl) ?? base.consoleUrl;
  const slackApiUrl = optionalString(read, CONTEXT_KEYS.slackApiUrl) ?? base.slackApiUrl;
  const domainName = optionalString(read, CONTEXT_KEYS.domainName);
  const certificateArn = optionalString(read, CONTEXT_KEYS.certificateArn);
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new StageConfigError('custom domain needs both "domainName" and "certificateArn"');
  }
  const customDomain = domainName && certificateArn ? { domainName, certificateArn } : base.customDomain;
  const consoleDomainName = optionalString(read, CONTEXT_KEYS.consoleDomainName);
  const consoleCertificateArn = optionalString(read, CONTEXT_KEYS.consoleCertificateArn);
  if ((consoleDomainName === undefined) !== (consoleCertificateArn === undefined)) {
    throw new StageConfigError('console domain needs both "consoleDomainName" and "consoleCertificateArn"');
  }
  const consoleDomain =
    consoleDomainName && consoleCertificateArn ? { domainName: consoleDomainName, certificateArn: consoleCertificateArn } : base.consoleDomain;
  return validateStageConfig({ ...base, alarmEmail, upstreamBaseUrl, customDomain, ...(consoleDomain ? { consoleDomain } : {}), ...(models === undefined ? {} : { models }), ...(modelPrices === undefined ? {} : { modelPrices }), ...(modelUpstreams === undefined ? {} : { modelUpstreams }), ...(consoleUrl === undefined ? {} : { consoleUrl }), ...(slackApiUrl === undefined ? {} : { slackApiUrl }) });
}

/** What `models` and `modelPrices` may take of a function's 4 KB environment (the rest: table, URLs, secret ARNs). */
const CATALOG_ENV_BYTES = 2_800;

/** A Secrets Manager secret's ARN (complete, with its 6-character suffix, or partial). */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** The catalog the service runs when `models` is unset (lambdas/config.ts MODEL_ID's default). */
const DEFAULT_MODEL_ID = 'archibot';

/** `modelPrices` or `modelUpstreams` from context: the object (cdk.json), or its JSON text (`-c`); checked by validateStageConfig. */
function jsonFromContext<T>(value: unknown, key: string, shape: string): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new StageConfigError(`context "${key}" must be JSON: ${shape}`);
  }
}

export function validateStageConfig(config: StageConfig): StageConfig {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(config.resourcePrefix)) problems.push(`resourcePrefix "${config.resourcePrefix}"`);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,100}$/.test(config.stackPrefix)) problems.push(`stackPrefix "${config.stackPrefix}"`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(config.apiStageName)) problems.push(`apiStageName "${config.apiStageName}"`);
  if (config.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(config.alarmEmail)) {
    problems.push(`alarmEmail "${config.alarmEmail}"`);
  }
  if (config.slackApiUrl !== undefined && !slackApiUrlOk(config.slackApiUrl)) {
    problems.push(`slackApiUrl "${config.slackApiUrl}" (https:, or http: on loopback)`);
  }
  // The service's own check (lambdas/core/models.ts), the one every upstream URL passes.
  if (config.upstreamBaseUrl !== undefined && upstreamUrlProblem(config.upstreamBaseUrl)) {
    problems.push(`upstreamBaseUrl "${config.upstreamBaseUrl}" (${upstreamUrlProblem(config.upstreamBaseUrl)})`);
  }
  if (config.models !== undefined) {
    try {
      parseModels(config.models);
    } catch (err) {
      problems.push(`models (${(err as Error).message})`);
    }
  }
  if (config.modelPrices !== undefined) {
    try {
      // The Lambdas' catalog is `models`, else MODEL_ID's default: the prices must name its models.
      withPrices(parseModels(config.models ?? DEFAULT_MODEL_ID), config.modelPrices);
    } catch (err) {
      problems.push(`modelPrices (${(err as Error).message})`);
    }
  }
  if (config.modelUpstreams !== undefined) {
    try {
      withDeployments(parseModels(config.models ?? DEFAULT_MODEL_ID), config.modelUpstreams);
      for (const d of Object.values(config.modelUpstreams).flat()) {
        if (d.secret?.startsWith('arn:') && !SECRET_ARN.test(d.secret)) throw new Error(`${d.name}: secret "${d.secret}" is not a Secrets Manager secret ARN`);
      }
    } catch (err) {
      problems.push(`modelUpstreams (${(err as Error).message})`);
    }
  }
  // Lambda allows a function 4 KB of environment in all; the catalog, its prices and its
  // deployments share it with the table's name, the URLs and the secrets' ARNs, so a large
  // catalog fails here, not at deploy.
  const catalogBytes = [config.models, config.modelPrices, config.modelUpstreams].reduce(
    (bytes, part) => bytes + (part === undefined ? 0 : Buffer.byteLength(typeof part === 'string' ? part : JSON.stringify(part))),
    0,
  );
  if (catalogBytes > CATALOG_ENV_BYTES) {
    problems.push(`${config.modelUpstreams === undefined ? 'models and modelPrices' : 'models, modelPrices and modelUpstreams'} (${catalogBytes} bytes of the Lambda environment; at most ${CATALOG_ENV_BYTES}, as Lambda allows 4 KB in all)`);
  }
  if (config.consoleUrl !== undefined && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(config.consoleUrl)) problems.push(`consoleUrl "${config.consoleUrl}"`);
  if (config.customDomain && !config.customDomain.certificateArn.startsWith('arn:')) {
    problems.push(`certificateArn "${config.customDomain.certificateArn}"`);
  }
  if (config.consoleDomain && !/^arn:aws:acm:us-east-1:\d{12}:certificate\/\S+$/.test(config.consoleDomain.certificateArn)) {
    problems.push(`consoleCertificateArn "${config.consoleDomain.certificateArn}" (CloudFront takes ACM certificates from us-east-1)`);
  }
  if (config.consoleDomain && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(config.consoleDomain.domainName)) {
    problems.push(`consoleDomainName "${config.consoleDomain.domainName}"`);
  }
  const { rateLimit, burstLimit } = config.throttling;
  if (!(rateLimit > 0) || !(burstLimit >= 1) || !Number.isInteger(burstLimit)) {
    problems.push(`throttling ${rateLimit}/${burstLimit}`);
  }
  if (problems.length > 0) {
    throw new StageConfigError(`invalid stage config for "${config.stage}": ${problems.join(', ')}`);
  }
  return config;
}

/** `https:` without userinfo, or `http:` on a loopback host (a local stand-in). */
function slackApiUrlOk(raw: string): boolean {
  try {
    const url = new URL(raw);
    if (url.username || url.password) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}
