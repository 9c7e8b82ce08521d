import { openApiDocument } from '../openapi';
import { CONTRACT } from '../contract';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { publicV1Url } from './keys';

/** GET /v1/openapi.json: the document generated from the route table it is part of. */
export function openApiRoute(table: () => readonly Route[]): Route {
  let cached: { serverUrl: string; doc: unknown } | undefined;
  return defineRoute(CONTRACT.getOpenApiDocument, async (ctx) => {
    const serverUrl = publicV1Url(ctx);
    if (cached?.serverUrl !== serverUrl) cached = { serverUrl, doc: openApiDocument(table(), { serverUrl, brand: ctx.services.config.headerBrand }) };
    return json(200, cached.doc);
  });
}
