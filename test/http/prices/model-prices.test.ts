import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../lambdas/core/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance, settled } from '../openai-relay/stack-helpers';
import { fixedResponse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * Issue 24 point 4: prices per model. Three catalog models behind one stand-in upstream: `large`
 * and `mini` with their own prices (input, output and cached input tokens apart; `large` with its
 * own reserve), `plain` without, at the global prices (PRICE_PER_1K_TOKENS 0.5 for every token,
 * CREDIT_RESERVE 1). Called with the official openai client; every charge is checked exactly, in
 * the balance, the evidence header and the usage record.
 */
const PRICES = {
  large: { input: 2, output: 8, cachedInput: 0.5, reserve: 5 },
  mini: { input: 0.1, output: 0.4 },
};
const GLOBAL_PER_1K = 0.5;

let upstream: StandInUpstream;
let stack: TestStack;
let client: OpenAI;
let callerKey: string;
/** What the stand-in reports for the next call (per test). */
let usage: { input: number; output: number; cached: number } = { input: 1000, output: 500, cached: 0 };

beforeAll(async () => {
  upstream = await startStandInUpstream(answer);
  stack = await startTestStack({
    UPSTREAM_BASE_URL: upstream.baseUrl,
    UPSTREAM_API_KEY: 'up-secret',
    MODELS: 'large=gpt-large,mini=gpt-mini,plain=gpt-plain',
    MODEL_PRICES: JSON.stringify(PRICES),
  });
  callerKey = (await createKey(stack, { name: 'prices caller', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } })).key;
  client = new OpenAI({ apiKey: callerKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
});

afterEach(() => {
  upstream.reset();
  usage = { input: 1000, output: 500, cached: 0 };
});

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

/** The stand-in's answer: whole, in the API asked for, with `usage` (cached tokens in OpenAI's details). */
function answer(req: UpstreamRequest, res: ServerResponse): void {
  const body = JSON.parse(req.body.toString()) as { model: string };
  const { input, output, cached } = usage;
  const answered = req.url.endsWith('/chat/completions')
    ? {
        id: 'chatcmpl-prices',
        object: 'chat.completion',
        created: 1_735_689_600,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'priced', refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output, prompt_tokens_details: { cached_tokens: cached } },
      }
    : (() => {
        const r = fixedResponse({ usage: { input_tokens: input, output_tokens: output } });
        return { ...r, model: body.model, usage: { ...r.usage!, input_tokens_details: { cached_tokens: cached } } };
      })();
  const text = JSON.stringify(answered);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function recordOf(requestId: string): Promise<UsageRecord> {
  await settled(stack, { headers: { 'x-request-id': requestId } });
  const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 1 });
  return page.items[0]!;
}

/** One Responses call through the SDK: what the header said, what the balance lost, what the record says. */
async function respond(model: string) {
  const before = await balance(stack);
  const { response } = await client.responses.create({ model, input: 'price me' }).withResponse();
  const record = await recordOf(response.headers.get('x-request-id')!);
  return { header: Number(response.headers.get('x-archibot-credits-charged')), delta: credits(before - (await balance(stack))), record };
}

describe('each model is billed at its own prices', () => {
  it('the same usage on two priced models is charged each at its input and output prices, exactly', async () => {
    await setBalance(stack, 1000);
    const large = await respond('large');
    const mini = await respond('mini');
    // 1000 input and 500 output tokens: large (1000·2 + 500·8)/1000, mini (1000·0.1 + 500·0.4)/1000.
    expect(large).toMatchObject({ header: 6, delta: 6 });
    expect(mini).toMatchObject({ header: 0.3, delta: 0.3 });
    expect(large.record).toMatchObject({ model: 'large', credits: 6, usage: { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 } });
    expect(mini.record).toMatchObject({ model: 'mini', credits: 0.3, usage: { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 } });
    // The upstream heard the mapped names.
    expect(upstream.requests.slice(-2).map((r) => (JSON.parse(r.body.toString()) as { model: string }).model)).toEqual(['gpt-large', 'gpt-mini']);
  });

  it('a model without prices is charged the global price for every token, as before', async () => {
    await setBalance(stack, 1000);
    const plain = await respond('plain');
    expect(plain).toMatchObject({ header: credits((1500 / 1000) * GLOBAL_PER_1K), delta: 0.75 });
    expect(plain.record).toMatchObject({ model: 'plain', credits: 0.75 });
  });

  it('cached input tokens are charged at the cached price instead of the input price (Responses and Chat Completions)', async () => {
    await setBalance(stack, 1000);
    usage = { input: 1000, output: 100, cached: 600 };
    // 400 fresh input tokens at 2, 600 cached at 0.5, 100 output at 8: (800 + 300 + 800)/1000.
    const responses = await respond('large');
    expect(responses).toMatchObject({ header: 1.9, delta: 1.9 });
    expect(responses.record.usage).toEqual({ inputTokens: 1000, outputTokens: 100, totalTokens: 1100, cachedInputTokens: 600 });

    const before = await balance(stack);
    const { response } = await client.chat.completions.create({ model: 'large', messages: [{ role: 'user', content: 'price me' }] }).withResponse();
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(1.9);
    const record = await recordOf(response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ credits: 1.9, usage: { inputTokens: 1000, cachedInputTokens: 600 } });
    expect(credits(before - (await balance(stack)))).toBe(1.9);

    // A model without a cached price bills cached tokens as input; one without prices, every token alike.
    expect((await respond('mini')).delta).toBe(credits((1000 * 0.1 + 100 * 0.4) / 1000));
    expect((await respond('plain')).delta).toBe(credits((1100 / 1000) * GLOBAL_PER_1K));
  });

  it('a stream without usage is charged its estimate at the model’s input and output prices', async () => {
    await setBalance(stack, 1000);
    const text = 'y'.repeat(4000); // 1000 output tokens by the estimate (bytes / 4), in 4 deltas
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 4; i++) {
        const chunk = { id: 'chatcmpl-est', object: 'chat.completion.chunk', created: 1, model: 'gpt-large', choices: [{ index: 0, delta: { content: text.slice(i * 1000, (i + 1) * 1000) }, finish_reason: null }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      res.end('data: [DONE]\n\n'); // and no usage chunk, though the gateway asked for one
    });
    const before = await balance(stack);
    const { data: stream, response } = await client.chat.completions.create({ model: 'large', messages: [{ role: 'user', content: 'estimate me' }], stream: true }).withResponse();
    let received = '';
    for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    expect(received).toBe(text);
    // The stream's headers state the model's own reservation.
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(PRICES.large.reserve);
    const record = await recordOf(response.headers.get('x-request-id')!);
    const inputTokens = Math.ceil(upstream.requests.at(-1)!.body.length / 4);
    const expected = credits(Math.max(PRICES.large.reserve, (inputTokens * PRICES.large.input + 1000 * PRICES.large.output) / 1000));
    expect(expected).toBeGreaterThan(PRICES.large.reserve); // priced, not the reservation
    expect(record).toMatchObject({ model: 'large', streamed: true, credits: expected });
    expect(record.usage).toBeUndefined();
    expect(credits(before - (await balance(stack)))).toBe(expected);
  });

  it('a model with its own reserve holds it before the call: a balance below it refuses that model, not a cheaper one', async () => {
    await setBalance(stack, 3);
    const refused = await client.responses.create({ model: 'large', input: 'too dear' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    expect(await balance(stack)).toBe(3);
    expect((await respond('mini')).delta).toBe(0.3);
  });

  it('an embedding is charged its input tokens at the model’s input price', async () => {
    await setBalance(stack, 1000);
    upstream.handle((req, res) => {
      const { model } = JSON.parse(req.body.toString()) as { model: string };
      const text = JSON.stringify({ object: 'list', model, data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }], usage: { prompt_tokens: 1000, total_tokens: 1000 } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    const before = await balance(stack);
    const { response } = await client.embeddings.create({ model: 'large', input: 'embed me', encoding_format: 'float' }).withResponse();
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(2);
    expect(await recordOf(response.headers.get('x-request-id')!)).toMatchObject({ model: 'large', route: 'POST /v1/embeddings', credits: 2 });
    expect(credits(before - (await balance(stack)))).toBe(2);
  });

  it('/v1/models stays OpenAI-shaped: ids only, no prices', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['large', 'mini', 'plain']);
    for (const m of page.data) expect(Object.keys(m).sort()).toEqual(['created', 'id', 'object', 'owned_by']);
  });
});
