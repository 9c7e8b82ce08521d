import OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../lambdas/core/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance } from '../openai-relay/stack-helpers';
import { fixedResponse, startStandInUpstream, type StandInUpstream } from '../openai-relay/stand-in-upstream';

/**
 * Background responses end to end (issue 24 point 2), with the official SDK: create answers at once
 * (`queued`), polling shows the upstream's status, and the call is billed once, by the usage the
 * finished response reports — offline against the local model, and against a stand-in upstream
 * that takes a few polls to finish.
 */
const PER_1K = 0.5; // PRICE_PER_1K_TOKENS default
const PER_REQUEST = 1;
const price = (tokens: number) => credits((tokens / 1000) * PER_1K);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('never done');
}

async function usageRecordOf(stack: TestStack, requestId: string): Promise<UsageRecord | undefined> {
  await stack.idle();
  const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 10 });
  return page.items[0];
}

describe('offline, against the local model', () => {
  let stack: TestStack;
  let client: OpenAI;
  beforeAll(async () => {
    stack = await startTestStack();
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: (await createKey(stack, { name: 'background' })).key, maxRetries: 0 });
  });
  afterAll(async () => stack?.stop());

  it('create answers queued at once; retrieve shows it in progress, then completed with usage; billed once, by that usage', async () => {
    await setBalance(stack, 100);
    const { data: created, response } = await client.responses.create({ model: 'archibot', input: 'think about it in the background', background: true }).withResponse();
    expect(created.status).toBe('queued');
    expect(created.usage ?? null).toBeNull();
    expect(response.headers.get('x-archibot-credits-charged')).toBe(String(PER_REQUEST));

    const first = await client.responses.retrieve(created.id);
    expect(['queued', 'in_progress', 'completed']).toContain(first.status);
    const done = await until(() => client.responses.retrieve(created.id), (r) => r.status === 'completed');
    expect(done.output_text).toContain('think about it in the background');
    const tokens = done.usage!.total_tokens;
    expect(tokens).toBeGreaterThan(0);

    const record = await usageRecordOf(stack, response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ status: 200, credits: price(tokens), usage: { totalTokens: tokens } });
    // Billed once: the create's price by its usage; the polls are free.
    expect(credits(100 - (await balance(stack)))).toBe(price(tokens));
  });

  it('input items, cancel and delete work offline; a cancelled background response is billed its per-request price', async () => {
    await setBalance(stack, 100);
    const created = await client.responses.create({ model: 'archibot', input: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }], background: true });
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    const items = await client.responses.inputItems.list(created.id, { order: 'asc' });
    expect(items.data.map((i) => (i as { content: Array<{ text: string }> }).content[0]!.text)).toEqual(['first', 'second']);
    await client.responses.delete(created.id);
    expect(await client.responses.retrieve(created.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    await stack.idle();
    expect(credits(100 - (await balance(stack)))).toBe(PER_REQUEST);
  });

  it('a stored (not background) response is retrieved as it was answered; cancelling it is the upstream’s 400', async () => {
    const created = await client.responses.create({ model: 'archibot', input: 'hello' });
    expect((await client.responses.retrieve(created.id)).output_text).toBe(created.output_text);
    expect(await client.responses.cancel(created.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('background with stream is a 400 before any charge or upstream call', async () => {
    await setBalance(stack, 100);
    const err = await client.responses.create({ model: 'archibot', input: 'x', background: true, stream: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stream');
    expect(await balance(stack)).toBe(100);
  });
});

describe('against an upstream that takes a few polls', () => {
  let stack: TestStack;
  let upstream: StandInUpstream;
  let client: OpenAI;
  let polls = 0;
  beforeAll(async () => {
    upstream = await startStandInUpstream((req, res: ServerResponse) => {
      const send = (body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const base = { ...fixedResponse({ usage: { input_tokens: 1200, output_tokens: 800 } }), id: 'resp_bg1', background: true };
      if (req.method === 'POST') return send({ ...base, status: 'queued', output: [], usage: null });
      polls++;
      return send(polls < 3 ? { ...base, status: 'in_progress', output: [], usage: null } : base);
    });
    stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl });
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: (await createKey(stack, { name: 'background upstream' })).key, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('Keywarden polls until the upstream says completed, then settles once by the usage it reports', async () => {
    await setBalance(stack, 100);
    const { data: created, response } = await client.responses.create({ model: 'archibot', input: 'long job', background: true }).withResponse();
    expect(created.status).toBe('queued');
    const record = await usageRecordOf(stack, response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ credits: price(2000), usage: { totalTokens: 2000 } });
    expect(credits(100 - (await balance(stack)))).toBe(price(2000));
    const methods = upstream.requests.map((r) => `${r.method} ${r.url}`);
    expect(methods[0]).toBe('POST /v1/responses');
    expect(methods.slice(1).every((m) => m === 'GET /v1/responses/resp_bg1')).toBe(true);
    expect(methods.length).toBeGreaterThanOrEqual(4);
  });
});
