// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { ResponsesBody } from './responses.contract';

/** OpenAI's Embeddings API (routes/embeddings.ts): what the gateway reads of each request. */

/** Most inputs one request may embed (OpenAI's own limit); each input's length is bounded by the body size. */
export const MAX_EMBEDDING_INPUTS = 2048;
/**
 * Most dimensions a caller may ask for: above every embedding model's native size, and a bound on
 * what the local model computes (inputs × dimensions).
 */
export const MAX_EMBEDDING_DIMENSIONS = 8192;

const INPUT_ERROR = `input must be a non-empty string, a list of them, a list of token ids, or a list of token id lists (1 to ${MAX_EMBEDDING_INPUTS} inputs, none empty)`;
const text = z.string().min(1, 'an input text must not be empty');
const tokenIds = z.array(z.number().int('a token id is a whole number').nonnegative('a token id is 0 or more')).min(1, 'a token id list must not be empty');

/**
 * The Embeddings request: `input` in any of OpenAI's four forms (text, texts, token ids, lists of
 * token ids), never empty — an empty input would be charged for nothing the upstream can embed.
 * The other fields are checked for their type only; anything else goes upstream unchanged (a
 * provider's own options) except `stream`, which is dropped: embeddings are answered whole.
 */
export const EmbeddingsBody = z.looseObject({
  model: ResponsesBody.shape.model,
  input: z.union([text, z.array(text).min(1).max(MAX_EMBEDDING_INPUTS), tokenIds, z.array(tokenIds).min(1).max(MAX_EMBEDDING_INPUTS)], {
    error: INPUT_ERROR,
  }),
  encoding_format: z.enum(['float', 'base64'], { error: 'encoding_format must be float or base64' }).nullable().optional(),
  dimensions: z
    .number({ error: 'dimensions must be a whole number' })
    .int('dimensions must be a whole number')
    .min(1, 'dimensions must be at least 1')
    .max(MAX_EMBEDDING_DIMENSIONS, `dimensions must be at most ${MAX_EMBEDDING_DIMENSIONS}`)
    .nullable()
    .optional(),
  user: z.string({ error: 'user must be a string' }).max(1024, 'user must be at most 1024 characters').nullable().optional(),
});

export const EMBEDDINGS_CONTRACT = {
  createEmbedding: contract({
    method: 'POST',
    path: '/v1/embeddings',
    operationId: 'createEmbedding',
    summary: 'Create embeddings (OpenAI Embeddings API), forwarded to the upstream; never streamed',
    description:
      'The same key, scope (responses:write), model catalog, limits and credits as /v1/responses, billed by the usage the upstream reports (prompt_tokens, total_tokens). encoding_format base64 (the openai SDKs’ default) answers each embedding as little-endian float32 bytes in base64. Billing evidence is in the X-<Brand>-Request-Id, X-<Brand>-Credits-Charged and X-<Brand>-Credits-Remaining headers of every answer, rejections included.',
    tags: ['Embeddings'],
    auth: 'key',
    // Served by the model-call function: it answers first and settles after (route-contract.ts).
    streaming: true,
    billed: true,
    body: EmbeddingsBody,
    success: { status: 200, description: 'The upstream’s embeddings list: { object: list, data: [{ object: embedding, index, embedding }], model, usage }' },
    errors: [404, 502, 504],
    relaysUpstreamErrors: true,
  }),
} as const;
