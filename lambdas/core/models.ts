// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import type { KeyRecord } from './types';

/**
 * The model catalog (SPEC §4): the public model ids callers name, each mapped to the upstream
 * model that serves it. Configured as `MODELS` (environment, or the CDK stage's `models`):
 * `archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano`; an id alone maps to itself. A model may
 * carry its own prices (`MODEL_PRICES`, or the stage's `modelPrices`); one without is billed at
 * the global prices (PRICE_PER_1K_TOKENS …, billing.ts).
 */
export interface CatalogModel {
  /** The public id (what `/v1/models` lists and callers send). */
  id: string;
  /** The name the upstream receives. */
  upstream: string;
  /** Its own prices; absent = the global ones. Never listed by `/v1/models` (OpenAI's shape). */
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
  let value = spec;
  if (typeof spec === 'string') {
    if (spec.trim() === '') return [...models];
    try {
      value = JSON.parse(spec);
    } catch {
      throw new Error('not JSON: {"model":{"input":…,"output":…}, …} (credits per 1k tokens)');
    }
  }
  const parsed = z.record(z.string(), ModelPricesSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.path.length === 0 ? 'not an object of model prices' : issue.message;
    throw new Error(`${where}${message}`);
  }
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
