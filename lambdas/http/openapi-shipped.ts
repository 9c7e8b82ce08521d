import { readFile } from 'node:fs/promises';
import type { OpenApiDocuments, OpenApiPlace } from '../services-core';

/**
 * The OpenAPI document as the API function ships it: generated when the function is bundled
 * (bin/openapi.ts, run by lib/keywarden-function.ts) into a file beside its `index.mjs`, so the
 * function carries neither the generator nor zod's JSON Schema output nor OpenAI's route contracts
 * (≈ 20 KB of its bundle). The file is the document for a placeholder server and the default
 * brand; each deployment's server URL and header brand are put in when it is read.
 */
export const OPENAPI_FILE = 'openapi.json';
/** The server URL the shipped file carries, replaced by the deployment's. */
export const SHIPPED_SERVER_URL = 'https://keywarden.invalid/v1';

/**
 * The shipped document placed: its server, and its billing headers (`X-<brand>-…`) under the
 * deployment's brand when it is not the one the file was generated with.
 */
export function placeOpenApiDocument<T extends object>(doc: T, place: OpenApiPlace, shippedBrand: string): T {
  const from = `X-${shippedBrand}-`;
  const to = `X-${place.brand}-`;
  const rebrand = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rebrand);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.startsWith(from) ? `${to}${k.slice(from.length)}` : k, rebrand(v)]));
  };
  const placed = (from === to ? doc : rebrand(doc)) as T;
  return { ...placed, servers: [{ url: place.serverUrl }] };
}

/**
 * The document read from `file` once, then placed once per server URL and brand (a function
 * serves one deployment: in practice once).
 */
export function shippedOpenApi(file: URL, shippedBrand: string): OpenApiDocuments {
  let shipped: Promise<object> | undefined;
  let cached: { key: string; doc: object } | undefined;
  return async (place) => {
    shipped ??= readFile(file, 'utf8').then((text) => JSON.parse(text) as object);
    const doc = await shipped.catch((err: unknown) => {
      shipped = undefined;
      throw new Error(`the OpenAPI document shipped with this function could not be read (${OPENAPI_FILE} beside the bundle): ${(err as Error).message}`);
    });
    const key = `${place.serverUrl}\n${place.brand}`;
    if (cached?.key !== key) cached = { key, doc: placeOpenApiDocument(doc, place, shippedBrand) };
    return cached.doc;
  };
}
