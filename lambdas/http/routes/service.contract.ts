// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';

/** Liveness and the OpenAPI document (routes/service.ts). */

export const SERVICE_CONTRACT = {
  getHealth: contract({
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    summary: 'Liveness, no key needed (the local server answers 503 service_unavailable with Retry-After until it is ready)',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'Ready', schema: z.strictObject({ status: z.literal('ok'), environment: z.string() }) },
  }),
  getOpenApiDocument: contract({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document: the OpenAPI 3.1 description of /v1',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.literal('3.1.0') }) },
  }),
} as const;
