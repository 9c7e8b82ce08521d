import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE, createApi } from '../../../lambdas/http/api';
import { errorStatuses, findRoute } from '../../../lambdas/http/route';
import type { ApiHandler } from '../../../lambdas/http/router';
import type { HttpRequest } from '../../../lambdas/http/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { drive } from '../routes/common-route-tests';
import { hostileRequest, type KeyPool } from '../../support/hostile';
import { storedItems } from '../../support/stored-items';

/**
 * Route-level fuzzing (issue 8): every route of the route table, driven with hostile paths,
 * queries, headers and bodies, through the router that ships (in-process, for speed) and through
 * the local server's sockets. Asserted on every answer: never a 5xx, errors always in the OpenAI
 * shape, never a submitted key echoed back. Afterwards no stored item holds any raw key issued.
 * `FUZZ_RUNS` scales it up for a hostile run (bench/hostile.ts); the default keeps `npm test` quick.
 * Authentication on every route (missing, malformed, unknown, revoked… keys) is each surface's
 * security file (test/http/routes/common-route-tests.ts).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

let stack: TestStack;
let api: ApiHandler;
let pool: KeyPool;
/** Every raw key that ever existed in this run: issued by setup or by a fuzzed create/rotate. */
const issued = new Set<string>();

beforeAll(async () => {
  stack = await startTestStack();
  api = createApi(stack.services);
  const make = async (body: Record<string, unknown>) => {
    const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
    issued.add(res.body.key);
    return { id: res.body.id as string, key: res.body.key as string };
  };
  pool = {
    admin: stack.adminKey,
    keys: [await make({ name: 'viewer', type: 'viewer' }), await make({ name: 'writer', scopes: ['keys:read', 'keys:write'] }), await make({ name: 'victim' })],
    automatorId: (await stack.services.store.getProject(stack.bootstrap.projectId))!.automatorKeyId!,
  };
  issued.add(stack.adminKey);
});
afterAll(async () => stack?.stop());

/** Every raw key that appears anywhere in the request. */
function submittedKeys(req: HttpRequest): string[] {
  const text = [req.path, JSON.stringify(req.query), JSON.stringify(req.headers), req.body ?? ''].join('\n');
  return [...issued].filter((k) => text.includes(k) || text.includes(encodeURIComponent(k)));
}

function checkAnswer(req: HttpRequest, res: { status: number; headers: Record<string, string>; body: string }): void {
  const where = `${req.method} ${req.path.slice(0, 120)}`;
  expect(res.status, where).toBeLessThan(500);
  // The answer is one the route table documents: its status, and for a JSON success its schema.
  const route = findRoute(API_ROUTE_TABLE, req.method, req.path);
  if (route) {
    const documented = [route.success.status, ...errorStatuses(route)];
    if (!(route.relaysUpstreamErrors && res.status >= 400 && res.status < 500)) expect(documented, `${where} answered ${res.status}`).toContain(res.status);
    if (res.status === route.success.status && route.success.schema && res.headers['content-type']?.startsWith('application/json')) {
      const parsed = route.success.schema.safeParse(JSON.parse(res.body));
      expect(parsed.success ? [] : parsed.error.issues, `${where} answered outside its schema`).toEqual([]);
    }
  } else {
    // Unknown path or method (body limits are checked before routing: 400/413).
    expect([400, 404, 405, 413], where).toContain(res.status);
  }
  if (res.status >= 400) {
    const body = JSON.parse(res.body) as { error?: Record<string, unknown> };
    expect(Object.keys(body.error ?? {}).sort(), where).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof body.error!.message, where).toBe('string');
  }
  const out = res.body + JSON.stringify(res.headers);
  for (const k of submittedKeys(req)) expect(out.includes(k), `${where} echoed a submitted key`).toBe(false);
  // A fresh key appears only in the one answer that creates it.
  if (res.status === 201 && res.body.includes('"key"')) {
    const created = JSON.parse(res.body) as { key?: string };
    if (created.key) issued.add(created.key);
  }
}

describe('route fuzzing', () => {
  it(`${RUNS} hostile requests over every route: never a 5xx, always the error shape, never an echoed key`, async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest(API_ROUTE_TABLE, () => pool), async (req) => {
        const res = await drive(api, req);
        seen.add(res.status);
        checkAnswer(req, res);
      }),
      { numRuns: RUNS },
    );
    // The generator reaches past validation too, not only 400s.
    expect([...seen].some((s) => s < 300)).toBe(true);
    expect([...seen].filter((s) => s >= 400).length).toBeGreaterThan(3);
  });

  it('raw sockets: malformed request lines and paths through the local server', async () => {
    const { hostname, port } = new URL(stack.url);
    const paths = fc.sample(
      fc.oneof(
        fc.constantFrom('/v1/keys/%', '/v1/keys/%ZZ/revoke', '//v1/keys', '/v1/../v1/keys', '/v1/keys?%=%', '/v1/keys/' + 'a'.repeat(8000), '/v1/%00', '/v1/keys/%F0%9F'),
        fc.string({ unit: fc.constantFrom('/', '%', 'v1', 'keys', '..', '?', '#', '&', '=', 'A', '%2F', '%ZZ', 'é') }).map((s) => `/v1/${s}`),
      ),
      { numRuns: 120, seed: 8 },
    );
    for (const path of paths) {
      const { status, body } = await new Promise<{ status: number; body: string }>((done, fail) => {
        const req = request({ hostname, port, path, method: 'GET', headers: { authorization: `Bearer ${pool.admin}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', fail);
        req.end();
      });
      expect(status, path).toBeLessThan(500);
      if (status >= 400 && body) expect(Object.keys(JSON.parse(body).error).sort(), path).toEqual(['code', 'message', 'param', 'type']);
      expect(body.includes(pool.admin)).toBe(false);
    }
  });

  it('no stored item holds any raw key issued during the run', async () => {
    const dump = JSON.stringify(await storedItems(stack.services));
    expect(issued.size).toBeGreaterThan(3);
    for (const k of issued) expect(dump.includes(k)).toBe(false);
  });
});
