import { CHAT_COMPLETIONS, RESPONSES } from '../openai-apis';
import { forward } from '../openai-relay';
import { defineRoute, type Route } from '../route';
import { RESPONSE_CONTRACT } from './responses.contract';

/**
 * The OpenAI-compatible model calls: one lifecycle (core/model-call.ts) and one relay
 * (openai-relay.ts) for the two API shapes (openai-apis.ts).
 */
export const responseRoutes: Route[] = [
  defineRoute(RESPONSE_CONTRACT.createResponse, (ctx) => forward(ctx, RESPONSES)),
  defineRoute(RESPONSE_CONTRACT.createChatCompletion, (ctx) => forward(ctx, CHAT_COMPLETIONS)),
];
