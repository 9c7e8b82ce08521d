import { DEFAULT_HEADER_BRAND } from '../config';
import { OPENAPI_FILE, shippedOpenApi } from '../http/openapi-shipped';
import type { ServiceParts } from '../services-core';
import { noEventDelivery, noModelCalls, noOperator } from './absent-parts';

/**
 * The API function's parts (Keywarden's own routes, handlers/api.ts): no model calls (the
 * streaming function's), no event delivery (the events function's), no operator actions (the
 * CLI's), and the OpenAPI document generated when the function was bundled, read from beside its
 * `index.mjs` (lib/keywarden-function.ts writes it with bin/openapi.ts, for the default brand).
 */
export const API_PARTS: ServiceParts = {
  models: noModelCalls,
  delivery: noEventDelivery,
  operator: noOperator,
  openApi: shippedOpenApi(new URL(`./${OPENAPI_FILE}`, import.meta.url), DEFAULT_HEADER_BRAND),
};
