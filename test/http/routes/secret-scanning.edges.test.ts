import type { APIGatewayProxyEvent } from 'aws-lambda';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/core/principal';
import { createApiHandler } from '../../../lambdas/http/lambda-adapter';
import { KEYWARDEN_ROUTE_TABLE } from '../../../lambdas/http/keywarden-route-table';
import { MAX_REPORT_BYTES } from '../../../lambdas/http/routes/secret-scanning';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * The edges of GitHub's reports: the signature holds over the bytes GitHub sent when API Gateway
 * hands the Lambda a base64-encoded body; the 1 MB bound holds where MAX_BODY_BYTES is raised; a
 * GitHub whose keys cannot be fetched is a 503 GitHub retries, and changes nothing.
 */
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const KEY_ID = 'edges-test-key';

let stack: TestStack;
let keysServer: Server;
let keysUp = false;

beforeAll(async () => {
  keysServer = createServer((_req, res) => {
    if (!keysUp) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
  });
  await new Promise<void>((resolve) => keysServer.listen(0, '127.0.0.1', resolve));
  const { port } = keysServer.address() as AddressInfo;
  stack = await startTestStack({ GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${port}/keys`, MAX_BODY_BYTES: String(3 * MAX_REPORT_BYTES) });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => keysServer.close(() => resolve()));
});

const operator = (): Principal => ({ kind: 'operator', actor: 'cli:secret-scanning-edges', projectId: stack.bootstrap.projectId });
const signed = (bytes: Buffer) => ({
  'content-type': 'application/json',
  'github-public-key-identifier': KEY_ID,
  'github-public-key-signature': sign('sha256', bytes, privateKey).toString('base64'),
});

async function post(bytes: Buffer) {
  const res = await fetch(`${stack.url}/v1/secret-scanning/github`, { method: 'POST', headers: signed(bytes), body: new Uint8Array(bytes) });
  return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()) };
}

describe('GitHub secret scanning reports at the edges', () => {
  it('GitHub’s keys unreachable: 503 with Retry-After, the key untouched; once they are back, the same report is taken', async () => {
    const leaked = await stack.services.keys.create(operator(), { name: 'reported while GitHub is down' });
    const bytes = Buffer.from(JSON.stringify([{ token: leaked.secret, type: 'keywarden_api_key', url: 'https://github.com/o/r/blob/a/.env', source: 'content' }]));
    const down = await post(bytes);
    expectApiError(down, 503, 'service_unavailable');
    expect(down.headers.get('retry-after')).toBe('60');
    expect((await stack.json('/v1/me', { key: leaked.secret })).status).toBe(200);
    keysUp = true;
    stack.clock.advance(61_000);
    expect((await post(bytes)).body[0].label).toBe('true_positive');
    expectApiError(await stack.json('/v1/me', { key: leaked.secret }), 401, 'key_revoked');
  });

  it('a Lambda event with a base64-encoded body: the signature over GitHub’s bytes holds (non-ASCII included)', async () => {
    keysUp = true;
    const leaked = await stack.services.keys.create(operator(), { name: 'leaked in a Lambda event' });
    const url = 'https://github.com/octocat/Grüße/blob/0123abc/配置/.env';
    const bytes = Buffer.from(JSON.stringify([{ token: leaked.secret, type: 'keywarden_api_key', url, source: 'content' }]), 'utf8');
    const event = {
      httpMethod: 'POST',
      path: '/v1/secret-scanning/github',
      headers: signed(bytes),
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: bytes.toString('base64'),
      isBase64Encoded: true,
      requestContext: { requestId: 'lambda-base64-test', identity: { sourceIp: '192.0.2.1' } },
    } as unknown as APIGatewayProxyEvent;
    const result = await createApiHandler(stack.services, KEYWARDEN_ROUTE_TABLE)(event);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)[0].label).toBe('true_positive');
    const audit = await stack.services.audit.query(operator(), { keyId: leaked.key.id });
    expect(audit.items.find((r) => r.action === 'key.exposed')?.details?.location).toBe(new URL(url).href);
    // The same bytes signed, then one letter of the URL changed: refused.
    const tampered = Buffer.from(bytes);
    tampered[tampered.indexOf('octocat')]! ^= 1;
    const forged = await createApiHandler(stack.services, KEYWARDEN_ROUTE_TABLE)({ ...event, body: tampered.toString('base64') });
    expect(forged.statusCode).toBe(401);
  });

  it('over 1 MB is 413 even where MAX_BODY_BYTES allows more, and changes nothing', async () => {
    keysUp = true;
    const bystander = await stack.services.keys.create(operator(), { name: 'bystander of a big report' });
    // Well-formed otherwise: 300 matches with 4,000-character URLs, about 1.2 MB.
    const match = { token: bystander.secret, type: 'keywarden_api_key', url: `https://github.com/${'a'.repeat(3_980)}`, source: 'content' };
    const bytes = Buffer.from(JSON.stringify(Array.from({ length: 300 }, () => match)));
    expect(bytes.length).toBeGreaterThan(MAX_REPORT_BYTES);
    const big = await post(bytes);
    expectApiError(big, 413, 'invalid_request_error');
    expect((await stack.json('/v1/me', { key: bystander.secret })).status).toBe(200);
  });
});
