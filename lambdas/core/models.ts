// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import type { KeyRecord } from './types';

/**
 * The model catalog (SPEC §4): the public model ids callers name, each mapped to the upstream
 * model that serves it. Configured as `MODELS` (environment, or the CDK stage's `models`):
 * `archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano`; an id alone maps to itself. A model may
 * carry its own prices (`MODEL_PRICES`, or the stage's `modelPrices`); one without is billed at
 * the global prices (PRICE_PER_1K_TOKENS …, billing.ts), and its own ordered upstream deployments
 * (`MODEL_UPSTREAMS`, or the stage's `modelUpstreams`); one without goes to the one upstream.
 */
export interface CatalogModel {
  /** The public id (what `/v1/models` lists and callers send). */
  id: string;
  /** The name the upstream receives. */
  upstream: string;
  /** Its own prices; absent = the global ones. Never listed by `/v1/models` (OpenAI's shape). */
  prices?: ModelPrices;
  /**
   * Its upstream deployments, in the order they are tried (`MODEL_UPSTREAMS`, or the stage's
   * `modelUpstreams`); absent = the one upstream (UPSTREAM_BASE_URL), exactly as before.
   */
  deployments?: readonly UpstreamDeployment[];
}

/**
 * One upstream deployment of a catalog model (docs/gateway.md, "More than one upstream"): an
 * OpenAI-compatible base URL, the secret holding its key, and the model name it receives.
 */
export interface UpstreamDeployment {
  /** Names it in usage records, logs and its cool-down; one name is one deployment, in every model that lists it. */
  name: string;
  baseUrl: string;
  /**
   * Where its key is: in AWS a Secrets Manager secret (name or ARN) holding `{"apiKey": "…"}`;
   * locally the environment variable UPSTREAM_API_KEY_<SECRET> (upper case, `_` for anything
   * else). Absent: the platform's own upstream secret (UPSTREAM_API_KEY / the `upstream` secret).
   */
  secret?: string;
  /** The upstream model name it receives (default: the catalog's mapping of the model). */
  model: string;
  /** What a call it answers costs (default: the catalog model's prices). */
  prices?: ModelPrices;
}

/**
 * A model's own prices, in credits. Tokens are priced per 1k, input and output apart, as LiteLLM and
 * OpenRouter price them; cached input tokens (OpenAI's `cached_tokens`, which are part of the input
 * tokens) at `cachedInput` instead of `input` (default: `input`, no discount). `perRequest` is
 * what a call whose answer reports no usage costs, and `reserve` what is held before the call —
 * each defaults to the global one (PRICE_PER_REQUEST, CREDIT_RESERVE): a large model names a
 * larger reserve so a call cannot run far past what was held for it.
 */
export interface ModelPrices {
  input: number;
  output: number;
  cachedInput?: number;
  perRequest?: number;
  reserve?: number;
}

/** Credits per 1k tokens (or per call): bounded so that every price a call can reach stays a number DynamoDB stores (at most 38 digits). */
const MAX_PRICE = 1_000_000;
const credits = z
  .number({ error: (issue) => (issue.input === undefined ? 'missing' : 'not a number') })
  .min(0, 'not a non-negative number')
  .max(MAX_PRICE, `more than ${MAX_PRICE.toLocaleString('en')} credits`);

/** One model's prices: named fields only, so a misspelt one is an error rather than a free model. */
export const ModelPricesSchema = z.strictObject({
  input: credits,
  output: credits,
  cachedInput: credits.optional(),
  perRequest: credits.optional(),
  reserve: credits.optional(),
});

/**
 * Parses a `MODEL_PRICES` value — JSON, `{"archibot":{"input":0.15,"output":0.6,"cachedInput":0.075}}`
 * (or the same object from CDK context) — against the catalog it prices, and returns the catalog
 * with the prices attached. Throws one line naming the model and the field at fault; a price for a
 * model the catalog does not list is a mistake too (a misspelt id would bill at the defaults).
 */
export function withPrices(models: readonly CatalogModel[], spec: unknown): CatalogModel[] {
  const value = catalogJson(spec, '{"model":{"input":…,"output":…}, …} (credits per 1k tokens)');
  if (value === undefined) return [...models];
  const parsed = z.record(z.string(), ModelPricesSchema).safeParse(value);
  if (!parsed.success) throw new Error(issueLine(parsed.error, 'not an object of model prices'));
  const unknown = Object.keys(parsed.data).filter((id) => !models.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: not a model in the catalog`);
  return models.map((m) => {
    const prices = parsed.data[m.id];
    return prices ? { ...m, prices } : m;
  });
}

/** A public model id: what `/v1/models/{model}` and request bodies carry (no `/`: it is a path segment). */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** An upstream model name, which may be namespaced (`org/model`). */
export const UPSTREAM_MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * The one check of an upstream base URL, for UPSTREAM_BASE_URL and every deployment alike, at
 * start, at synth and in the adapter that calls it: an absolute http(s) URL to a host, with no
 * credentials in it (a key belongs in its secret, never in a URL that is logged and templated),
 * no query or fragment (the gateway appends OpenAI's paths) and no whitespace. Returns what is
 * wrong, or undefined.
 */
export function upstreamUrlProblem(value: string): string | undefined {
  if (/\s/.test(value)) return 'not a URL (whitespace)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'not an http(s) URL';
  if (!url.hostname) return 'names no host';
  if (url.username || url.password) return 'carries credentials (the key belongs in its secret)';
  if (url.search || url.hash) return 'has a query or fragment';
  return undefined;
}

/** A deployment's name: what usage records carry. */
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A Secrets Manager secret name or ARN (its allowed characters; an ARN adds `:`). */
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
/** Most deployments one model may list: each is an attempt the call may wait on. */
export const MAX_DEPLOYMENTS = 8;

const DeploymentSchema = z.strictObject({
  name: z.string({ error: 'missing' }).regex(DEPLOYMENT_NAME, 'not a deployment name ([A-Za-z0-9._-], at most 64)'),
  baseUrl: z.string({ error: 'missing' }).superRefine((url, ctx) => {
    const problem = upstreamUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  secret: z.string().regex(SECRET_ID, 'not a secret name or ARN').optional(),
  model: z.string().regex(UPSTREAM_MODEL_NAME, 'not an upstream model name').optional(),
  prices: ModelPricesSchema.optional(),
});

/**
 * Parses a `MODEL_UPSTREAMS` value — JSON, `{"archibot":[{"name":"east","baseUrl":"https://…/v1",
 * "secret":"keywarden/upstream-east","model":"gpt-4.1-mini"},…]}` (or the same object from CDK
 * context) — against the catalog, and returns the catalog with each listed model's deployments
 * attached (a deployment's model defaults to the catalog's mapping). Throws one line naming the
 * model and the field at fault. One name is one deployment (its cool-down is shared), so a name
 * listed twice must name the same URL and secret.
 */
export function withDeployments(models: readonly CatalogModel[], spec: unknown): CatalogModel[] {
  const value = catalogJson(spec, '{"model":[{"name":…,"baseUrl":…,"secret":…,"model":…}, …]}');
  if (value === undefined) return [...models];
  const parsed = z.record(z.string(), z.array(DeploymentSchema).min(1, 'lists no deployment').max(MAX_DEPLOYMENTS, `more than ${MAX_DEPLOYMENTS} deployments`)).safeParse(value);
  if (!parsed.success) throw new Error(issueLine(parsed.error, 'not an object of deployment lists'));
  const unknown = Object.keys(parsed.data).filter((id) => !models.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: not a model in the catalog`);
  const seen = new Map<string, { baseUrl: string; secret?: string }>();
  for (const [id, list] of Object.entries(parsed.data)) {
    const names = new Set<string>();
    for (const d of list) {
      if (names.has(d.name)) throw new Error(`${id}: deployment listed twice: ${d.name}`);
      names.add(d.name);
      const before = seen.get(d.name);
      if (before && (before.baseUrl !== d.baseUrl || before.secret !== d.secret)) throw new Error(`${id}: deployment ${d.name} names another URL or secret than where it is listed before`);
      seen.set(d.name, d);
    }
  }
  return models.map((m) => {
    const list = parsed.data[m.id];
    if (!list) return m;
    return { ...m, deployments: list.map((d) => ({ ...d, model: d.model ?? m.upstream })) };
  });
}

/** A JSON setting's value: parsed when text, undefined when empty; `shape` is what the error shows. */
function catalogJson(spec: unknown, shape: string): unknown {
  if (typeof spec !== 'string') return spec ?? undefined;
  if (spec.trim() === '') return undefined;
  try {
    return JSON.parse(spec);
  } catch {
    throw new Error(`not JSON: ${shape}`);
  }
}

/** A zod error as one line: the path at fault, then what is wrong with it. */
function issueLine(error: z.ZodError, whole: string): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.path.length === 0 ? whole : issue.message;
  return `${where}${message}`;
}

/** Parses a `MODELS` value; throws with the offending entry when it is not a valid catalog. */
export function parseModels(spec: string): CatalogModel[] {
  const models: CatalogModel[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const [id = '', mapped, ...rest] = entry.split('=').map((part) => part.trim());
    const upstream = mapped ?? id;
    if (rest.length > 0 || !MODEL_ID_PATTERN.test(id) || !UPSTREAM_MODEL_NAME.test(upstream)) {
      throw new Error(`not a model entry (id or id=upstream-model): ${entry}`);
    }
    if (models.some((m) => m.id === id)) throw new Error(`model listed twice: ${id}`);
    models.push({ id, upstream });
  }
  if (models.length === 0) throw new Error('the catalog lists no model');
  return models;
}

/** A key with its own `models` list may use only those (SPEC §4); without one, the whole catalog. */
export function keyMayUse(key: Pick<KeyRecord, 'models'>, model: string): boolean {
  return key.models === undefined || key.models.includes(model);
}

export class ModelCatalog {
  constructor(readonly models: readonly CatalogModel[]) {}

  /** The catalog entry for a public id, if it is one. */
  find(id: string): CatalogModel | undefined {
    return this.models.find((m) => m.id === id);
  }

  /** The default model: the first listed (bots chat with it, setup scripts name it). */
  get defaultModel(): CatalogModel {
    return this.models[0]!;
  }
}
