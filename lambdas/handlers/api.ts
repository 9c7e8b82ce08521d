import { loadConfig } from '../config';
import { KeywardenError } from '../core/errors';
import type { Upstream } from '../core/ports';
import { KEYWARDEN_ROUTE_TABLE } from '../http/keywarden-route-table';
import { createApiHandler } from '../http/lambda-adapter';
import { composeServices, type Deployments } from '../services-core';

/**
 * This function serves no model call (OpenAI's routes are the streaming function's), so it is
 * built without the upstream adapters and the local model: were a model call ever routed here, it
 * is refused, never answered by the offline stand-in.
 */
const refused = () => new KeywardenError('not_found', 'Model calls are not served by this function.');
const NO_MODEL_CALLS: Upstream = { label: 'none (the API function serves no model call)', forward: () => Promise.reject(refused()) };
const NO_DEPLOYMENTS: Deployments = {
  forward: () => Promise.reject(refused()),
  inOrder: () => Promise.reject(refused()),
  built: () => undefined,
  at: () => {
    throw refused();
  },
  only: () => NO_DEPLOYMENTS,
};

/** Lambda entry: Keywarden's own /v1 routes (OpenAI's are the streaming function's). Services are built at cold start. */
export const handler = createApiHandler(
  composeServices(loadConfig(), {}, () => ({ upstream: NO_MODEL_CALLS, deployments: NO_DEPLOYMENTS })),
  KEYWARDEN_ROUTE_TABLE,
);
