import type { ServiceParts } from '../services-core';
import { eventDelivery } from '../services-delivery';
import { noEventDelivery, noModelCalls, noOpenApi, noOperator } from './absent-parts';

export { absentPart, noEventDelivery, noModelCalls, noOpenApi, noOperator, ROTATIONS_PARTS } from './absent-parts';
export { API_PARTS } from './api-parts';

/**
 * What each Lambda function is built with beyond what every request uses (services-core.ts
 * `ServiceParts`): in AWS model calls are the streaming function's, event delivery the events
 * function's, and operator actions no function's (the CLI's). A part a function is built without
 * is an absent one (absent-parts.ts), so its bundle carries none of that part's code — provided
 * the entry imports no file that imports the real part: esbuild drops the unused exports of an
 * imported file but keeps its package imports (a CommonJS package's `require`, an external
 * `@aws-sdk/*` import), so importing this whole list from the API would put the events function's
 * webhook signing (~13 KB) in the API's bundle. Hence the API entry imports api-parts.ts, the
 * rotations entry absent-parts.ts, the streaming entry streaming-parts.ts, and the events entry
 * this file; the real parts are a file each too (services-parts.ts, services-delivery.ts).
 */

/** The response-streaming function (OpenAI's routes, handlers/responses.ts; streaming-parts.ts, the file it imports). */
export { STREAMING_PARTS } from './streaming-parts';
/** The events function (handlers/events.ts). */
export const EVENTS_PARTS: ServiceParts = { models: noModelCalls, delivery: eventDelivery, operator: noOperator, openApi: noOpenApi };
