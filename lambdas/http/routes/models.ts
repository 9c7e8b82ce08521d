import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import type { KeyRecord } from '../../core/types';
import type { RequestContext, Route } from '../router';
import { ModelIdSlot } from '../schemas';
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

/** A key with its own `models` list may use only those (SPEC §4). */
export function keyMayUse(key: KeyRecord, model: string): boolean {
  return key.models === undefined || key.models.includes(model);
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
      const key = await ctx.key();
      const models = [platformModel(ctx)].filter((m) => keyMayUse(key, m.id));
      return json(200, { object: 'list', data: models });
    },
  },
  {
    method: 'GET',
    path: '/v1/models/:model',
    params: { model: ModelIdSlot('model') },
    handler: async (ctx) => {
      await requireModelAccess(ctx);
      if (ctx.params.model !== ctx.services.config.modelId || !keyMayUse(await ctx.key(), ctx.params.model)) {
        throw new KeywardenError('model_not_found', 'The model does not exist or this key may not use it.', { param: 'model' });
      }
      return json(200, platformModel(ctx));
    },
  },
];
