import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../../lambdas/adapters/local-model';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, settled } from './stack-helpers';
import { startStandInUpstream, type StandInUpstream, type UpstreamRequest } from './stand-in-upstream';
import { once } from 'node:events';

/**
 * Gateway v2 (SPEC §4), driven with the official `openai` SDK: Chat Completions streamed and not,
 * the model catalog (MODELS) mapped to upstream names, usage records and billing by usage.
 * Two stacks: one answered by the local model, one in front of a stand-in upstream on 127.0.0.1.
 */
let local: TestStack;
let mapped: TestStack;
let upstream: StandInUpstream;
let localKey: string;
let mappedKey: string;

beforeAll(async () => {
  local = await startTestStack({ MODELS: 'archibot,archibot-mini' });
  localKey = (await createKey(local, { name: 'chat completions', type: 'viewer' })).key;
  upstream = await startStandInUpstream();
  mapped = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', MODELS: 'archibot=gpt-4.1-mini, archibot-mini=gpt-4.1-nano' });
  mappedKey = (await createKey(mapped, { name: 'mapped', type: 'viewer' })).key;
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await local?.stop();
  await mapped?.stop();
  await upstream?.close();
});

const sdk = (stack: TestStack, apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });
const price = (totalTokens: number) => credits((totalTokens * 0.5) / 1000);

async function usageOf(stack: TestStack, requestId: string | null) {
  const res = await stack.json(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
  expect(res.status).toBe(200);
  return res.body as { data: Record<string, unknown>[]; totals: { keyId: string; requests: number; totalTokens: number; credits: number }[] };
}

describe('POST /v1/chat/completions', () => {
  it('chat.completions.create() answers in the chat.completion shape and is billed by its usage', async () => {
    const before = await balance(local);
    const { data, response } = await sdk(local, localKey)
      .chat.completions.create({ model: 'archibot', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'List open work orders.' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.role).toBe('assistant');
    expect(data.choices[0]!.message.content).toContain(LOCAL_MODEL_LABEL);
    expect(data.choices[0]!.message.content).toContain('List open work orders.');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    const charged = price(data.usage!.total_tokens);
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(charged);
    expect(Number(response.headers.get('x-archibot-credits-remaining'))).toBe(credits(before - charged));
    expect(await balance(local)).toBe(credits(before - charged));
    const usage = await usageOf(local, response.headers.get('x-request-id'));
    expect(usage.data).toEqual([
      expect.objectContaining({
        route: 'POST /v1/chat/completions',
        model: 'archibot',
        streamed: false,
        status: 200,
        credits: charged,
        usage: { inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens, totalTokens: data.usage!.total_tokens },
      }),
    ]);
  });

  it('streams chat.completion.chunks ending in [DONE], and bills the stream by the usage it reports, like the same call unstreamed', async () => {
    const before = await balance(local);
    const { data: stream, response } = await sdk(local, localKey)
      .chat.completions.create({ model: 'archibot-mini', messages: [{ role: 'user', content: 'Stream a plan for the cleanup.' }], stream: true })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The headers state the reservation, taken when the stream was accepted.
    expect(response.headers.get('x-archibot-credits-charged')).toBe('1');
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toContain('Stream a plan for the cleanup.');
    // The gateway asked for the usage chunk (stream_options.include_usage) though the caller did not.
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(await balance(local)).toBe(credits(before - price(usage!.total_tokens)));
    const record = (await usageOf(local, response.headers.get('x-request-id'))).data[0];
    expect(record).toMatchObject({ streamed: true, model: 'archibot-mini', credits: price(usage!.total_tokens) });

    // The raw stream ends with the [DONE] sentinel.
    const raw = await local.call('/v1/chat/completions', { key: localKey, body: { model: 'archibot', messages: [{ role: 'user', content: 'raw' }], stream: true } });
    expect((await raw.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('refuses what /v1/responses refuses, with the same codes: unknown model 404 (nothing charged), no messages 400, bad key 401', async () => {
    const before = await balance(local);
    const client = sdk(local, localKey);
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(client.chat.completions.create({ model: 'archibot', messages: [] })).rejects.toMatchObject({ status: 400 });
    await expect(sdk(local, 'sk-not-a-key').chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 401,
    });
    expect(await balance(local)).toBe(before);
  });
});

describe('the model catalog (MODELS)', () => {
  it('lists the catalog and finds each model; anything else is model_not_found', async () => {
    const client = sdk(local, localKey);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['archibot', 'archibot-mini']);
    expect((await client.models.retrieve('archibot-mini')).id).toBe('archibot-mini');
    await expect(client.models.retrieve('gpt-4o')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('sends the mapped upstream name, for both APIs, and never lets an unlisted model reach the upstream', async () => {
    const seen = (): Promise<UpstreamRequest> => once(upstream.events, 'request').then(([r]) => r as UpstreamRequest);
    const client = sdk(mapped, mappedKey);
    let request = seen();
    await client.responses.create({ model: 'archibot', input: 'mapped' });
    expect(JSON.parse((await request).body.toString()).model).toBe('gpt-4.1-mini');
    request = seen();
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl_standin',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4.1-nano',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 },
        }),
      ),
    );
    const { response } = await client.chat.completions.create({ model: 'archibot-mini', messages: [{ role: 'user', content: 'mapped' }] }).withResponse();
    const forwarded = await request;
    expect(forwarded.url).toBe('/v1/chat/completions');
    expect(JSON.parse(forwarded.body.toString()).model).toBe('gpt-4.1-nano');
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(price(40));

    const before = upstream.requests.length;
    for (const model of ['gpt-4o', 'o1-pro', 'gpt-4.1-mini']) {
      await expect(client.responses.create({ model, input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('a key with its own models list is held to it on both APIs', async () => {
    const res = await mapped.json('/v1/keys', { key: mapped.adminKey, body: { name: 'mini only', type: 'viewer', models: ['archibot-mini'] } });
    expect(res.status).toBe(201);
    const client = sdk(mapped, res.body.key);
    const before = upstream.requests.length;
    await expect(client.chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.create({ model: 'archibot', input: 'x' })).rejects.toMatchObject({ status: 404 });
    expect(upstream.requests.length).toBe(before);
  });

  it('injects include_usage into a chat stream and settles from the usage chunk the upstream sends', async () => {
    // Chat Completions streams are bare `data:` frames (no `event:` names), as OpenAI sends them.
    const chunk = (extra: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'chatcmpl_s', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini', ...extra })}\n\n`;
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write((chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }] })));
      res.write((chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })));
      res.write((chunk({ choices: [], usage: { prompt_tokens: 1500, completion_tokens: 500, total_tokens: 2000 } })));
      res.end('data: [DONE]\n\n');
    });
    const seen = once(upstream.events, 'request').then(([r]) => r as UpstreamRequest);
    const before = await balance(mapped);
    const stream = await sdk(mapped, mappedKey).chat.completions.create({
      model: 'archibot',
      messages: [{ role: 'user', content: 'stream' }],
      stream: true,
      stream_options: { include_obfuscation: false },
    });
    for await (const _ of stream) void _;
    const body = JSON.parse((await seen).body.toString());
    expect(body.stream_options).toEqual({ include_obfuscation: false, include_usage: true });
    expect(await balance(mapped)).toBe(credits(before - price(2000)));
  });
});

describe('GET /v1/usage', () => {
  it('records every authenticated call, with per-key totals; a key of another project sees none of it', async () => {
    const { id, key } = await createKey(local, { name: 'usage totals', type: 'viewer' });
    const client = sdk(local, key);
    await client.models.list();
    const a = await client.responses.create({ model: 'archibot', input: 'one' });
    const b = await client.chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'two' }] });
    await local.idle();
    const res = await local.json(`/v1/usage?keyId=${id}`, { key: local.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((r: { route: string; status: number }) => `${r.route} ${r.status}`)).toEqual([
      'POST /v1/chat/completions 200',
      'POST /v1/responses 200',
      'GET /v1/models 200',
    ]);
    const tokens = a.usage!.total_tokens + b.usage!.total_tokens;
    expect(res.body.totals).toEqual([{ keyId: id, requests: 3, totalTokens: tokens, credits: credits(price(a.usage!.total_tokens) + price(b.usage!.total_tokens)) }]);
    expect(res.body.totalsComplete).toBe(true);

    // Pages with sealed cursors; a forged cursor is a 400.
    const first = await local.json(`/v1/usage?keyId=${id}&limit=2`, { key: local.adminKey });
    expect(first.body.data).toHaveLength(2);
    const second = await local.json(`/v1/usage?keyId=${id}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: local.adminKey });
    expect(second.body.data.map((r: { route: string }) => r.route)).toEqual(['GET /v1/models']);
    expect((await local.json(`/v1/usage?cursor=forged.AAAA`, { key: local.adminKey })).status).toBe(400);

    const other = await local.services.operator.createAccount({ name: 'other', apiAccess: true, credits: 0 });
    const project = await local.services.operator.createProject({ accountId: other.id, name: 'other', actor: 'test' });
    const outsider = await local.services.keys.create({ kind: 'operator', actor: 'test', projectId: project.project.id }, { name: 'outsider' });
    const seen = await local.json(`/v1/usage?keyId=${id}`, { key: outsider.secret });
    expect(seen.status).toBe(200);
    expect(seen.body.data).toEqual([]);
  });

  it('records a call its rate limit refused (the key is valid), charged nothing; a revoked key\'s call is no record', async () => {
    const { id, key } = await createKey(local, { name: 'usage when limited', type: 'viewer', rateLimit: { limit: 1, windowSeconds: 3600 } });
    const client = sdk(local, key);
    await client.responses.create({ model: 'archibot', input: 'one' });
    await expect(client.responses.create({ model: 'archibot', input: 'two' })).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    await expect(client.models.list()).rejects.toMatchObject({ status: 429 });
    await local.json(`/v1/keys/${id}/revoke`, { key: local.adminKey, body: {} });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401, code: 'key_revoked' });
    await local.idle();

    const res = await local.json(`/v1/usage?keyId=${id}`, { key: local.adminKey });
    expect(res.body.data.map((r: { route: string; status: number; credits: number }) => `${r.route} ${r.status} ${r.credits}`)).toEqual([
      'GET /v1/models 429 0',
      'POST /v1/responses 429 0',
      expect.stringMatching(/^POST \/v1\/responses 200 0\.\d+$/),
    ]);
    expect(res.body.totals).toMatchObject([{ keyId: id, requests: 3 }]);
  });

  it('needs audit:read', async () => {
    const { key } = await createKey(local, { name: 'no audit', type: 'viewer', scopes: ['models:read', 'responses:write'] });
    const res = await local.json('/v1/usage', { key });
    expect(res.status).toBe(403);
  });
});

describe('one storage round trip on the critical path', () => {
  it('a warm key admits and reserves side by side; a reservation for a key that turns out revoked is given back', async () => {
    const { id, key } = await createKey(mapped, { name: 'warm then revoked', type: 'viewer' });
    const client = sdk(mapped, key);
    await client.responses.create({ model: 'archibot', input: 'warm up' }); // this instance learns the key's account
    await mapped.json(`/v1/keys/${id}/revoke`, { key: mapped.adminKey, body: {} });
    const before = await balance(mapped);
    const upstreamBefore = upstream.requests.length;
    await expect(client.responses.create({ model: 'archibot', input: 'after revoke' })).rejects.toMatchObject({ status: 401, code: 'key_revoked' });
    expect(await balance(mapped)).toBe(before);
    expect(upstream.requests.length).toBe(upstreamBefore);
  });
});
