import type { Services } from '../services-core';
import { KEYWARDEN_ROUTE_TABLE } from './keywarden-route-table';
import { OPENAI_ROUTE_TABLE } from './openai-route-table';
import { findRoute, type Route } from './route';
import { createRouter, type ApiHandler } from './router';

/**
 * Every /v1 route, each declared once beside its handler (routes/<surface>.contract.ts and
 * routes/<surface>.ts). The router serves this table, the OpenAPI document is generated from it,
 * the CDK stack builds its API Gateway resources from it (lib/keywarden-api.ts), and the local
 * server picks the streaming handler by it. The OpenAPI document lists paths, tags and schemas
 * in the order of this table (hence `/v1/me` after the admins, health before the console).
 */
export const API_ROUTE_TABLE: readonly Route[] = [...OPENAI_ROUTE_TABLE, ...KEYWARDEN_ROUTE_TABLE];

/** The local server serves this whole table; in AWS each function serves its half (lambda-adapter.ts). */
export function createApi(services: Services, routes: readonly Route[] = API_ROUTE_TABLE): ApiHandler {
  return createRouter(services, routes);
}

/** Is this request served by the response-streaming function? */
export function isStreamingRequest(method: string, path: string): boolean {
  return findRoute(API_ROUTE_TABLE, method, path)?.streaming === true;
}
