import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { bootstrapEnvironment } from '../../lambdas/bootstrap';
import { loadConfig } from '../../lambdas/config';
import { API_PARTS, EVENTS_PARTS, ROTATIONS_PARTS } from '../../lambdas/handlers/function-parts';
import { KEYWARDEN_ROUTE_TABLE } from '../../lambdas/http/keywarden-route-table';
import { createApiHandler } from '../../lambdas/http/lambda-adapter';
import { buildServices, type Services } from '../../lambdas/services';
import { composeServices } from '../../lambdas/services-core';
import { createTable, startDynalite } from '../support/dynalite';
import { startReceiver } from '../support/webhook-receiver';

/**
 * Each Lambda function is built with only the parts it runs (lambdas/handlers/function-parts.ts),
 * over the same table as the CLI's services, which have them all. The API function, built without
 * event delivery, still stores every change's event, and the events function, built with it,
 * delivers that event to a project's webhook; what a function is built without fails loudly,
 * naming where it runs, instead of doing nothing.
 */
const TABLE = 'function-parts-test';
let db: Awaited<ReturnType<typeof startDynalite>>;
let cli: Services;
let api: Services;
let events: Services;
let rotations: Services;
let apiHandler: ReturnType<typeof createApiHandler>;
let adminKey: string;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  // Webhooks to 127.0.0.1 allowed, as locally: the receiver below is the customer's endpoint.
  const config = loadConfig({ TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: db.endpoint, KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1', LOG_LEVEL: 'SILENT' });
  const secrets = new StaticSecretsProvider({ hashing: { current: 'function-parts-hashing' }, botAssertion: { current: 'function-parts-bots' } });
  const services = (parts?: typeof API_PARTS) => {
    const dynamo = createDynamoClient(db.endpoint);
    clients.push(dynamo);
    return parts ? composeServices(config, { dynamo, secrets }, parts) : buildServices(config, { dynamo, secrets });
  };
  cli = services();
  api = services(API_PARTS);
  events = services(EVENTS_PARTS);
  rotations = services(ROTATIONS_PARTS);
  apiHandler = createApiHandler(api, KEYWARDEN_ROUTE_TABLE);
  adminKey = (await bootstrapEnvironment(cli)).adminKey;
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await db?.close();
});

/** An API Gateway REST proxy event, as the API function receives it. */
function request(method: string, path: string, body?: unknown): APIGatewayProxyEvent {
  const headers: Record<string, string> = { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), identity: { sourceIp: '198.51.100.7' } } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('Lambda functions built from their parts', () => {
  it('a key created through the API function (no event delivery) reaches a webhook through the events function', async () => {
    // The bootstrap's own events delivered first (to no one): only the API function's change is left.
    await events.relay.runDue();
    const receiver = await startReceiver();
    try {
      const webhook = await apiHandler(request('POST', '/v1/webhooks', { url: receiver.url, events: ['key.created'] }));
      expect(webhook.statusCode).toBe(201);
      const { secret } = JSON.parse(webhook.body) as { secret: string };
      const created = await apiHandler(request('POST', '/v1/keys', { name: 'made by the API function' }));
      expect(created.statusCode).toBe(201);
      const { id } = JSON.parse(created.body) as { id: string };
      const pass = await events.relay.runDue();
      expect(pass.delivered).toBeGreaterThanOrEqual(1);
      expect(receiver.verified(secret).filter((e) => e.type === 'key.created').map((e) => e.data.key.id)).toEqual([id]);
    } finally {
      await receiver.close();
    }
  });

  it('what a function is built without fails loudly, naming where it runs', async () => {
    await expect(async () => api.operator.createAccount({ name: 'not here' })).rejects.toThrow(/operator actions is not built into this function \(the CLI runs it\): createAccount used/);
    await expect(async () => rotations.operator.listAccounts()).rejects.toThrow(/the CLI runs it/);
    await expect(async () => api.relay.runDue()).rejects.toThrow(/event relay is not built into this function \(the events function runs it\)/);
    await expect(async () => rotations.eventSweep.run()).rejects.toThrow(/the events function runs it/);
    expect(() => events.billing.priceOf(undefined)).toThrow(/billing is not built into this function \(the streaming function runs it\)/);
    expect(() => api.accountGate.enabled('acct_x')).toThrow(/the streaming function runs it/);
    // A model call is refused as one (404), never answered by the local stand-in.
    await expect(api.upstream.forward('/responses', '{}', new AbortController().signal)).rejects.toMatchObject({ code: 'not_found' });
    expect(api.bus).toBeUndefined();
    // Handing an absent part around (awaiting it, spreading the services) is not a use.
    await expect(Promise.resolve(api.relay)).resolves.toBe(api.relay);
    expect({ ...api }.operator).toBe(api.operator);
  });
});
