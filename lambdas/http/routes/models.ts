// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from '../../core/errors';
import { checkPermission } from '../../core/policy';
import type { KeyRecord } from '../../core/types';
import { defineRoute, type RequestContext, type Route } from '../router';
import { ModelIdSlot } from '../schemas';
import { json } from '../types';

const CREATED = 1_735_689_600; // 2025-01-01: a stable `created` for the platform model.

/** The caller may discover models: a valid key with `models:read` on an account with API access. */
async function requireModelAccess(ctx: RequestContext<unknown, unknown, unknown>): Promise<KeyRecord> {
  const key = await ctx.key();
  const { accountGate } = ctx.services;
  if (!checkPermission(key, 'models:read').allowed) {
    throw new KeywardenError('insufficient_permissions', 'This key lacks the models:read permission.');
  }
  if (!(await accountGate.enabled(key.accountId))) throw new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE);
  return key;
}

/** A key with its own `models` list may use only those (SPEC §4). */
export function keyMayUse(key: KeyRecord, model: string): boolean {
  return key.models === undefined || key.models.includes(model);
}

function platformModel(ctx: RequestContext<unknown, unknown, unknown>) {
  return { id: ctx.services.config.modelId, object: 'model' as const, created: CREATED, owned_by: 'keywarden' };
}

const ModelSchema = z.strictObject({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() });
const tags = ['Models'];

/** OpenAI-compatible model discovery. Never draws credits. */
export const modelRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'List the models this key may call (never draws credits)',
    tags,
    auth: 'key',
    success: { status: 200, description: 'The models', schema: z.strictObject({ object: z.literal('list'), data: z.array(ModelSchema) }) },
    handler: async (ctx) => {
      const key = await requireModelAccess(ctx);
      return json(200, { object: 'list', data: [platformModel(ctx)].filter((m) => keyMayUse(key, m.id)) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/models/:model',
    operationId: 'getModel',
    summary: 'One model (never draws credits)',
    tags,
    auth: 'key',
    params: z.strictObject({ model: ModelIdSlot('model') }),
    success: { status: 200, description: 'The model', schema: ModelSchema },
    errors: [404],
    handler: async (ctx) => {
      const key = await requireModelAccess(ctx);
      if (ctx.params.model !== ctx.services.config.modelId || !keyMayUse(key, ctx.params.model)) {
        throw new KeywardenError('model_not_found', 'The model does not exist or this key may not use it.', { param: 'model' });
      }
      return json(200, platformModel(ctx));
    },
  }),
];
