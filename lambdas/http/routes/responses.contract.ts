// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { UPSTREAM_ID_PATTERN } from '../openai-apis';
import { contract } from '../route-contract';
import { idSlot } from '../schemas';

/** The OpenAI-compatible model calls (routes/responses.ts): what the gateway reads of each request. */

/**
 * The Responses API request as far as the gateway reads it: a model and the stream flag. Every
 * other field (`input`, `tools`, `reasoning`, …) is the upstream's business and is forwarded
 * unchanged, byte for byte.
 */
export const ResponsesBody = z.looseObject({
  model: z.string({ error: 'model is required (a model id such as archibot)' }).min(1, 'model is required (a model id such as archibot)'),
  stream: z.boolean({ error: 'stream must be a boolean' }).nullable().optional(),
  // A background response is watched after its answer and billed once its usage is known
  // (http/background-watch.ts); streamed, it would be billed by a stream the client may leave.
  background: z.boolean({ error: 'background must be a boolean' }).nullable().optional(),
  // Ids of stored objects the call continues: well-formed (a raw key here is exposed) and, before
  // the upstream is called, the caller's project's (stored-owners.ts).
  previous_response_id: idSlot('previous_response_id', UPSTREAM_ID_PATTERN, 'a response id (resp_…)').nullable().optional(),
  conversation: z
    .union([idSlot('conversation', UPSTREAM_ID_PATTERN, 'a conversation id (conv_…)'), z.looseObject({ id: idSlot('conversation', UPSTREAM_ID_PATTERN, 'a conversation id (conv_…)') })], {
      error: 'conversation must be a conversation id or {"id": "<conversation id>"}',
    })
    .nullable()
    .optional(),
}).refine((body) => !(body.background === true && body.stream === true), {
  message: 'background responses are served without stream here: create it, then poll GET /v1/responses/{id}',
  path: ['stream'],
});

/** The Chat Completions request as far as the gateway reads it; every other field goes upstream unchanged. */
export const ChatCompletionsBody = z.looseObject({
  model: ResponsesBody.shape.model,
  messages: z.array(z.unknown(), { error: 'messages must be a list of chat messages' }).min(1, 'messages must not be empty'),
  stream: ResponsesBody.shape.stream,
});

export const RESPONSE_CONTRACT = {
  createResponse: contract({
    method: 'POST',
    path: '/v1/responses',
    operationId: 'createResponse',
    summary: 'Create a model response (OpenAI Responses API), forwarded to the upstream; stream: true streams server-sent events',
    description:
      'Billing evidence is in the X-<Brand>-Request-Id, X-<Brand>-Credits-Charged and X-<Brand>-Credits-Remaining headers of every answer, rejections included.',
    tags: ['Responses'],
    auth: 'key',
    streaming: true,
    billed: true,
    body: ResponsesBody,
    success: { status: 200, description: 'The upstream’s response object, or its event stream', eventStream: true },
    errors: [404, 502, 504],
    relaysUpstreamErrors: true,
  }),
  createChatCompletion: contract({
    method: 'POST',
    path: '/v1/chat/completions',
    operationId: 'createChatCompletion',
    summary: 'Create a chat completion (OpenAI Chat Completions API), forwarded to the upstream; stream: true streams chunks ending in [DONE]',
    description:
      'The same checks and billing as /v1/responses. A stream carries a final usage chunk (empty choices): the gateway asks the upstream for it (stream_options.include_usage) to bill the stream by its usage.',
    tags: ['Responses'],
    auth: 'key',
    streaming: true,
    billed: true,
    body: ChatCompletionsBody,
    success: { status: 200, description: 'The upstream’s chat.completion, or its chat.completion.chunk stream', eventStream: true },
    errors: [404, 502, 504],
    relaysUpstreamErrors: true,
  }),
} as const;
