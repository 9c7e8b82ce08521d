import { loadConfig } from '../config';
import { KEYWARDEN_ROUTE_TABLE } from '../http/keywarden-route-table';
import { createApiHandler } from '../http/lambda-adapter';
import { buildServices } from '../services';

/** Lambda entry: Keywarden's own /v1 routes (OpenAI's are the streaming function's). Services are built at cold start. */
export const handler = createApiHandler(buildServices(loadConfig()), KEYWARDEN_ROUTE_TABLE);
