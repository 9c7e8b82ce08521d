import { loadConfig } from '../config';
import { createStreamingHandler } from '../http/lambda-adapter';
import { OPENAI_ROUTE_TABLE } from '../http/openai-route-table';
import { buildServices } from '../services';
import { installLambdaStreamingPolyfill } from './streaming-runtime';

/** Lambda entry for OpenAI's routes (POST /v1/responses and the rest) with API Gateway REST `STREAM` response transfer mode. */
installLambdaStreamingPolyfill();
export const handler = createStreamingHandler(buildServices(loadConfig()), OPENAI_ROUTE_TABLE);
