import { openApiDocument } from '../openapi';
import { defineRoute, type Route } from '../route';
import type { RouteContract } from '../route-contract';
import { json } from '../types';
import { publicV1Url } from './keys';
import { SERVICE_CONTRACT } from './service.contract';

/**
 * Liveness for load balancers, process managers and scripts: no key, no storage read, never
 * billed. The local server answers 503 on every path, this one included, until it is ready.
 */
export const healthRoute: Route = defineRoute(SERVICE_CONTRACT.getHealth, async (ctx) =>
  json(200, { status: 'ok', environment: ctx.services.config.environment }),
);

/** GET /v1/openapi.json: the document generated from the route table it is part of. */
export function openApiRoute(table: () => readonly RouteContract[]): Route {
  let cached: { serverUrl: string; doc: unknown } | undefined;
  return defineRoute(SERVICE_CONTRACT.getOpenApiDocument, async (ctx) => {
    const serverUrl = publicV1Url(ctx);
    if (cached?.serverUrl !== serverUrl) cached = { serverUrl, doc: openApiDocument(table(), { serverUrl, brand: ctx.services.config.headerBrand }) };
    return json(200, cached.doc);
  });
}
