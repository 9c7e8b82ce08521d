import type { ServiceParts } from '../services-core';
import { modelAccess } from '../services-parts';
import { noEventDelivery, noOpenApi, noOperator } from './absent-parts';

/**
 * The response-streaming function's parts (OpenAI's routes, handlers/responses.ts): model calls,
 * no event delivery (its events are the outbox's), no operator actions. A file of its own so the
 * entry imports the model-call part's file and not the events function's (function-parts.ts says
 * why).
 */
export const STREAMING_PARTS: ServiceParts = { models: modelAccess, delivery: noEventDelivery, operator: noOperator, openApi: noOpenApi };
