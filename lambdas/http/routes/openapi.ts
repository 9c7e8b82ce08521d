// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { openApiDocument } from '../openapi';
import { defineRoute, type Route } from '../router';
import { json } from '../types';
import { publicV1Url } from './keys';

/** GET /v1/openapi.json: the document generated from the route table it is part of. */
export function openApiRoute(table: () => readonly Route[]): Route {
  let cached: { serverUrl: string; doc: unknown } | undefined;
  return defineRoute({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document: the OpenAPI 3.1 description of /v1',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.literal('3.1.0') }) },
    handler: async (ctx) => {
      const serverUrl = publicV1Url(ctx);
      if (cached?.serverUrl !== serverUrl) cached = { serverUrl, doc: openApiDocument(table(), { serverUrl, brand: ctx.services.config.headerBrand }) };
      return json(200, cached.doc);
    },
  });
}
