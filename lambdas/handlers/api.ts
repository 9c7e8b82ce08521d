import { loadConfig } from '../config';
import { createApiHandler } from '../http/lambda-adapter';
import { buildServices } from '../services';

/** Lambda entry: every /v1 route but the streaming /v1/responses. Services are built at cold start. */
export const handler = createApiHandler(buildServices(loadConfig()));
