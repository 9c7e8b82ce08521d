import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import type { Route } from '../router';
import { json } from '../types';

const CREATED = 1_735_689_600; // 2025-01-01: a stable `created` for the platform model.

/** OpenAI-compatible model discovery. Needs `models:read`; never draws credits. */
export const modelRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/models',
    handler: async (ctx) => {
      const key = await ctx.key();
      const { keys, accountGate, config } = ctx.services;
      if (!keys.check(key, 'models:read').allowed) {
        throw new KeywardenError('insufficient_permissions', 'This key lacks the models:read permission.');
      }
      if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
      const model = { id: config.modelId, object: 'model', created: CREATED, owned_by: 'keywarden' };
      return json(200, { object: 'list', data: [model] });
    },
  },
  {
    method: 'GET',
    path: '/v1/models/:model',
    handler: async (ctx) => {
      const key = await ctx.key();
      const { keys, accountGate, config } = ctx.services;
      if (!keys.check(key, 'models:read').allowed) {
        throw new KeywardenError('insufficient_permissions', 'This key lacks the models:read permission.');
      }
      if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
      if (ctx.params.model !== config.modelId) throw new KeywardenError('not_found', 'The model does not exist.', { param: 'model' });
      return json(200, { id: config.modelId, object: 'model', created: CREATED, owned_by: 'keywarden' });
    },
  },
];
