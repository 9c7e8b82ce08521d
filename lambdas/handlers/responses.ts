import { loadConfig } from '../config';
import { createStreamingHandler } from '../http/lambda-adapter';
import { OPENAI_ROUTE_TABLE } from '../http/openai-route-table';
import { composeServices } from '../services-core';
import { STREAMING_PARTS } from './streaming-parts';
import { installLambdaStreamingPolyfill } from './streaming-runtime';

/**
 * Lambda entry for OpenAI's routes (POST /v1/responses and the rest) with API Gateway REST `STREAM`
 * response transfer mode: the model calls, without event delivery (the events function's) or
 * operator actions (the CLI's): function-parts.ts.
 */
installLambdaStreamingPolyfill();
export const handler = createStreamingHandler(composeServices(loadConfig(), {}, STREAMING_PARTS), OPENAI_ROUTE_TABLE);
