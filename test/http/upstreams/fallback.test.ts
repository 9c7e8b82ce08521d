import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../lambdas/core/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance, settled } from '../openai-relay/stack-helpers';
import { fixedResponse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * Issue 24 point 5: more than one upstream. Each two-deployment model's first deployment fails in
 * one way — 429, 500, silent before its first byte, a closed port — on one stand-in (`failing`,
 * each way under a path of its own), and its second (`second`, on another stand-in) answers. The
 * caller, the official openai client, gets 200 from the second; the account is charged once, at
 * the second deployment's own prices (input 2, output 8 per 1k; the catalog model's are 1 and 1);
 * the usage record names the deployment. A stream that started is never retried elsewhere; a
 * deployment that keeps failing is skipped for its cool-down, and tried anyway when it is all a
 * model has.
 */
const MODEL_PRICE = { input: 1, output: 1 };
const SECOND_PRICE = { input: 2, output: 8 };
/** 1000 input and 500 output tokens at the second deployment's prices: (1000·2 + 500·8)/1000. */
const SECOND_CHARGE = 6;
const ATTEMPT_MS = 400;
const COOL_DOWN_MS = 30_000;

let failing: StandInUpstream;
let second: StandInUpstream;
let stack: TestStack;
let client: OpenAI;
let closedPort: number;

const secondDeployment = () => ({ name: 'second', baseUrl: second.baseUrl, secret: 'second', model: 'gpt-second', prices: SECOND_PRICE });
const firstDeployment = (way: string) => ({ name: way, baseUrl: `${failing.baseUrl}/${way}`, secret: 'first', model: 'gpt-first' });

beforeAll(async () => {
  failing = await startStandInUpstream(failIn);
  second = await startStandInUpstream(answer);
  closedPort = await freePort();
  const deployments = {
    'busy-duo': [firstDeployment('busy'), secondDeployment()],
    'broken-duo': [firstDeployment('broken'), secondDeployment()],
    'silent-duo': [firstDeployment('silent'), secondDeployment()],
    'closed-duo': [{ name: 'closed', baseUrl: `http://127.0.0.1:${closedPort}/v1`, secret: 'first' }, secondDeployment()],
    'streamy-duo': [firstDeployment('streamy'), secondDeployment()],
    'flaky-duo': [firstDeployment('flaky'), secondDeployment()],
    'flaky-solo': [firstDeployment('lonely')],
    'all-busy': [firstDeployment('busy-a'), firstDeployment('busy-b')],
    'all-broken': [firstDeployment('broken-a'), firstDeployment('broken-b')],
  };
  const models = [...Object.keys(deployments), 'plain'];
  stack = await startTestStack({
    MODELS: models.join(','),
    MODEL_PRICES: JSON.stringify(Object.fromEntries(models.map((m) => [m, MODEL_PRICE]))),
    MODEL_UPSTREAMS: JSON.stringify(deployments),
    UPSTREAM_API_KEY_FIRST: 'sk-first-deployment',
    UPSTREAM_API_KEY_SECOND: 'sk-second-deployment',
    UPSTREAM_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_MS),
    UPSTREAM_TIMEOUT_MS: '5000',
    UPSTREAM_COOLDOWN_FAILURES: '2',
    UPSTREAM_COOLDOWN_MS: String(COOL_DOWN_MS),
  });
  const callerKey = (await createKey(stack, { name: 'upstreams caller', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } })).key;
  client = new OpenAI({ apiKey: callerKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  await failing?.close();
  await second?.close();
});

/** A port nothing listens on: a server's, closed. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((ready) => server.once('listening', ready));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** The failing stand-in: each way of failing under its own path (`/v1/<way>/…`). */
function failIn(req: UpstreamRequest, res: ServerResponse): void {
  const way = req.url.split('/')[2] ?? '';
  if (way === 'silent') return; // never a byte: the attempt's first-byte time runs out
  if (way === 'streamy') {
    // A stream that starts, then breaks: its headers and one chunk went out.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(chunk('started on the first'))}\n\n`);
    setTimeout(() => res.destroy(), 50);
    return;
  }
  const status = way.startsWith('busy') ? 429 : 500;
  const text = JSON.stringify({ error: { message: `the ${way} deployment failed`, type: 'server_error', code: null, param: null } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function chunk(content: string, usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }) {
  return { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: 'gpt-second', choices: usage ? [] : [{ index: 0, delta: { content }, finish_reason: null }], ...(usage ? { usage } : {}) };
}

/** The second deployment: a whole Responses answer, or a chat stream, each reporting 1000 input and 500 output tokens. */
function answer(req: UpstreamRequest, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/v1/responses/resp_background1') {
    // The background response, polled where it was created: done, with its usage.
    const text = JSON.stringify({ ...fixedResponse({ usage: { input_tokens: 1000, output_tokens: 500 } }), id: 'resp_background1' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const body = JSON.parse(req.body.toString()) as { model: string; stream?: boolean; background?: boolean };
  if (body.background) {
    const { usage: _usage, ...started } = fixedResponse();
    const text = JSON.stringify({ ...started, id: 'resp_background1', status: 'in_progress', output: [] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (req.url.endsWith('/embeddings')) {
    const text = JSON.stringify({ object: 'list', model: body.model, data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }], usage: { prompt_tokens: 1000, total_tokens: 1000 } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (body.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(chunk('from the second'))}\n\n`);
    res.write(`data: ${JSON.stringify(chunk('', { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 }))}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  const text = JSON.stringify({ ...fixedResponse({ usage: { input_tokens: 1000, output_tokens: 500 }, text: 'from the second' }), model: body.model });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function recordOf(requestId: string): Promise<UsageRecord> {
  await settled(stack, { headers: { 'x-request-id': requestId } });
  const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 10 });
  expect(page.items).toHaveLength(1);
  return page.items[0]!;
}

/** Requests a stand-in received for a deployment (`way`), or all of them. */
const heard = (upstream: StandInUpstream, way?: string) => upstream.requests.filter((r) => way === undefined || r.url.startsWith(`/v1/${way}/`)).length;

async function respond(model: string) {
  const before = await balance(stack);
  const started = performance.now();
  const { data, response } = await client.responses.create({ model, input: 'fall back' }).withResponse();
  const ms = performance.now() - started;
  const record = await recordOf(response.headers.get('x-request-id')!);
  return { data, status: response.status, ms, header: Number(response.headers.get('x-archibot-credits-charged')), delta: credits(before - (await balance(stack))), record };
}

describe('a two-deployment model survives its first deployment failing', () => {
  it.each([
    ['answering 429', 'busy-duo', 'busy'],
    ['answering 500', 'broken-duo', 'broken'],
    ['hanging before its first byte', 'silent-duo', 'silent'],
    ['refusing connections (a closed port)', 'closed-duo', undefined],
  ])('%s: 200 from the second, charged once at its price, the record naming it', async (_way, model, path) => {
    await setBalance(stack, 1000);
    const [firstBefore, secondBefore] = [path ? heard(failing, path) : 0, heard(second)];
    const call = await respond(model);
    expect(call.status).toBe(200);
    expect(call.data.output_text).toBe('from the second');
    expect(call).toMatchObject({ header: SECOND_CHARGE, delta: SECOND_CHARGE });
    expect(call.record).toMatchObject({ model, deployment: 'second', credits: SECOND_CHARGE, usage: { inputTokens: 1000, outputTokens: 500 } });
    // Each deployment was called once, with its own key and its own model name.
    if (path) expect(heard(failing, path) - firstBefore).toBe(1);
    expect(heard(second) - secondBefore).toBe(1);
    const sent = second.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-second-deployment');
    expect((JSON.parse(sent.body.toString()) as { model: string }).model).toBe('gpt-second');
    if (path) expect(failing.requests.filter((r) => r.url.startsWith(`/v1/${path}/`)).at(-1)!.headers.authorization).toBe('Bearer sk-first-deployment');
    // A silent deployment is given up after the attempt's first-byte time, not the call's timeout.
    if (path === 'silent') expect(call.ms).toBeGreaterThanOrEqual(ATTEMPT_MS - 20);
    expect(call.ms).toBeLessThan(4_000);
  });

  it('/v1/usage shows the deployment; a model without deployments has none (the single upstream, as before)', async () => {
    const { response } = await client.responses.create({ model: 'busy-duo', input: 'listed' }).withResponse();
    const requestId = response.headers.get('x-request-id')!;
    await recordOf(requestId);
    const listed = await stack.json<{ data: UsageRecord[] }>(`/v1/usage?requestId=${requestId}`, { key: stack.adminKey });
    expect(listed.status).toBe(200);
    expect(listed.body.data[0]).toMatchObject({ deployment: 'second', model: 'busy-duo' });
    const plain = await respond('plain');
    expect(plain.record.model).toBe('plain');
    expect(plain.record.deployment).toBeUndefined();
  });

  it('a stream falls back before its headers: the second deployment streams it, settled once by its usage at its price', async () => {
    await setBalance(stack, 1000);
    const { data: stream, response } = await client.chat.completions.create({ model: 'busy-duo', messages: [{ role: 'user', content: 'stream' }], stream: true }).withResponse();
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('from the second');
    const record = await recordOf(response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ deployment: 'second', streamed: true, credits: SECOND_CHARGE });
    expect(await balance(stack)).toBe(1000 - SECOND_CHARGE);
  });

  it('an embedding falls back the same way, charged its input tokens at the second’s input price', async () => {
    await setBalance(stack, 1000);
    const { data, response } = await client.embeddings.create({ model: 'broken-duo', input: 'embed me', encoding_format: 'float' }).withResponse();
    expect(data.data[0]!.embedding).toEqual([0.6, 0.8]);
    const record = await recordOf(response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ route: 'POST /v1/embeddings', deployment: 'second', credits: SECOND_PRICE.input });
    expect(await balance(stack)).toBe(1000 - SECOND_PRICE.input);
  });
});

describe('a background response', () => {
  it('created by the second deployment is watched there, and settled once by its usage at the second’s price', async () => {
    await setBalance(stack, 1000);
    const polledBefore = second.requests.filter((r) => r.method === 'GET').length;
    const { data, response } = await client.responses.create({ model: 'busy-duo', input: 'later', background: true }).withResponse();
    expect(data.status).toBe('in_progress');
    const record = await recordOf(response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ deployment: 'second', credits: SECOND_CHARGE, usage: { inputTokens: 1000, outputTokens: 500 } });
    expect(second.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(polledBefore);
    expect(await balance(stack)).toBe(1000 - SECOND_CHARGE);
  });
});

describe('never after a stream has started', () => {
  it('a stream that started on the first deployment and broke is not retried on the second; charged once, the record naming the first', async () => {
    await setBalance(stack, 1000);
    const secondBefore = heard(second);
    const { data: stream, response } = await client.chat.completions.create({ model: 'streamy-duo', messages: [{ role: 'user', content: 'stream' }], stream: true }).withResponse();
    expect(response.status).toBe(200);
    let text = '';
    try {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    } catch {
      // The first deployment broke the stream: the caller sees it end, never a second answer spliced in.
    }
    expect(text).toBe('started on the first');
    const record = await recordOf(response.headers.get('x-request-id')!);
    expect(heard(second)).toBe(secondBefore);
    expect(record).toMatchObject({ model: 'streamy-duo', deployment: 'streamy', streamed: true });
    expect(credits(1000 - (await balance(stack)))).toBe(record.credits);
  });
});

describe('when every deployment fails', () => {
  it.each([
    ['429', 'all-busy', 503],
    ['500', 'all-broken', 502],
  ])('all answering %s: the answer one failing upstream gives (%s → %i), nothing charged', async (_status, model, expected) => {
    await setBalance(stack, 1000);
    const res = await stack.call('/v1/responses', { key: (await createKey(stack, { name: `all ${model}`, type: 'viewer' })).key, body: { model, input: 'x' } });
    expect(res.status).toBe(expected);
    await res.text();
    expect(await balance(stack)).toBe(1000);
  });
});

describe('cool-down', () => {
  it('a deployment that failed twice in a row is not called within its cool-down, and is again after it', async () => {
    await setBalance(stack, 1000);
    for (let i = 0; i < 2; i++) expect((await respond('flaky-duo')).record.deployment).toBe('second');
    expect(heard(failing, 'flaky')).toBe(2);
    // Cooling down: the calls go straight to the second.
    for (let i = 0; i < 3; i++) expect((await respond('flaky-duo')).record.deployment).toBe('second');
    expect(heard(failing, 'flaky')).toBe(2);
    stack.clock.advance(COOL_DOWN_MS - 1_000);
    await respond('flaky-duo');
    expect(heard(failing, 'flaky')).toBe(2);
    // After it: tried again (and, failing once more, skipped again at once).
    stack.clock.advance(2_000);
    expect((await respond('flaky-duo')).record.deployment).toBe('second');
    expect(heard(failing, 'flaky')).toBe(3);
    await respond('flaky-duo');
    expect(heard(failing, 'flaky')).toBe(3);
  });

  it('a model whose every deployment is cooling down still tries them: never refused untried', async () => {
    const key = (await createKey(stack, { name: 'lonely caller', type: 'viewer' })).key;
    for (let i = 0; i < 4; i++) {
      const res = await stack.call('/v1/responses', { key, body: { model: 'flaky-solo', input: 'x' } });
      expect(res.status).toBe(502);
      await res.text();
    }
    expect(heard(failing, 'lonely')).toBe(4);
  });
});
