import type { Services } from '../services';
import { createRouter, type ApiHandler, type Route } from './router';
import { deliveryRoutes } from './routes/deliveries';
import { healthRoutes } from './routes/health';
import { keyRoutes } from './routes/keys';
import { modelRoutes } from './routes/models';
import { openApiRoutes } from './routes/openapi';
import { responseRoutes } from './routes/responses';

/** Every /v1 route: the one table the router serves and the CDK stack's API Gateway must match. */
export const API_ROUTE_TABLE: readonly Route[] = [...modelRoutes, ...responseRoutes, ...keyRoutes, ...openApiRoutes, ...healthRoutes, ...deliveryRoutes];

/** The API Lambda, the streaming Lambda and the local server all serve this. */
export function createApi(services: Services): ApiHandler {
  return createRouter(services, [...API_ROUTE_TABLE]);
}
