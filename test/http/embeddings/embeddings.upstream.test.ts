import OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, settled } from '../openai-relay/stack-helpers';
import { startStandInUpstream, type StandInUpstream } from '../openai-relay/stand-in-upstream';

/**
 * POST /v1/embeddings in front of an OpenAI-compatible upstream (a stand-in on 127.0.0.1): the
 * catalog's upstream name and the platform's key go upstream, the answer comes back as the
 * upstream sent it, and the call is charged once, by the usage the upstream reported.
 */
let upstream: StandInUpstream;
let stack: TestStack;
let key: string;

/** A float32 vector as OpenAI's base64. */
const base64Of = (values: number[]) => {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
};
const VECTOR = [0.5, -0.25, 0.125, 1];

function answer(usage: Record<string, number> | undefined) {
  return (req: { body: Buffer }, res: ServerResponse) => {
    const request = JSON.parse(req.body.toString()) as { model: string; input: unknown; encoding_format?: string };
    const inputs = Array.isArray(request.input) && typeof request.input[0] !== 'number' ? request.input : [request.input];
    const embedding = request.encoding_format === 'base64' ? base64Of(VECTOR) : VECTOR;
    const body = JSON.stringify({ object: 'list', data: inputs.map((_, index) => ({ object: 'embedding', index, embedding })), model: request.model, ...(usage ? { usage } : {}) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };
}

beforeAll(async () => {
  upstream = await startStandInUpstream(answer({ prompt_tokens: 42, total_tokens: 42 }));
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', MODELS: 'archibot=gpt-4.1-mini,embed=text-embedding-3-small' });
  key = (await createKey(stack, { name: 'embeddings upstream', type: 'viewer' })).key;
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const sdk = () => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0 });

async function records(requestId: string | null) {
  const res = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
  return res.body.data as Record<string, unknown>[];
}

describe('POST /v1/embeddings, relayed', () => {
  it('sends the mapped model with the platform key, relays the answer (the SDK decodes its base64), and charges its usage once', async () => {
    const before = await balance(stack);
    const { data, response } = await sdk().embeddings.create({ model: 'embed', input: ['a', 'b'], dimensions: 4, user: 'u-1' }).withResponse();
    expect(upstream.requests).toHaveLength(1);
    const sent = upstream.requests[0]!;
    expect([sent.method, sent.url]).toEqual(['POST', '/v1/embeddings']);
    expect(sent.headers.authorization).toBe('Bearer up-secret');
    expect(JSON.parse(sent.body.toString())).toEqual({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 4, user: 'u-1', encoding_format: 'base64' });
    expect(data.data.map((d) => d.embedding)).toEqual([VECTOR, VECTOR]);
    expect(data.usage).toEqual({ prompt_tokens: 42, total_tokens: 42 });

    const charged = credits((42 * 0.5) / 1000);
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(charged);
    await settled(stack, response);
    expect(await balance(stack)).toBe(credits(before - charged));
    expect(await records(response.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({ route: 'POST /v1/embeddings', model: 'embed', streamed: false, status: 200, credits: charged, usage: { inputTokens: 42, outputTokens: 0, totalTokens: 42 } }),
    ]);
  });

  it('forwards a provider’s own fields, drops a stream flag, and asks for a whole answer', async () => {
    const res = await stack.call('/v1/embeddings', { key, body: { model: 'embed', input: 'x', input_type: 'query', stream: true, stream_options: { include_usage: true } } });
    expect(res.status).toBe(200);
    expect((await res.json()).data[0].embedding).toEqual(VECTOR);
    expect(JSON.parse(upstream.requests.at(-1)!.body.toString())).toEqual({ model: 'text-embedding-3-small', input: 'x', input_type: 'query' });
  });

  it('an answer without usage is charged the per-request price, once', async () => {
    upstream.handle(answer(undefined));
    const before = await balance(stack);
    const res = await stack.call('/v1/embeddings', { key, body: { model: 'embed', input: 'x' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-archibot-credits-charged')).toBe('1');
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - 1));
    expect(await records(res.headers.get('x-request-id'))).toHaveLength(1);
  });

  it('the upstream’s own 400 is relayed as it came; a 500 is 502 upstream_error, a 429 is 503; nothing charged', async () => {
    const before = await balance(stack);
    const invalid = { error: { message: 'This model does not support dimensions.', type: 'invalid_request_error', param: 'dimensions', code: null } };
    upstream.handle((_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(invalid)));
    const relayed = await stack.json('/v1/embeddings', { key, body: { model: 'embed', input: 'x', dimensions: 2 } });
    expect([relayed.status, relayed.body]).toEqual([400, invalid]);
    expect(relayed.headers.get('x-archibot-credits-charged')).toBe('0');

    upstream.handle((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}'));
    expectApiError(await stack.json('/v1/embeddings', { key, body: { model: 'embed', input: 'x' } }), 502, 'upstream_error');
    upstream.handle((_req, res) => res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}'));
    const busy = await stack.json('/v1/embeddings', { key, body: { model: 'embed', input: 'x' } });
    expectApiError(busy, 503, 'service_unavailable');
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(await balance(stack)).toBe(before);
  });

  it('refusals before the upstream never reach it: unknown model, bad body', async () => {
    const seen = upstream.requests.length;
    expectApiError(await stack.json('/v1/embeddings', { key, body: { model: 'text-embedding-3-small', input: 'x' } }), 404, 'model_not_found');
    expectApiError(await stack.json('/v1/embeddings', { key, body: { model: 'embed', input: [] } }), 400, 'invalid_request_error');
    expect(upstream.requests.length).toBe(seen);
  });
});
