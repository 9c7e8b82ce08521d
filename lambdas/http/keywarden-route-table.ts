import type { Route } from './route';
import { adminRoutes } from './routes/admins';
import { auditRoutes } from './routes/audit';
import { botRoutes } from './routes/bots';
import { consoleRoutes } from './routes/console';
import { keyRequestRoutes } from './routes/key-requests';
import { keyRoutes, meRoutes } from './routes/keys';
import { rotationDeliveryRoutes } from './routes/rotation-deliveries';
import { secretScanningRoutes } from './routes/secret-scanning';
import { healthRoute, openApiRoute } from './routes/service';
import { usageRoutes } from './routes/usage';
import { webhookRoutes } from './routes/webhooks';

/**
 * Keywarden's own routes (key management, usage, admins, bots, console, the service's): what the
 * API function serves in AWS (lambdas/handlers/api.ts), none of them `streaming`. The OpenAPI
 * document describes every /v1 route, these and OpenAI's, from their contracts alone (contract.ts),
 * so this table needs none of OpenAI's handlers; in AWS it is generated when the function is
 * bundled, so the function carries none of their contracts either (http/openapi-shipped.ts).
 */
export const KEYWARDEN_ROUTE_TABLE: readonly Route[] = [
  ...keyRoutes,
  ...keyRequestRoutes,
  ...rotationDeliveryRoutes,
  ...auditRoutes,
  ...webhookRoutes,
  ...usageRoutes,
  ...adminRoutes,
  ...meRoutes,
  ...botRoutes,
  ...secretScanningRoutes,
  healthRoute,
  ...consoleRoutes,
  openApiRoute,
];
