import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import type { RequestContext, Route } from '../router';
import { json } from '../types';

const CREATED = 1_735_689_600; // 2025-01-01: a stable `created` for the platform model.

/** The caller may discover models: a valid key with `models:read` on an account with API access. */
async function requireModelAccess(ctx: RequestContext): Promise<void> {
  const key = await ctx.key();
  const { keys, accountGate } = ctx.services;
  if (!keys.check(key, 'models:read').allowed) {
    throw new KeywardenError('insufficient_permissions', 'This key lacks the models:read permission.');
  }
  if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
}

function platformModel(ctx: RequestContext) {
  return { id: ctx.services.config.modelId, object: 'model', created: CREATED, owned_by: 'keywarden' };
}

/** OpenAI-compatible model discovery. Never draws credits. */
export const modelRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/models',
    handler: async (ctx) => {
      await requireModelAccess(ctx);
      return json(200, { object: 'list', data: [platformModel(ctx)] });
    },
  },
  {
    method: 'GET',
    path: '/v1/models/:model',
    handler: async (ctx) => {
      await requireModelAccess(ctx);
      if (ctx.params.model !== ctx.services.config.modelId) {
        throw new KeywardenError('not_found', 'The model does not exist.', { param: 'model' });
      }
      return json(200, platformModel(ctx));
    },
  },
];
