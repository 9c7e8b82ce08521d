import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import { checkPermission } from '../../core/policy';
import type { KeyRecord } from '../../core/types';
import { keyMayUse } from '../../core/models';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { MODEL_CONTRACT } from './models.contract';

const CREATED = 1_735_689_600; // 2025-01-01: a stable `created` for the platform model.

/** The caller may discover models: a valid key with `models:read` on an account with API access. */
async function requireModelAccess(ctx: RequestContext): Promise<KeyRecord> {
  const key = await ctx.key();
  const { accountGate } = ctx.services;
  if (!checkPermission(key, 'models:read').allowed) {
    throw new KeywardenError('insufficient_permissions', 'This key lacks the models:read permission.');
  }
  if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
  return key;
}

/** A catalog model as OpenAI lists it (the public id; the upstream name it maps to stays private). */
function listed(id: string) {
  return { id, object: 'model' as const, created: CREATED, owned_by: 'keywarden' };
}

/** OpenAI-compatible model discovery, from the catalog (SPEC §4), narrowed to the key's own list. Never draws credits. */
export const modelRoutes: Route[] = [
  defineRoute(MODEL_CONTRACT.listModels, async (ctx) => {
    const key = await requireModelAccess(ctx);
    return json(200, { object: 'list', data: ctx.services.catalog.models.filter((m) => keyMayUse(key, m.id)).map((m) => listed(m.id)) });
  }),
  defineRoute(MODEL_CONTRACT.getModel, async (ctx) => {
    const key = await requireModelAccess(ctx);
    if (!ctx.services.catalog.find(ctx.params.model) || !keyMayUse(key, ctx.params.model)) {
      throw new KeywardenError('model_not_found', 'The model does not exist or this key may not use it.', { param: 'model' });
    }
    return json(200, listed(ctx.params.model));
  }),
];
