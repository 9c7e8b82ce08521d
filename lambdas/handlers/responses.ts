import { loadConfig } from '../config';
import { createStreamingHandler } from '../http/lambda-adapter';
import { buildServices } from '../services';
import { installLambdaStreamingPolyfill } from './streaming-runtime';

/** Lambda entry for POST /v1/responses with API Gateway REST `STREAM` response transfer mode. */
installLambdaStreamingPolyfill();
export const handler = createStreamingHandler(buildServices(loadConfig()));
