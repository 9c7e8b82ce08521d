import { ADMIN_CONTRACT } from './routes/admins.contract';
import { AUDIT_CONTRACT } from './routes/audit.contract';
import { BOT_CONTRACT } from './routes/bots.contract';
import { CONSOLE_CONTRACT } from './routes/console.contract';
import { CONVERSATION_CONTRACT } from './routes/conversations.contract';
import { EMBEDDINGS_CONTRACT } from './routes/embeddings.contract';
import { EXPOSURE_CONTRACT, KEY_CONTRACT, ME_CONTRACT } from './routes/keys.contract';
import { KEY_REQUEST_CONTRACT } from './routes/key-requests.contract';
import { MODEL_CONTRACT } from './routes/models.contract';
import { RESPONSE_CONTRACT } from './routes/responses.contract';
import { ROTATION_DELIVERY_CONTRACT } from './routes/rotation-deliveries.contract';
import { STORED_RESPONSE_CONTRACT } from './routes/responses-stored.contract';
import { SECRET_SCANNING_CONTRACT } from './routes/secret-scanning.contract';
import { SERVICE_CONTRACT } from './routes/service.contract';
import { USAGE_CONTRACT } from './routes/usage.contract';
import { WEBHOOKS_CONTRACT } from './routes/webhooks.contract';

export type { RouteContract } from './route-contract';

/**
 * The /v1 contract: every route's declaration (route-contract.ts), the union of what each surface
 * declares beside its handlers (lambdas/http/routes/<surface>.contract.ts). The server attaches a
 * handler to each (routes/<surface>.ts, `defineRoute`), and the typed client (client.ts, used by
 * the CLI, both bots, the console and the tests) builds its calls and result types from it. The
 * OpenAPI document and the CDK routes are generated from the route table (api.ts).
 */
export const CONTRACT = {
  ...MODEL_CONTRACT,
  ...RESPONSE_CONTRACT,
  ...STORED_RESPONSE_CONTRACT,
  ...CONVERSATION_CONTRACT,
  ...EMBEDDINGS_CONTRACT,
  ...KEY_CONTRACT,
  ...EXPOSURE_CONTRACT,
  ...KEY_REQUEST_CONTRACT,
  ...ROTATION_DELIVERY_CONTRACT,
  ...AUDIT_CONTRACT,
  ...USAGE_CONTRACT,
  ...ADMIN_CONTRACT,
  ...ME_CONTRACT,
  ...BOT_CONTRACT,
  ...SECRET_SCANNING_CONTRACT,
  ...SERVICE_CONTRACT,
  ...CONSOLE_CONTRACT,
  ...WEBHOOKS_CONTRACT,
} as const;

export type OperationId = keyof typeof CONTRACT;
