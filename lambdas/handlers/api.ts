import { loadConfig } from '../config';
import { KEYWARDEN_ROUTE_TABLE } from '../http/keywarden-route-table';
import { createApiHandler } from '../http/lambda-adapter';
import { composeServices } from '../services-core';
import { API_PARTS } from './api-parts';

/**
 * Lambda entry: Keywarden's own /v1 routes (OpenAI's are the streaming function's). Services are
 * built at cold start, without the parts this function never runs (function-parts.ts): no model
 * call (were one ever routed here, it is refused, never answered by the offline stand-in), no
 * event delivery (the events function's), no operator action (the CLI's).
 */
export const handler = createApiHandler(composeServices(loadConfig(), {}, API_PARTS), KEYWARDEN_ROUTE_TABLE);
