import fc from 'fast-check';
import type { Route } from '../../lambdas/http/route';
import type { HttpRequest } from '../../lambdas/http/types';

/**
 * Hostile /v1 requests for the route fuzzer and the hostile run: paths built on each route of the
 * table with poisoned parameters, or random paths; queries, headers and bodies mixing well-formed
 * values, near misses, raw keys, prototype names, huge and deeply nested input.
 */
export interface KeyPool {
  admin: string;
  keys: { id: string; key: string }[];
  automatorId: string;
}

const base62 = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split(''));
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%ZZ',
    '%E0%A4%A',
    '..',
    '../..',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'null',
    'undefined',
    'NaN',
    '-1',
    '0',
    '1e309',
    '<!channel>',
    '<script>alert(1)</script>',
    "'; DROP TABLE keys; --",
    '${context.constructor}',
    'eyJhIjoxfQ',
    'a'.repeat(5000),
    '\u0000',
    '\ud800',
    'key_',
    'archie_',
  ),
);

/** A value from the pool, by index, read when the request is generated (the pool changes as keys die). */
function fromPool(pool: () => KeyPool) {
  return fc.nat().chain((i) =>
    fc.constantFrom<(p: KeyPool) => string>(
      (p) => p.keys[i % p.keys.length]!.id,
      (p) => p.automatorId,
      (p) => p.keys[i % p.keys.length]!.key,
    ).map((pick) => pick(pool())),
  );
}

function idValue(pool: () => KeyPool) {
  return fc.oneof(
    { weight: 3, arbitrary: fromPool(pool) },
    { weight: 2, arbitrary: fc.array(base62, { minLength: 22, maxLength: 22 }).map((c) => `key_${c.join('')}`) },
    { weight: 3, arbitrary: nastyString },
  );
}

function jsonValue(pool: () => KeyPool): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(nastyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fromPool(pool));
  return fc.oneof(
    leaf,
    fc.array(leaf, { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom('constructor', 'toString', 'region')), leaf, { maxKeys: 4 }),
  );
}

/** Bodies shaped like what each route reads, with hostile values in every field. */
function shapedBody(pool: () => KeyPool) {
  const v = jsonValue(pool);
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, v);
  return fc.record(
    {
      name: maybe(fc.string({ maxLength: 30 })),
      type: maybe(fc.constantFrom('privileged', 'viewer', 'system')),
      scopes: maybe(fc.subarray(['admin', 'keys:read', 'keys:write', 'models:read', 'responses:write', 'bots:read'])),
      roles: maybe(fc.array(fc.record({ name: fc.string(), permissions: fc.array(fc.constantFrom('*', 'keys:read', 'x')), filters: v }), { maxLength: 2 })),
      context: v,
      prefix: maybe(fc.constantFrom('archie', 'ab', 'A', 'x'.repeat(20))),
      expiresIn: maybe(fc.constantFrom('1h', '90d', '999999d', '0d', '-1d', '1y')),
      rateLimit: maybe(fc.record({ limit: fc.integer({ min: -5, max: 2_000_000 }), windowSeconds: fc.integer({ min: -5, max: 100_000 }) })),
      models: maybe(fc.array(fc.constantFrom('archibot', 'gpt-4o', ''), { maxLength: 2 })),
      overlap: maybe(fc.constantFrom('1h', '7d', '8d', '0s')),
      key: v,
      permission: v,
      resource: v,
      action: maybe(fc.constantFrom('key.create', 'key.rotate', 'key.revoke', 'key.delete', 'key.nope')),
      keyId: maybe(idValue(pool)),
      id: v,
      model: maybe(fc.constantFrom('archibot', 'gpt-4o', '')),
      input: v,
      stream: maybe(fc.boolean()),
    },
    { requiredKeys: [] },
  );
}

function body(pool: () => KeyPool): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: shapedBody(pool).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: nastyString },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 3000 }).map((d) => `{"model":"archibot","input":${'['.repeat(d)}${']'.repeat(d)}}`) },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"admin":true}}', '{"name":"x","__proto__":null}', '[]', 'null', '1', '"x"', '{') },
  );
}

/** Percent-encodes what can be (a lone surrogate cannot: it goes through raw, as a hostile client would send it). */
function encodeLoosely(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[/?#]/g, '');
  }
}

export function hostileRequest(routes: readonly Route[], pool: () => KeyPool): fc.Arbitrary<HttpRequest> {
  const routePath = fc
    .tuple(fc.constantFrom(...routes), idValue(pool), fc.boolean(), fc.boolean())
    .map(([route, id, encode, slash]) => ({
      route,
      path: route.path.replace(/:[a-zA-Z]+/g, encode ? encodeLoosely(id) : id.replace(/[/?#]/g, '')) + (slash ? '/' : ''),
    }));
  const randomPath = fc.string({ unit: fc.constantFrom('/', 'v1', 'keys', 'models', '%', 'x', '..', 'audit', 'me') }).map((s) => ({ route: undefined, path: `/v1/${s}` }));
  const query = fc.dictionary(
    fc.oneof(fc.constantFrom('search', 'type', 'status', 'cursor', 'limit', 'keyId', 'actor', 'since'), nastyString),
    fc.oneof(nastyString, idValue(pool), fc.constantFrom('active', 'viewer', '5', '0', '201', '2025-01-01T00:00:00Z')),
    { maxKeys: 4 },
  );
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.constant('admin'),
    fc.constant('pool'),
    nastyString.map((s) => `Bearer ${s}`),
    fc.constantFrom('Bearer', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'a'.repeat(10_000)}`),
  );
  return fc
    .record({
      target: fc.oneof({ weight: 5, arbitrary: routePath }, { weight: 1, arbitrary: randomPath }),
      method: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS') }),
      query,
      authorization,
      poolIndex: fc.nat(),
      actor: fc.option(nastyString, { freq: 3 }),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
      body: body(pool),
    })
    .map(({ target, method, query, authorization, poolIndex, actor, contentType, body }) => {
      const p = pool();
      const auth =
        authorization === 'admin'
          ? `Bearer ${p.admin}`
          : authorization === 'pool'
            ? `Bearer ${p.keys[poolIndex % p.keys.length]!.key}`
            : authorization;
      return {
        method: method ?? target.route?.method ?? 'GET',
        path: target.path,
        query: query as Record<string, string>,
        headers: {
          ...(auth !== undefined ? { authorization: auth } : {}),
          ...(actor !== null ? { 'x-keywarden-actor': actor } : {}),
          ...(contentType ? { 'content-type': contentType } : {}),
        },
        body,
        requestId: 'req_fuzz',
      };
    });
}
