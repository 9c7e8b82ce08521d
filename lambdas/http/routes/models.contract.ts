// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { ModelIdSlot } from '../schemas';

/** OpenAI-compatible model discovery (routes/models.ts). */

export const ModelSchema = z.strictObject({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() });

export const MODEL_CONTRACT = {
  listModels: contract({
    method: 'GET',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'List the models this key may call (never draws credits)',
    tags: ['Models'],
    auth: 'key',
    streaming: true,
    success: { status: 200, description: 'The models', schema: z.strictObject({ object: z.literal('list'), data: z.array(ModelSchema) }) },
  }),
  getModel: contract({
    method: 'GET',
    path: '/v1/models/:model',
    operationId: 'getModel',
    summary: 'One model (never draws credits)',
    tags: ['Models'],
    auth: 'key',
    streaming: true,
    params: z.strictObject({ model: ModelIdSlot('model') }),
    success: { status: 200, description: 'The model', schema: ModelSchema },
    errors: [404],
  }),
} as const;
