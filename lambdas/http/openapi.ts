// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { CONSOLE_COOKIE, HOST_CONSOLE_COOKIE } from '../core/console-cookie';
import type { OpenApiDocuments } from '../services-core';
import { CONTRACT } from './contract';
import { errorStatuses } from './route';
import type { RouteContract } from './route-contract';
import { ROUTE_ORIGINS, routeOrigin, type RouteOrigin } from './route-origin';
import { AuditRecordSchema } from './routes/audit.contract';
import { ConversationReferenceSchema } from './routes/bots.contract';
import { IssuedKeySchema, KeySchema } from './routes/keys.contract';
import { UsageRecordSchema } from './routes/usage.contract';
import { ErrorBody } from './schemas';

/**
 * The OpenAPI 3.1 document of /v1, generated from the route table and nothing else: paths,
 * operations, parameters, request bodies and every response status come from each route's own
 * declaration (lambdas/http/routes/*.contract.ts), schemas from its zod schemas (zod's JSON
 * Schema output is draft 2020-12, OpenAPI 3.1's dialect). Named schemas become components and
 * are referenced.
 */
const ERROR_MEANING: Record<number, string> = {
  400: 'invalid_request_error: bad input (a key sent where an id or stored text belongs is refused and revoked as exposed)',
  401: 'invalid_api_key, key_expired, key_revoked or key_disabled',
  403: 'insufficient_permissions or api_access_disabled',
  404: 'not_found or model_not_found',
  409: 'conflict, protected_key or last_admin_key',
  413: 'invalid_request_error: the body is too large',
  429: 'rate_limit_exceeded (with Retry-After) or insufficient_quota',
  502: 'upstream_error: the model service failed',
  503: 'service_unavailable (with Retry-After): storage or secrets briefly unavailable, or the server is starting',
  504: 'upstream_error: the model service did not answer in time',
};

const TAG_DESCRIPTIONS: Record<string, string> = {
  Models: 'OpenAI-compatible model discovery',
  Responses: 'The OpenAI Responses and Chat Completions APIs, forwarded to the platform’s model',
  Embeddings: 'The OpenAI Embeddings API, forwarded to the platform’s model, billed like the other model calls',
  Conversations: 'The OpenAI Conversations API (conversations and their items), kept by the upstream, each conversation its creating project’s only',
  Keys: 'Project-scoped API keys: create, list, search, rotate, revoke, delete, verify',
  Audit: 'Who did what to which key, denied attempts included',
  Usage: 'One record per authenticated call: key, route, model, tokens and credits charged',
  Admins: 'The chat identities that administer the project',
  Bots: 'What the Slack and Teams bots need from /v1, under /v1/bots (out of OpenAI’s namespace)',
  'Secret scanning': 'GitHub’s secret scanning partner reports: signed by GitHub, no bearer key',
  Service: 'Liveness and this document',
};

/** Every operation carries one of these beside its surface's tag: whose API it is (route-origin.ts). */
const ORIGIN_DESCRIPTIONS: Record<RouteOrigin, string> = {
  'OpenAI-compatible': 'OpenAI’s API, served through the gateway: these paths belong to OpenAI, and the official SDKs call them',
  Keywarden: 'Keywarden’s own API: on paths OpenAI’s API does not use',
};

/** Schemas shared by several operations, referenced by name. */
const SHARED: [string, z.ZodType][] = [
  ['Error', ErrorBody],
  ['Key', KeySchema],
  ['IssuedKey', IssuedKeySchema],
  ['AuditRecord', AuditRecordSchema],
  ['UsageRecord', UsageRecordSchema],
  ['ConversationReference', ConversationReferenceSchema],
];

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function clean(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

interface Components {
  schemas: Record<string, Record<string, unknown>>;
  idOf: Map<z.ZodType, string>;
}

/** Registers every named schema (shared ones, each route's body and success schema) and converts them at once. */
function components(routes: readonly RouteContract[]): Components {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const add = (schema: z.ZodType, id: string) => {
    if (idOf.has(schema)) return;
    registry.add(schema, { id });
    idOf.set(schema, id);
  };
  for (const [id, schema] of SHARED) add(schema, id);
  for (const route of routes) {
    if (route.body) add(route.body, `${capitalized(route.operationId)}Request`);
    if (route.success.schema) add(route.success.schema, `${capitalized(route.operationId)}Response`);
  }
  // Requests are documented as clients send them, responses as the server writes them.
  const input = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: 'input', unrepresentable: 'any' }).schemas;
  const output = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: 'output', unrepresentable: 'any' }).schemas;
  const requestIds = new Set(routes.filter((r) => r.body).map((r) => idOf.get(r.body!)));
  const schemas: Components['schemas'] = {};
  for (const id of Object.keys(output)) schemas[id] = clean((requestIds.has(id) ? input[id] : output[id]) as Record<string, unknown>);
  return { schemas, idOf };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header') {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !field.safeParse(undefined).success,
    schema: clean(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
  }));
}

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the key’s window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'When the window resets, epoch seconds', schema: { type: 'integer' } },
};

function billingHeaders(brand: string) {
  return {
    [`X-${brand}-Request-Id`]: { description: 'The request id', schema: { type: 'string' } },
    [`X-${brand}-Credits-Charged`]: { description: 'Credits charged for this request', schema: { type: 'number' } },
    [`X-${brand}-Credits-Remaining`]: { description: 'The account’s balance after it (once the account was consulted)', schema: { type: 'number' } },
  };
}

/** Retry-After where waiting helps; x-should-retry: false where no retry can change the answer (OpenAI SDKs honour it). */
function errorHeaders(status: number): Record<string, unknown> | undefined {
  const retryAfter = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } };
  const noRetry = {
    'x-should-retry': { description: '"false" on insufficient_quota, api_access_disabled and every 401', schema: { type: 'string', enum: ['false'] } },
  };
  if (status === 429) return { ...retryAfter, ...noRetry };
  if (status === 503) return retryAfter;
  if (status === 401 || status === 403) return noRetry;
  return undefined;
}

function operation(route: RouteContract, c: Components, brand: string) {
  const headers = {
    ...(route.auth === 'key' ? RATE_LIMIT_HEADERS : {}),
    ...(route.billed ? billingHeaders(brand) : {}),
    ...(route.success.etag ? { ETag: { description: 'The version answered, quoted ("3"): send it as If-Match to change only this version', schema: { type: 'string' } } } : {}),
  };
  const successContent: Record<string, unknown> = {
    'application/json': { schema: route.success.schema ? ref(c.idOf.get(route.success.schema)!) : { type: 'object' } },
    ...(route.success.eventStream ? { 'text/event-stream': { schema: { type: 'string', description: 'Server-sent events, relayed as the upstream sends them' } } } : {}),
  };
  const responses: Record<string, unknown> = {
    [String(route.success.status)]: { description: route.success.description, headers, content: successContent },
  };
  for (const status of errorStatuses(route)) {
    responses[String(status)] = {
      description: ERROR_MEANING[status] ?? 'error',
      ...(errorHeaders(status) ? { headers: errorHeaders(status) } : {}),
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  if (route.relaysUpstreamErrors) {
    responses['4XX'] = { description: 'The upstream’s own error for the caller’s request, relayed as it came', content: { 'application/json': { schema: ref('Error') } } };
  }
  const parameters_ = [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...parameters(route.requestHeaders, 'header')];
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags, routeOrigin(route)],
    // Model calls take a bearer key only; the other key routes also take the console's session.
    security: route.auth === 'key' ? [{ bearer: [] }, ...(route.billed ? [] : [{ consoleSession: [], consoleBinding: [] }])] : [],
    ...(parameters_.length ? { parameters: parameters_ } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(c.idOf.get(route.body)!) } } } } : {}),
    responses,
  };
}

/** `/v1/keys/:id` → `/keys/{id}` (the server URL carries `/v1`). */
export function openApiPath(path: string): string {
  return path.replace(/^\/v1/, '').replace(/:([A-Za-z]+)/g, '{$1}');
}

export function openApiDocument(routes: readonly RouteContract[], options: { serverUrl: string; brand: string }) {
  const c = components(routes);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation(route, c, options.brand) };
  }
  const tags = [
    ...[...new Set(routes.flatMap((r) => r.tags))].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name })),
    ...ROUTE_ORIGINS.map((name) => ({ name, description: ORIGIN_DESCRIPTIONS[name] })),
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keywarden /v1',
      version: '1.0.0',
      description: 'API keys for the chat platform, and the OpenAI-compatible endpoint they unlock.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: options.serverUrl }],
    tags,
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: <prefix>_<random><checksum>' },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: CONSOLE_COOKIE,
          description: `The console's session (POST /console/sessions sets it): ${HOST_CONSOLE_COOKIE} behind HTTPS. A request carrying more than one session cookie is refused (400); state changes must come from the console's origin.`,
        },
        consoleBinding: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Keywarden-Console',
          description: 'With the session cookie: the binding its sign-in answered, proving the page holding the cookie opened the session.',
        },
      },
      schemas: c.schemas,
    },
    paths,
  };
}

/**
 * The document generated from the whole contract, once per server URL and brand: what a process
 * that carries the generator serves (the local stack, tests). The API function in AWS serves the
 * copy generated when it was bundled (openapi-shipped.ts).
 */
export function liveOpenApi(): OpenApiDocuments {
  let cached: { key: string; doc: object } | undefined;
  return async (place) => {
    const key = `${place.serverUrl}\n${place.brand}`;
    if (cached?.key !== key) cached = { key, doc: openApiDocument(Object.values(CONTRACT), place) };
    return cached.doc;
  };
}
