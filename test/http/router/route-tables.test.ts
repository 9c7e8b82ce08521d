import { describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../../lambdas/http/api';
import { CONTRACT } from '../../../lambdas/http/contract';
import { KEYWARDEN_ROUTE_TABLE } from '../../../lambdas/http/keywarden-route-table';
import { OPENAI_ROUTE_TABLE } from '../../../lambdas/http/openai-route-table';
import { routeOrigin } from '../../../lambdas/http/route-origin';

/**
 * In AWS each function serves its half of the route table (lambdas/handlers/api.ts and
 * responses.ts), and API Gateway sends each route to one by its `streaming` flag
 * (lib/keywarden-api.ts). The halves must match the flag exactly — a route in the wrong half would
 * be a 404 in AWS and nowhere else — and together be every route, each once; the OpenAPI
 * document, built from the contracts alone, must describe exactly the routes served.
 */
describe('the two route tables', () => {
  const id = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

  it('OpenAI’s half is exactly the streaming function’s routes, Keywarden’s the API function’s', () => {
    expect(OPENAI_ROUTE_TABLE.filter((r) => !r.streaming).map(id)).toEqual([]);
    expect(KEYWARDEN_ROUTE_TABLE.filter((r) => r.streaming).map(id)).toEqual([]);
    expect(OPENAI_ROUTE_TABLE.length).toBeGreaterThan(0);
  });

  it('are the whole table together, each route once', () => {
    expect(API_ROUTE_TABLE.map(id)).toEqual([...OPENAI_ROUTE_TABLE, ...KEYWARDEN_ROUTE_TABLE].map(id));
    expect(new Set(API_ROUTE_TABLE.map(id)).size).toBe(API_ROUTE_TABLE.length);
  });

  it('OpenAI’s half is what route-origin calls OpenAI-compatible', () => {
    for (const r of OPENAI_ROUTE_TABLE) expect(routeOrigin(r), id(r)).toBe('OpenAI-compatible');
    for (const r of KEYWARDEN_ROUTE_TABLE) expect(routeOrigin(r), id(r)).toBe('Keywarden');
  });

  it('the contracts the OpenAPI document is built from are the routes served', () => {
    expect(Object.values(CONTRACT).map((c) => c.operationId).sort()).toEqual(API_ROUTE_TABLE.map((r) => r.operationId).sort());
  });
});
