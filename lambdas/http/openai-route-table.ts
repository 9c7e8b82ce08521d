import type { Route } from './route';
import { conversationRoutes } from './routes/conversations';
import { embeddingRoutes } from './routes/embeddings';
import { modelRoutes } from './routes/models';
import { responseRoutes } from './routes/responses';
import { storedResponseRoutes } from './routes/responses-stored';

/**
 * OpenAI's routes (route-origin.ts): what the response-streaming function serves in AWS (REST
 * `STREAM` mode, lambdas/handlers/responses.ts), every one of them `streaming`. Its own table, so
 * that function's bundle carries none of the key-management handlers, and the API function's none
 * of these (test/http/router/route-tables.test.ts checks the split against each route's flag).
 */
export const OPENAI_ROUTE_TABLE: readonly Route[] = [...modelRoutes, ...responseRoutes, ...storedResponseRoutes, ...conversationRoutes, ...embeddingRoutes];
