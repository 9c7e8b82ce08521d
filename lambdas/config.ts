// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { parseModels, upstreamUrlProblem, withDeployments, withPrices, type CatalogModel } from './core/models';
import { SECRET_NAMES, type SecretName } from './core/ports';
import { MAX_PENDING_RECORDS } from './adapters/store/table-access';

/**
 * Runtime configuration, parsed once at cold start (Lambda) or process start (local server, CLI).
 * A missing required value fails loudly with its name.
 *
 * Environment variables read in AWS (set by lib/keywarden-service.ts):
 *   KEYWARDEN_ENVIRONMENT        stage name, e.g. development | production
 *   TABLE_NAME                   the single DynamoDB table
 *   PUBLIC_BASE_URL              public base of the API (…/v1 is appended), used in setup scripts,
 *                                the OpenAPI server URL and as a console origin; default (unset)
 *                                http://127.0.0.1:8787 — never a Host a request names
 *   CONSOLE_URL                  where the API Keys console is served (its CloudFront URL in AWS),
 *                                used in sign-in links; with PUBLIC_BASE_URL, the only origins the
 *                                console's same-origin check accepts; https = the `__Host-` cookie.
 *                                Default: PUBLIC_BASE_URL's origin
 *   UPSTREAM_BASE_URL            OpenAI-compatible upstream base URL (unset = local model)
 *   SECRET_<NAME>_ARN            Secrets Manager ARN per secret the function uses, NAME one of SECRET_NAMES
 *   MODELS                       the model catalog, `id=upstream-model,…` (an id alone maps to
 *                                itself); default MODEL_ID
 *   MODEL_ID, HEADER_BRAND       default `archibot` / `Archibot` (MODEL_ID: the catalog when MODELS is unset)
 *   PRICE_PER_REQUEST, PRICE_PER_1K_TOKENS, CREDIT_RESERVE   billing (credits): the global prices
 *   MODEL_PRICES                 a model's own prices, JSON: `{"archibot":{"input":0.15,"output":0.6,
 *                                "cachedInput":0.075}}` (credits per 1k tokens; optional perRequest,
 *                                reserve); a catalog model not named keeps the global prices
 *   MODEL_UPSTREAMS              a model's ordered upstream deployments, JSON: `{"archibot":[{"name":"east",
 *                                "baseUrl":"https://…/v1","secret":"…","model":"gpt-4.1-mini"},…]}`
 *                                (docs/gateway.md, "More than one upstream"); a model not named keeps
 *                                UPSTREAM_BASE_URL. Locally a deployment's key is UPSTREAM_API_KEY_<SECRET>
 *   UPSTREAM_COOLDOWN_FAILURES, UPSTREAM_COOLDOWN_MS   consecutive failures after which a deployment
 *                                is skipped, and for how long (default 3, 30000; per process)
 *   UPSTREAM_ATTEMPT_TIMEOUT_MS  longest wait for a deployment's first byte before the next is tried
 *                                (default: the time left shared by the deployments left); the whole
 *                                call stays within UPSTREAM_TIMEOUT_MS
 *   LOG_FORMAT                   json (default: Powertools' JSON lines) | text (one readable line a record)
 *   LOG_LEVEL                    a Powertools level, TRACE … SILENT (any case); POWERTOOLS_LOG_LEVEL wins
 *   GITHUB_SECRET_SCANNING_KEYS_URL  where GitHub's secret scanning public keys are fetched (they sign
 *                                its partner reports); default GitHub's own, GITHUB_SECRET_SCANNING_KEYS_URL below
 *   EVENT_BUS_NAME               the custom EventBridge bus lifecycle events are put on (unset: no bus)
 *   EVENTBRIDGE_ENDPOINT         tests only: where the EventBridge client sends (a stand-in on 127.0.0.1)
 *   KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK  `1`: webhooks may target loopback addresses over http (local
 *                                development only; never set in AWS, where webhooks are https only)
 *   KEYWARDEN_ACCOUNT_ID         the AWS account Keywarden runs in (lib/ sets it from the deployment):
 *                                a rotation's secret in another account needs the customer's role
 *                                (`deliverTo.roleArn`, core/key-rotation.ts). Unset (locally, tests):
 *                                every secret counts as Keywarden's own, the rule before cross-account
 */
export { SECRET_NAMES, type SecretName };

/** Environment variable that carries a secret's ARN in AWS, e.g. SECRET_BOT_ASSERTION_ARN. */
export function secretArnVariable(name: SecretName): string {
  return `SECRET_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_ARN`;
}

/** Where a deployment's key is locally: UPSTREAM_API_KEY_<SECRET>, e.g. secret `east` → UPSTREAM_API_KEY_EAST. */
export function upstreamKeyVariable(secret: string): string {
  return `UPSTREAM_API_KEY_${secret.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Powertools Logger's levels, quietest last. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const numberFromEnv = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `not a non-negative number: ${v}` });
        return z.NEVER;
      }
      return n;
    });

/** GitHub's own: where it publishes the keys that sign secret scanning partner reports. */
/** The brand of the billing headers (`X-Archibot-Credits-Charged`) when HEADER_BRAND is unset. */
export const DEFAULT_HEADER_BRAND = 'Archibot';

export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

const ConfigSchema = z.object({
  KEYWARDEN_ENVIRONMENT: z.string().min(1).default('local'),
  TABLE_NAME: z.string().min(1),
  PUBLIC_BASE_URL: z.string().url().optional(),
  CONSOLE_URL: z.string().url().optional(),
  UPSTREAM_BASE_URL: z
    .string()
    .optional()
    .superRefine((url, ctx) => {
      const problem = url === undefined ? undefined : upstreamUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  UPSTREAM_TIMEOUT_MS: numberFromEnv(60_000),
  UPSTREAM_COOLDOWN_FAILURES: numberFromEnv(3),
  UPSTREAM_COOLDOWN_MS: numberFromEnv(30_000),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: numberFromEnv(0),
  MODEL_ID: z.string().min(1).default('archibot'),
  MODELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        return parseModels(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  MODEL_PRICES: z.string().optional(),
  MODEL_UPSTREAMS: z.string().optional(),
  HEADER_BRAND: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/).default(DEFAULT_HEADER_BRAND),
  PRICE_PER_REQUEST: numberFromEnv(1),
  PRICE_PER_1K_TOKENS: numberFromEnv(0.5),
  CREDIT_RESERVE: numberFromEnv(1),
  MAX_BODY_BYTES: numberFromEnv(1_048_576),
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  MAX_PENDING_RECORDS: numberFromEnv(MAX_PENDING_RECORDS),
  LOG_FORMAT: z.enum(['json', 'text'], { error: (issue) => `not json or text: ${String(issue.input)}` }).default('json'),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const level = v.toUpperCase();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        ctx.addIssue({ code: 'custom', message: `not one of ${LOG_LEVELS.join(', ')}: ${v}` });
        return z.NEVER;
      }
      return level as LogLevelName;
    }),
  POWERTOOLS_LOG_LEVEL: z.string().optional(),
  GITHUB_SECRET_SCANNING_KEYS_URL: z.string().url().default(GITHUB_SECRET_SCANNING_KEYS_URL),
  EVENT_BUS_NAME: z.string().min(1).max(256).optional(),
  EVENTBRIDGE_ENDPOINT: z.string().url().optional(),
  KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: z.enum(['', '0', '1']).optional(),
  KEYWARDEN_ACCOUNT_ID: z
    .string()
    .regex(/^(\d{12})?$/, 'not a 12-digit AWS account id')
    .optional()
    .transform((v) => v || undefined),
});

export interface Config {
  environment: string;
  tableName: string;
  publicBaseUrl: string | undefined;
  /** Where the console is served, when not beside the API (AWS: the CloudFront distribution). */
  consoleUrl: string | undefined;
  upstreamBaseUrl: string | undefined;
  upstreamTimeoutMs: number;
  /** A model's upstream deployments (MODEL_UPSTREAMS): when one is skipped, and how long one is waited on. */
  upstreams: {
    /** Consecutive failures after which a deployment is skipped (cools down); 0 never skips. */
    coolDownFailures: number;
    coolDownMs: number;
    /** Longest wait for one deployment's first byte; undefined: the time left, shared by the deployments left. */
    attemptTimeoutMs: number | undefined;
  };
  /**
   * Locally (no Secrets Manager): a deployment's key from the environment, UPSTREAM_API_KEY_<SECRET>.
   * A function, so the keys never sit in a value that is logged or compared.
   */
  upstreamKeyFromEnv(secret: string): string | undefined;
  /** The default model's public id (the catalog's first). */
  modelId: string;
  /** The model catalog: public id → upstream model (SPEC §4), each with its own prices if it has them. */
  models: CatalogModel[];
  headerBrand: string;
  pricing: { perRequest: number; per1kTokens: number; reserve: number };
  maxBodyBytes: number;
  /** Only set locally and in tests: the embedded dynalite endpoint. */
  dynamodbEndpoint: string | undefined;
  /**
   * Usage and owner records a process holds unwritten at most (DynamoDB throttling them): past it,
   * new calls are answered 503 before their admission until the records drain.
   */
  maxPendingRecords: number;
  /** Secret name → ARN, for the secrets this function may read (AWS only). */
  secretArns: Partial<Record<SecretName, string>>;
  /** Where GitHub publishes the keys that sign its secret scanning partner reports. */
  githubSecretScanningKeysUrl: string;
  /** Lifecycle events (core/events.ts): the EventBridge bus they go on (unset: none), and where its client sends (tests). */
  eventBus: { name: string | undefined; endpoint: string | undefined };
  /** Webhooks may target loopback addresses over http (KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK=1, local only). */
  webhooksAllowLoopback: boolean;
  /**
   * The AWS account Keywarden runs in: a rotation's secret outside it is written through the
   * customer's role (core/key-rotation.ts `secretDestinationRefusal`). Undefined: every secret is
   * taken as this account's (locally and in tests, where no account is known).
   */
  keywardenAccountId?: string;
  /** The services' log lines (lambdas/logging.ts); `level` unset leaves it to Powertools (INFO, or POWERTOOLS_LOG_LEVEL). */
  logging: { format: 'json' | 'text'; level: LogLevelName | undefined };
}

/** Where the local server listens by default: the public base when PUBLIC_BASE_URL is unset. */
export const LOCAL_BASE_URL = 'http://127.0.0.1:8787';

/** The public base URL (no `/v1`, no trailing slash), from configuration only — never from a request's Host. */
export function publicBase(config: Pick<Config, 'publicBaseUrl'>): string {
  return (config.publicBaseUrl ?? LOCAL_BASE_URL).replace(/\/+$/, '');
}

/**
 * The origins the console is served from: the public base's and CONSOLE_URL's (in AWS, the
 * CloudFront distribution that serves the console and /v1). The same-origin check compares with
 * these only.
 */
export function consoleOrigins(config: Pick<Config, 'publicBaseUrl' | 'consoleUrl'>): string[] {
  const origins = [publicBase(config), config.consoleUrl].flatMap((url) => {
    try {
      return url ? [new URL(url).origin] : [];
    } catch {
      return [];
    }
  });
  return [...new Set(origins)];
}

/** Is the console served over HTTPS (its cookie then `__Host-` prefixed and Secure)? */
export function consoleIsHttps(config: Pick<Config, 'publicBaseUrl' | 'consoleUrl'>): boolean {
  return (config.consoleUrl ?? publicBase(config)).startsWith('https:');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${names}`);
  }
  const c = parsed.data;
  const catalog = c.MODELS ?? parseModels(c.MODEL_ID);
  let models: CatalogModel[];
  try {
    // Prices are checked against the catalog they price: a model it does not list is a mistake.
    models = withPrices(catalog, c.MODEL_PRICES ?? '');
  } catch (err) {
    throw new ConfigError(`invalid configuration: MODEL_PRICES: ${(err as Error).message}`);
  }
  try {
    models = withDeployments(models, c.MODEL_UPSTREAMS ?? '');
  } catch (err) {
    throw new ConfigError(`invalid configuration: MODEL_UPSTREAMS: ${(err as Error).message}`);
  }
  const secretArns: Partial<Record<SecretName, string>> = {};
  for (const name of SECRET_NAMES) {
    const arn = env[secretArnVariable(name)];
    if (arn) secretArns[name] = arn;
  }
  return {
    environment: c.KEYWARDEN_ENVIRONMENT,
    tableName: c.TABLE_NAME,
    publicBaseUrl: c.PUBLIC_BASE_URL,
    consoleUrl: c.CONSOLE_URL,
    upstreamBaseUrl: c.UPSTREAM_BASE_URL,
    upstreamTimeoutMs: c.UPSTREAM_TIMEOUT_MS,
    upstreams: {
      coolDownFailures: c.UPSTREAM_COOLDOWN_FAILURES,
      coolDownMs: c.UPSTREAM_COOLDOWN_MS,
      attemptTimeoutMs: c.UPSTREAM_ATTEMPT_TIMEOUT_MS > 0 ? c.UPSTREAM_ATTEMPT_TIMEOUT_MS : undefined,
    },
    upstreamKeyFromEnv: (secret) => env[upstreamKeyVariable(secret)] || undefined,
    modelId: models[0]!.id,
    models,
    headerBrand: c.HEADER_BRAND,
    pricing: { perRequest: c.PRICE_PER_REQUEST, per1kTokens: c.PRICE_PER_1K_TOKENS, reserve: c.CREDIT_RESERVE },
    maxBodyBytes: c.MAX_BODY_BYTES,
    dynamodbEndpoint: c.DYNAMODB_ENDPOINT,
    maxPendingRecords: Math.max(1, Math.floor(c.MAX_PENDING_RECORDS)),
    secretArns,
    githubSecretScanningKeysUrl: c.GITHUB_SECRET_SCANNING_KEYS_URL,
    eventBus: { name: c.EVENT_BUS_NAME, endpoint: c.EVENTBRIDGE_ENDPOINT },
    webhooksAllowLoopback: c.KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK === '1',
    keywardenAccountId: c.KEYWARDEN_ACCOUNT_ID,
    logging: { format: c.LOG_FORMAT, level: c.POWERTOOLS_LOG_LEVEL ? undefined : c.LOG_LEVEL },
  };
}
