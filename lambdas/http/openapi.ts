// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { AdminCheckBody, AuditQuerySchema, CreateKeyBody, ListKeysQuery, RotateKeyBody, VerifyKeyBody } from './schemas';
import { ClaimDeliveryBody } from './routes/deliveries';

/** OpenAPI 3.1 document of the whole /v1 surface, request schemas generated from the zod schemas. */
const ERROR_CODES = [
  ['400', 'invalid_request_error: bad input; a key sent where an id or stored text belongs is refused and revoked as exposed'],
  ['401', 'invalid_api_key, key_expired or key_revoked'],
  ['403', 'insufficient_permissions or api_access_disabled'],
  ['404', 'not_found or model_not_found'],
  ['409', 'protected_key, last_admin_key or conflict'],
  ['429', 'rate_limit_exceeded (with Retry-After) or insufficient_quota'],
] as const;

function schema(s: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function queryParameters(s: z.ZodObject) {
  return Object.keys(s.shape).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
}

const errorResponses = Object.fromEntries(
  ERROR_CODES.map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
);
const rateHeaders = {
  'X-RateLimit-Limit': { schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { schema: { type: 'integer' } },
  'X-RateLimit-Reset': { schema: { type: 'integer', description: 'epoch seconds' } },
};
const keyIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^key_[0-9A-Za-z]{22}$' } };

function op(summary: string, extra: Record<string, unknown> = {}, okDescription = 'OK', okSchema = '#/components/schemas/Key') {
  return {
    summary,
    security: [{ bearer: [] }],
    ...extra,
    responses: {
      '200': { description: okDescription, headers: rateHeaders, content: { 'application/json': { schema: { $ref: okSchema } } } },
      ...errorResponses,
    },
  };
}

export function openApiDocument(options: { serverUrl: string; brand: string; modelId: string }) {
  const brand = options.brand;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keywarden /v1',
      version: '1.0.0',
      description: 'API keys for the chat platform, and the OpenAI-compatible endpoint they unlock.',
    },
    servers: [{ url: options.serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: <prefix>_<random><checksum>' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['message', 'type', 'code'],
              properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: ['string', 'null'] } },
            },
          },
        },
        List: { type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: {} } } },
        Key: {
          type: 'object',
          properties: {
            object: { const: 'api_key' },
            id: { type: 'string' },
            name: { type: 'string' },
            type: { enum: ['privileged', 'viewer', 'system'] },
            protected: { type: 'boolean' },
            prefix: { type: 'string' },
            start: { type: 'string' },
            status: { enum: ['active', 'revoked', 'expired'] },
            scopes: { type: 'array', items: { type: 'string' } },
            models: { type: ['array', 'null'], items: { type: 'string' }, description: 'Models the key may call; null = every model.' },
            createdAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: ['string', 'null'], format: 'date-time' },
            lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        IssuedKey: {
          allOf: [
            { $ref: '#/components/schemas/Key' },
            {
              type: 'object',
              properties: {
                key: { type: 'string', description: 'The raw key. Returned once, here, and never again.' },
                setupScript: { type: 'string', description: 'External coworker setup script.' },
              },
            },
          ],
        },
        CreateKeyRequest: schema(CreateKeyBody),
        RotateKeyRequest: schema(RotateKeyBody),
        VerifyKeyRequest: schema(VerifyKeyBody),
        AdminCheckRequest: schema(AdminCheckBody),
      },
    },
    paths: {
      '/health': {
        get: {
          summary: 'Liveness: no key needed. The local server answers 503 service_unavailable with Retry-After until it is ready.',
          security: [],
          responses: {
            '200': {
              description: 'Ready',
              content: { 'application/json': { schema: { type: 'object', required: ['status', 'environment'], properties: { status: { const: 'ok' }, environment: { type: 'string' } } } } },
            },
            '503': { description: 'service_unavailable (starting; retry after Retry-After seconds)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          },
        },
      },
      '/models': { get: op('List models (never draws credits)', {}, 'Model list', '#/components/schemas/List') },
      '/responses': {
        post: {
          summary: `Create a model response (OpenAI Responses API); stream: true streams server-sent events. Billing in X-${brand}-Request-Id, X-${brand}-Credits-Charged, X-${brand}-Credits-Remaining.`,
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['model'], properties: { model: { type: 'string', example: options.modelId }, input: {}, stream: { type: 'boolean' } } } } } },
          responses: {
            '200': { description: 'The upstream response, or an event stream', headers: rateHeaders },
            '502': { description: 'upstream_error' },
            '504': { description: 'upstream_error (timeout)' },
            ...errorResponses,
          },
        },
      },
      '/keys': {
        get: op('List and search keys', { parameters: queryParameters(ListKeysQuery) }),
        post: op('Create a key (returns the raw key once)', {
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateKeyRequest' } } } },
        }, 'Created', '#/components/schemas/IssuedKey'),
      },
      '/keys/verify': op('Check a key and a permission', {
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/VerifyKeyRequest' } } } },
      }),
      '/keys/{id}': {
        get: op('Get a key', { parameters: [keyIdParam] }),
        delete: op('Delete a key (409 protected_key for the Automator key)', { parameters: [keyIdParam] }),
      },
      '/keys/{id}/rotate': {
        post: op('Rotate a key (optional overlap up to 7d)', {
          parameters: [keyIdParam],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/RotateKeyRequest' } } } },
        }, 'Created', '#/components/schemas/IssuedKey'),
      },
      '/keys/{id}/revoke': { post: op('Revoke a key (immediate, idempotent)', { parameters: [keyIdParam] }) },
      '/audit': { get: op('Audit records by key, actor, time', { parameters: queryParameters(AuditQuerySchema) }) },
      '/deliveries': {
        post: {
          summary: 'A bot claims an incoming platform request (Slack signature or event id digest) before acting on it; a replay is 409 conflict',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: schema(ClaimDeliveryBody) } } },
          responses: {
            '200': {
              description: 'First delivery: claimed for 10 minutes in the calling key\'s project',
              headers: rateHeaders,
              content: { 'application/json': { schema: { type: 'object', required: ['claimed'], properties: { claimed: { const: true } } } } },
            },
            '409': { description: 'conflict: already claimed (a replay or retry)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            ...errorResponses,
          },
        },
      },
      '/me': { get: op("The calling key's own metadata") },
      '/admins': { get: op('Chat identities that administer the calling key\'s project') },
      '/admins/check': {
        post: op('With X-Keywarden-Actor: is that person a project admin? A "no" is audited as a denied attempt', {
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/AdminCheckRequest' } } } },
        }),
      },
    },
  };
}
