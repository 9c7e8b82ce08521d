import type { Services } from '../services';
import { createRouter, type ApiHandler } from './router';
import { keyRoutes } from './routes/keys';
import { modelRoutes } from './routes/models';
import { openApiRoutes } from './routes/openapi';
import { responseRoutes } from './routes/responses';

/** Every /v1 route. The API Lambda, the streaming Lambda and the local server all serve this. */
export function createApi(services: Services): ApiHandler {
  return createRouter(services, [...modelRoutes, ...responseRoutes, ...keyRoutes, ...openApiRoutes]);
}
