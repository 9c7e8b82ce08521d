import { once } from 'node:events';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, streamText } from 'ai';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../../lambdas/adapters/local-model';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits } from './stack-helpers';
import { startStandInUpstream, type StandInUpstream, type UpstreamHandler, type UpstreamRequest } from './stand-in-upstream';

/**
 * OpenAI-compatible clients no one here wrote (issue 10): the Vercel AI SDK (`.chat()` and
 * `.responses()`) and LangChain's default `ChatOpenAI` (Chat Completions), against the local stack
 * offline (the local model) and through a loopback upstream that receives the mapped model name.
 */
let local: TestStack;
let mapped: TestStack;
let upstream: StandInUpstream;
let localKey: string;
let mappedKey: string;

beforeAll(async () => {
  local = await startTestStack();
  localKey = (await createKey(local, { name: 'third-party clients', type: 'viewer' })).key;
  upstream = await startStandInUpstream(chatOrResponses);
  mapped = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', MODELS: 'archibot=gpt-4.1-mini' });
  mappedKey = (await createKey(mapped, { name: 'third-party mapped', type: 'viewer' })).key;
});

afterAll(async () => {
  await local?.stop();
  await mapped?.stop();
  await upstream?.close();
});

const price = (tokens: number) => credits((tokens * 0.5) / 1000);

/** The stand-in upstream: answers both APIs in their shapes, streamed or not, with usage. */
const chatOrResponses: UpstreamHandler = (req, res) => {
  const body = JSON.parse(req.body.toString()) as { model: string; stream?: boolean };
  const usage = { prompt_tokens: 120, completion_tokens: 80, total_tokens: 200 };
  if (req.url?.endsWith('/chat/completions')) {
    const base = { id: 'chatcmpl_3p', created: 1, model: body.model };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Upstream says hi.' }, finish_reason: 'stop', logprobs: null }], usage }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (extra: object) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...extra })}\n\n`);
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Upstream ' }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: { content: 'streams.' }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    chunk({ choices: [], usage });
    res.end('data: [DONE]\n\n');
    return;
  }
  const text = 'Upstream responds.';
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'resp_3p',
      object: 'response',
      created_at: 1,
      status: 'completed',
      model: body.model,
      output: [{ id: 'msg_3p', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
      usage: { input_tokens: 120, output_tokens: 80, total_tokens: 200, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    }),
  );
};

const aiSdk = (stack: TestStack, apiKey: string) => createOpenAI({ baseURL: `${stack.url}/v1`, apiKey });
const langchain = (stack: TestStack, apiKey: string, streaming = false) =>
  new ChatOpenAI({ model: 'archibot', apiKey, configuration: { baseURL: `${stack.url}/v1` }, maxRetries: 0, streaming });

describe('offline, against the local model', () => {
  it('AI SDK .chat() and .responses(), generate and stream', async () => {
    const openai = aiSdk(local, localKey);
    const chat = await generateText({ model: openai.chat('archibot'), prompt: 'AI SDK chat, please.', maxRetries: 0 });
    expect(chat.text).toContain(LOCAL_MODEL_LABEL);
    expect(chat.text).toContain('AI SDK chat, please.');
    expect(chat.usage.totalTokens).toBeGreaterThan(0);
    const responses = await generateText({ model: openai.responses('archibot'), prompt: 'AI SDK responses, please.', maxRetries: 0 });
    expect(responses.text).toContain('AI SDK responses, please.');
    const streamed = streamText({ model: openai.chat('archibot'), prompt: 'AI SDK stream, please.', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toContain('AI SDK stream, please.');
    expect((await streamed.usage).totalTokens).toBeGreaterThan(0);
  });

  it('LangChain ChatOpenAI (Chat Completions, its default), invoke and stream', async () => {
    const answer = await langchain(local, localKey).invoke('LangChain asks.');
    expect(String(answer.content)).toContain('LangChain asks.');
    let text = '';
    for await (const chunk of await langchain(local, localKey, true).stream('LangChain streams.')) text += String(chunk.content);
    expect(text).toContain('LangChain streams.');
  });

  it('structured output offline: AI SDK generateObject (chat and responses) and LangChain withStructuredOutput', async () => {
    const Ticket = z.object({ summary: z.string(), severity: z.enum(['minor', 'major']), steps: z.array(z.string()).min(2) });
    const openai = aiSdk(local, localKey);
    for (const model of [openai.chat('archibot'), openai.responses('archibot')]) {
      const { object } = await generateObject({ model, schema: Ticket, prompt: 'File a ticket: the lift is stuck.', maxRetries: 0 });
      expect(Ticket.parse(object)).toEqual(object);
      expect(object.summary).toContain('the lift is stuck');
    }
    const ticket = await langchain(local, localKey).withStructuredOutput(Ticket).invoke('LangChain files a ticket.');
    expect(Ticket.parse(ticket)).toEqual(ticket);
    expect(ticket.summary).toContain(LOCAL_MODEL_LABEL);
  });

  it('an unknown model is refused before any charge, through each client', async () => {
    const before = await balance(local);
    const openai = aiSdk(local, localKey);
    await expect(generateText({ model: openai.chat('gpt-4o'), prompt: 'x', maxRetries: 0 })).rejects.toMatchObject({ statusCode: 404 });
    await expect(new ChatOpenAI({ model: 'gpt-4o', apiKey: localKey, configuration: { baseURL: `${local.url}/v1` }, maxRetries: 0 }).invoke('x')).rejects.toThrow(/404|model/i);
    expect(await balance(local)).toBe(before);
  });
});

describe('through a loopback upstream with the catalog mapping archibot → gpt-4.1-mini', () => {
  it('every client reaches the upstream with the mapped name; a stream costs what the same usage costs unstreamed', async () => {
    const seen = (): Promise<UpstreamRequest> => once(upstream.events, 'request').then(([r]) => r as UpstreamRequest);
    const openai = aiSdk(mapped, mappedKey);
    for (const call of [
      () => generateText({ model: openai.chat('archibot'), prompt: 'x', maxRetries: 0 }),
      () => generateText({ model: openai.responses('archibot'), prompt: 'x', maxRetries: 0 }),
      () => langchain(mapped, mappedKey).invoke('x'),
    ]) {
      const request = seen();
      await call();
      expect(JSON.parse((await request).body.toString()).model).toBe('gpt-4.1-mini');
    }

    const before = await balance(mapped);
    const plain = await langchain(mapped, mappedKey).invoke('unstreamed');
    expect(String(plain.content)).toBe('Upstream says hi.');
    const afterPlain = await balance(mapped);
    expect(credits(before - afterPlain)).toBe(price(200));
    let text = '';
    for await (const chunk of await langchain(mapped, mappedKey, true).stream('streamed')) text += String(chunk.content);
    expect(text).toBe('Upstream streams.');
    expect(credits(afterPlain - (await balance(mapped)))).toBe(price(200));

    const usage = await mapped.json('/v1/usage?limit=2', { key: mapped.adminKey });
    expect(usage.body.data.map((r: { streamed: boolean; credits: number; model: string }) => [r.streamed, r.credits, r.model])).toEqual([
      [true, price(200), 'archibot'],
      [false, price(200), 'archibot'],
    ]);
  });
});
