import { describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../../lambdas/http/api';
import { openApiDocument, openApiPath } from '../../../lambdas/http/openapi';
import { inOpenAiNamespace, ROUTE_ORIGINS, routeOrigin } from '../../../lambdas/http/route-origin';

/**
 * Issue 24 point 3: /v1 is shared with OpenAI's API, and the OpenAPI document says which routes
 * are OpenAI's (served through the gateway) and which are Keywarden's own. A Keywarden route on
 * an OpenAI path (the bots' old `/v1/conversations`) fails here.
 */
const doc = openApiDocument(API_ROUTE_TABLE, { serverUrl: 'http://127.0.0.1:8787/v1', brand: 'Archibot' });
const operation = (path: string, method: string) => (doc.paths[openApiPath(path)] as Record<string, { tags: string[] }>)[method.toLowerCase()]!;

describe('which routes are OpenAI’s and which are Keywarden’s', () => {
  it('every operation in the document carries exactly one of the two origin tags, and both are described', () => {
    for (const route of API_ROUTE_TABLE) {
      const tags = operation(route.path, route.method).tags;
      expect(tags.filter((t) => (ROUTE_ORIGINS as readonly string[]).includes(t)), `${route.method} ${route.path}`).toEqual([routeOrigin(route)]);
    }
    for (const origin of ROUTE_ORIGINS) expect(doc.tags.find((t) => t.name === origin)?.description).toMatch(/\w/);
  });

  it('no Keywarden route sits on an OpenAI path, and every OpenAI-compatible route does', () => {
    const misplaced = API_ROUTE_TABLE.filter((r) => inOpenAiNamespace(r.path) !== (routeOrigin(r) === 'OpenAI-compatible')).map((r) => `${r.method} ${r.path}`);
    expect(misplaced).toEqual([]);
    const openai = API_ROUTE_TABLE.filter((r) => routeOrigin(r) === 'OpenAI-compatible').map((r) => r.path);
    expect(openai).toEqual(expect.arrayContaining(['/v1/models', '/v1/responses', '/v1/chat/completions']));
  });

  it('the bots’ routes all live under /v1/bots, none on /v1/conversations or /v1/deliveries', () => {
    const bots = API_ROUTE_TABLE.filter((r) => r.tags.includes('Bots'));
    expect(bots.map((r) => r.operationId).sort()).toEqual(['claimDelivery', 'listConversations', 'reportLeak', 'saveConversation']);
    for (const r of bots) expect(r.path, r.operationId).toMatch(/^\/v1\/bots\//);
    // /v1/conversations is OpenAI's Conversations API now, served through the gateway; nothing of Keywarden's is there.
    expect(API_ROUTE_TABLE.filter((r) => /^\/v1\/(conversations|deliveries)(\/|$)/.test(r.path) && routeOrigin(r) !== 'OpenAI-compatible')).toEqual([]);
    expect(API_ROUTE_TABLE.filter((r) => r.path.startsWith('/v1/conversations')).map((r) => r.tags)).toEqual(Array(8).fill(['Conversations']));
  });

  it('OpenAI’s namespace is read by first path segment', () => {
    expect(inOpenAiNamespace('/v1/conversations')).toBe(true);
    expect(inOpenAiNamespace('/v1/conversations/conv_1/items')).toBe(true);
    expect(inOpenAiNamespace('/v1/chat/completions')).toBe(true);
    expect(inOpenAiNamespace('/v1/bots/conversations')).toBe(false);
    expect(inOpenAiNamespace('/v1/keys/:id')).toBe(false);
    expect(inOpenAiNamespace('/v1/modelsx')).toBe(false);
  });

  it('a route whose surface has no declared origin, or whose tags mix origins, fails loudly', () => {
    expect(() => routeOrigin({ operationId: 'x', tags: ['Nowhere'] })).toThrow(/route-origin\.ts/);
    expect(() => routeOrigin({ operationId: 'x', tags: ['Bots', 'Responses'] })).toThrow(/one origin/);
    expect(() => routeOrigin({ operationId: 'x', tags: [] })).toThrow();
  });
});
