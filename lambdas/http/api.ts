import type { Services } from '../services';
import { findRoute, type Route } from './route';
import { createRouter, type ApiHandler } from './router';
import { conversationRoutes } from './routes/conversations';
import { deliveryRoutes } from './routes/deliveries';
import { healthRoutes } from './routes/health';
import { keyRoutes } from './routes/keys';
import { consoleRoutes } from './routes/console';
import { modelRoutes } from './routes/models';
import { openApiRoute } from './routes/openapi';
import { responseRoutes } from './routes/responses';

/**
 * Every /v1 route, each declared once beside its handler. The router serves this table, the
 * OpenAPI document is generated from it, the CDK stack builds its API Gateway resources from it
 * (lib/keywarden-service.ts), and the local server picks the streaming handler by it.
 */
export const API_ROUTE_TABLE: readonly Route[] = [
  ...modelRoutes,
  ...responseRoutes,
  ...keyRoutes,
  ...deliveryRoutes,
  ...conversationRoutes,
  ...healthRoutes,
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
