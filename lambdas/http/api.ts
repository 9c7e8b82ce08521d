import type { Services } from '../services';
import { findRoute, type Route } from './route';
import { createRouter, type ApiHandler } from './router';
import { adminRoutes } from './routes/admins';
import { auditRoutes } from './routes/audit';
import { webhookRoutes } from './routes/webhooks';
import { botRoutes } from './routes/bots';
import { consoleRoutes } from './routes/console';
import { conversationRoutes } from './routes/conversations';
import { embeddingRoutes } from './routes/embeddings';
import { keyRoutes, meRoutes } from './routes/keys';
import { keyRequestRoutes } from './routes/key-requests';
import { modelRoutes } from './routes/models';
import { responseRoutes } from './routes/responses';
import { storedResponseRoutes } from './routes/responses-stored';
import { secretScanningRoutes } from './routes/secret-scanning';
import { healthRoute, openApiRoute } from './routes/service';
import { usageRoutes } from './routes/usage';

/**
 * Every /v1 route, each declared once beside its handler (routes/<surface>.contract.ts and
 * routes/<surface>.ts). The router serves this table, the OpenAPI document is generated from it,
 * the CDK stack builds its API Gateway resources from it (lib/keywarden-api.ts), and the local
 * server picks the streaming handler by it. The OpenAPI document lists paths, tags and schemas
 * in the order of this table (hence `/v1/me` after the admins, health before the console).
 */
export const API_ROUTE_TABLE: readonly Route[] = [
  ...modelRoutes,
  ...responseRoutes,
  ...storedResponseRoutes,
  ...conversationRoutes,
  ...embeddingRoutes,
  ...keyRoutes,
  ...keyRequestRoutes,
  ...auditRoutes,
  ...webhookRoutes,
  ...usageRoutes,
  ...adminRoutes,
  ...meRoutes,
  ...botRoutes,
  ...secretScanningRoutes,
  healthRoute,
  ...consoleRoutes,
  openApiRoute(() => API_ROUTE_TABLE),
];

/** The API Lambda, the streaming Lambda and the local server all serve this. */
export function createApi(services: Services): ApiHandler {
  return createRouter(services, API_ROUTE_TABLE);
}

/** Is this request served by the response-streaming function? */
export function isStreamingRequest(method: string, path: string): boolean {
  return findRoute(API_ROUTE_TABLE, method, path)?.streaming === true;
}
