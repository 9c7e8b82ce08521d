import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../../lambdas/adapters/dynamodb-client';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { loadConfig } from '../../../lambdas/config';
import { generateKey } from '../../../lambdas/core/key-format';
import { createApi } from '../../../lambdas/http/api';
import { buildServices } from '../../../lambdas/services';

// A real DynamoDB client pointed at a loopback port where nothing listens: storage is down.
const dynamo = createDynamoClient('http://127.0.0.1:9');
const services = buildServices(loadConfig({ TABLE_NAME: 'keywarden', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }), {
  dynamo,
  secrets: new StaticSecretsProvider({ hashing: { current: 'h' }, botAssertion: { current: 'b' } }),
});
const api = createApi(services);
afterAll(() => dynamo.destroy());

// Every store request, as it leaves the process (the SDK's and the hot path's transport alike).
const sent: string[] = [];
services.dynamo.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: 'finalizeRequest', name: 'infraCounter', priority: 'low' });
services.dynamoWire.intercept((call, next) => (sent.push(call.operation), next()));

describe('when storage is unreachable', { timeout: 90_000 }, () => {
  it('answers 503 service_unavailable with Retry-After, in the documented shape, without echoing the key', async () => {
    const key = generateKey();
    sent.length = 0;
    for (const [method, path] of [['GET', '/v1/models'], ['GET', '/v1/keys'], ['POST', '/v1/responses']] as const) {
      const res = await api({
        method,
        path,
        query: {},
        headers: { authorization: `Bearer ${key}` },
        body: method === 'POST' ? JSON.stringify({ model: 'archibot', input: 'hi' }) : undefined,
        requestId: 'req_test',
      });
      expect(res.status, path).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      const body = 'body' in res ? res.body : '';
      expect(JSON.parse(body).error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });
      expect(body).not.toContain(key);
    }
    // The key's admission was refused a connection on every try: it cannot have landed, so nothing
    // is read back to learn whether it did (that read used to be tried again for 5 s per request).
    expect(sent.filter((c) => c === 'UpdateItem')).toHaveLength(3);
    expect(sent.filter((c) => c !== 'UpdateItem')).toEqual([]);
  });

  it('still rejects a malformed key offline, before any storage read', async () => {
    const res = await api({ method: 'GET', path: '/v1/models', query: {}, headers: { authorization: 'Bearer archie_nope' }, body: undefined, requestId: 'r' });
    expect(res.status).toBe(401);
  });
});
