import { defineRoute, type Route } from '../route';
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

/** GET /v1/openapi.json: the document of the route table it is part of, for this deployment (services' `openApi`). */
export const openApiRoute: Route = defineRoute(SERVICE_CONTRACT.getOpenApiDocument, async (ctx) =>
  json(200, await ctx.services.openApi({ serverUrl: publicV1Url(ctx), brand: ctx.services.config.headerBrand })),
);
