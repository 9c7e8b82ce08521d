// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { UPSTREAM_ID_PATTERN } from '../openai-apis';
import { contract } from '../route-contract';
import { idSlot } from '../schemas';

/**
 * OpenAI's stored responses (routes/responses-stored.ts): retrieve, delete, cancel and list input
 * items of a response the upstream keeps, for the project whose call created it and only for it.
 */

/** A response id: the upstream's (`resp_…`), letters, digits, `_` and `-` only; a raw key here is exposed (schemas.ts). */
export const ResponseIdSlot = idSlot('id', UPSTREAM_ID_PATTERN, 'a response id (resp_…: up to 128 letters, digits, _ or -)');
export const StoredResponseParams = z.object({ id: ResponseIdSlot });

/** A query value passed on to the upstream: plain tokens only (`message.output_text.logprobs`, an id, a number). */
const token = (what: string) => z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, `${what} must be a plain value (letters, digits, _ . : -)`);

/** What OpenAI's retrieve reads; anything else is dropped, never passed on. */
export const RetrieveResponseQuery = z.object({
  stream: z.enum(['true', 'false'], { error: 'stream must be true or false' }).optional().describe('true: the response’s events, from `starting_after`'),
  starting_after: z.string().regex(/^\d{1,9}$/, 'starting_after must be an event sequence number').optional(),
  include: token('include').optional(),
  'include[]': token('include[]').optional(),
  include_obfuscation: z.enum(['true', 'false']).optional(),
});

/** What OpenAI's input items listing reads. */
export const InputItemsQuery = z.object({
  after: token('after').optional(),
  limit: z.string().regex(/^(100|[1-9][0-9]?)$/, 'limit must be 1 to 100').optional(),
  order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional(),
  include: token('include').optional(),
  'include[]': token('include[]').optional(),
});

const common = {
  tags: ['Responses'],
  auth: 'key' as const,
  // Served beside the model calls: the function that holds the upstream's key.
  streaming: true,
  params: StoredResponseParams,
  errors: [404, 502, 504] as const,
  relaysUpstreamErrors: true,
};

const ownerOnly = 'Only the project whose call created the response may use it: any other (or an unknown id) is 404 before the upstream is called. Not billed.';

export const STORED_RESPONSE_CONTRACT = {
  getResponse: contract({
    ...common,
    method: 'GET',
    path: '/v1/responses/:id',
    operationId: 'getResponse',
    summary: 'Retrieve a stored response (OpenAI Responses API), from the upstream; stream=true replays its events',
    description: `Polls a background response for its status. ${ownerOnly}`,
    query: RetrieveResponseQuery,
    success: { status: 200, description: 'The upstream’s response object, or its event stream', eventStream: true },
  }),
  deleteResponse: contract({
    ...common,
    method: 'DELETE',
    path: '/v1/responses/:id',
    operationId: 'deleteResponse',
    summary: 'Delete a stored response at the upstream',
    description: ownerOnly,
    success: { status: 200, description: 'The upstream’s deletion answer' },
  }),
  cancelResponse: contract({
    ...common,
    method: 'POST',
    path: '/v1/responses/:id/cancel',
    operationId: 'cancelResponse',
    summary: 'Cancel a background response at the upstream',
    description: ownerOnly,
    success: { status: 200, description: 'The upstream’s response object' },
  }),
  listResponseInputItems: contract({
    ...common,
    method: 'GET',
    path: '/v1/responses/:id/input_items',
    operationId: 'listResponseInputItems',
    summary: 'List the input items of a stored response, from the upstream',
    description: ownerOnly,
    query: InputItemsQuery,
    success: { status: 200, description: 'The upstream’s list of input items' },
  }),
} as const;
