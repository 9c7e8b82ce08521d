import { openApiDocument } from '../openapi';
import type { Route } from '../router';
import { json } from '../types';
import { publicV1Url } from './keys';

export const openApiRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/openapi.json',
    handler: async (ctx) =>
      json(200, openApiDocument({ serverUrl: publicV1Url(ctx), brand: ctx.services.config.headerBrand, modelId: ctx.services.config.modelId })),
  },
];
