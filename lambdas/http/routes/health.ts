// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { defineRoute, type Route } from '../router';
import { json } from '../types';

/**
 * Liveness for load balancers, process managers and scripts: no key, no storage read, never
 * billed. The local server answers 503 on every path, this one included, until it is ready.
 */
export const healthRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    summary: 'Liveness, no key needed (the local server answers 503 service_unavailable with Retry-After until it is ready)',
    tags: ['Service'],
    auth: 'public',
    success: { status: 200, description: 'Ready', schema: z.strictObject({ status: z.literal('ok'), environment: z.string() }) },
    handler: async (ctx) => json(200, { status: 'ok', environment: ctx.services.config.environment }),
  }),
];
