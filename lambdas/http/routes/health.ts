import { CONTRACT } from '../contract';
import { defineRoute, type Route } from '../route';
import { json } from '../types';

/**
 * Liveness for load balancers, process managers and scripts: no key, no storage read, never
 * billed. The local server answers 503 on every path, this one included, until it is ready.
 */
export const healthRoutes: Route[] = [
  defineRoute(CONTRACT.getHealth, async (ctx) => json(200, { status: 'ok', environment: ctx.services.config.environment })),
];
