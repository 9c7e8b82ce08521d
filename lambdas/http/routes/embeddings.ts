import { EMBEDDINGS } from '../openai-apis';
import { forward } from '../openai-relay';
import { defineRoute, type Route } from '../route';
import { EMBEDDINGS_CONTRACT } from './embeddings.contract';

/**
 * OpenAI's Embeddings API: the model call's one lifecycle (core/model-call.ts) and one relay
 * (openai-relay.ts), as /v1/responses, for an API that is never streamed (openai-apis.ts).
 */
export const embeddingRoutes: Route[] = [defineRoute(EMBEDDINGS_CONTRACT.createEmbedding, (ctx) => forward(ctx, EMBEDDINGS))];
