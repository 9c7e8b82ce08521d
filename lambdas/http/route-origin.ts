import type { RouteContract } from './route-contract';

/**
 * Whose API a /v1 route is (issue 24 point 3). /v1 is shared: OpenAI's SDKs and every
 * OpenAI-compatible client build their URLs from one base URL ending in /v1, so each path OpenAI
 * defines there belongs to OpenAI — a Keywarden route on one (the bots' old `/v1/conversations`)
 * catches calls meant for OpenAI's API and answers them with something else. Keywarden's own
 * routes (keys, audit, usage, the bots' `/v1/bots/…`) sit on paths OpenAI does not use.
 */
export type RouteOrigin = 'OpenAI-compatible' | 'Keywarden';
export const ROUTE_ORIGINS: readonly RouteOrigin[] = ['OpenAI-compatible', 'Keywarden'];

/**
 * OpenAI's public API under /v1, by first path segment (`/v1/chat/completions` → `chat`), legacy
 * paths included: a client may still call them, so Keywarden must not answer there as itself.
 */
export const OPENAI_NAMESPACE: ReadonlySet<string> = new Set([
  'responses',
  'chat',
  'completions',
  'embeddings',
  'models',
  'conversations',
  'files',
  'uploads',
  'batches',
  'audio',
  'images',
  'videos',
  'moderations',
  'assistants',
  'threads',
  'vector_stores',
  'fine_tuning',
  'fine-tunes',
  'realtime',
  'evals',
  'containers',
  'chatkit',
  'organization',
  'engines',
  'edits',
]);

/** Is this path (`/v1/chat/completions`, `/v1/keys/:id`) in OpenAI's namespace? */
export function inOpenAiNamespace(path: string): boolean {
  const first = /^\/v1\/([^/]+)/.exec(path)?.[1];
  return first !== undefined && OPENAI_NAMESPACE.has(first);
}

/**
 * Each surface's origin, declared here rather than read off the path, so that a test can hold
 * the two apart: an OpenAI-compatible surface serves OpenAI paths only, a Keywarden one none
 * (test/http/routes/route-origin.test.ts). A new surface fails the OpenAPI document until it is
 * placed here.
 */
const SURFACE_ORIGIN: Record<string, RouteOrigin> = {
  Models: 'OpenAI-compatible',
  Responses: 'OpenAI-compatible',
  Embeddings: 'OpenAI-compatible',
  Conversations: 'OpenAI-compatible',
  Keys: 'Keywarden',
  'Key requests': 'Keywarden',
  Audit: 'Keywarden',
  Usage: 'Keywarden',
  Admins: 'Keywarden',
  Bots: 'Keywarden',
  Webhooks: 'Keywarden',
  Console: 'Keywarden',
  'Secret scanning': 'Keywarden',
  Service: 'Keywarden',
};

export function routeOrigin(route: Pick<RouteContract, 'operationId' | 'tags'>): RouteOrigin {
  const origins = new Set(route.tags.map((tag) => SURFACE_ORIGIN[tag]));
  const [origin] = origins;
  if (origins.size !== 1 || origin === undefined) {
    throw new Error(`Route ${route.operationId}: its tags (${route.tags.join(', ')}) must name surfaces of one origin (lambdas/http/route-origin.ts)`);
  }
  return origin;
}
