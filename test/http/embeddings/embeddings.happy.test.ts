import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, settled } from '../openai-relay/stack-helpers';

/**
 * POST /v1/embeddings against the real local stack (dynalite, the shipped handlers) answered by the
 * local model, driven with the official `openai` SDK — which asks for base64 unless told otherwise
 * and decodes it — and billed by the usage the answer reports, once.
 */
let stack: TestStack;
let client: OpenAI;

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });
const price = (totalTokens: number) => credits((totalTokens * 0.5) / 1000);
const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0) / (norm(a) * norm(b));

beforeAll(async () => {
  stack = await startTestStack({ MODELS: 'archibot,text-embedding-3-small,text-embedding-3-large,embed-mapped=text-embedding-3-large' });
  client = sdk((await createKey(stack, { name: 'embeddings', type: 'viewer' })).key);
});

afterAll(async () => {
  await stack?.stop();
});

describe('POST /v1/embeddings, offline', () => {
  it('embeddings.create() with a string (SDK default: base64, decoded) answers one unit vector of 1536 floats, billed by its usage', async () => {
    const before = await balance(stack);
    const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'Which rooms are free on floor 3?' }).withResponse();
    expect(data.object).toBe('list');
    expect(data.model).toBe('text-embedding-3-small');
    expect(data.data).toHaveLength(1);
    const [first] = data.data;
    expect(first).toMatchObject({ object: 'embedding', index: 0 });
    expect(first!.embedding).toHaveLength(1536);
    expect(first!.embedding.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    expect(norm(first!.embedding)).toBeCloseTo(1, 5);
    expect(data.usage.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage.total_tokens).toBe(data.usage.prompt_tokens);

    const charged = price(data.usage.total_tokens);
    expect(response.headers.get('x-archibot-request-id')).toMatch(/^req_/);
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(charged);
    expect(Number(response.headers.get('x-archibot-credits-remaining'))).toBe(credits(before - charged));
    expect(response.headers.get('x-ratelimit-limit')).toBeTruthy();
    await settled(stack, response);
    expect(await balance(stack)).toBe(credits(before - charged));

    const records = await stack.json(`/v1/usage?requestId=${response.headers.get('x-request-id')}`, { key: stack.adminKey });
    expect(records.body.data).toEqual([
      expect.objectContaining({
        route: 'POST /v1/embeddings',
        model: 'text-embedding-3-small',
        streamed: false,
        status: 200,
        credits: charged,
        usage: { inputTokens: data.usage.prompt_tokens, outputTokens: 0, totalTokens: data.usage.total_tokens },
      }),
    ]);
  });

  it('is deterministic: the same input is the same vector, in floats or base64 (little-endian float32), across calls', async () => {
    const input = 'Archibus space planning export';
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' });
    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' });
    expect(again.data[0]!.embedding).toEqual(floats.data[0]!.embedding);

    const raw = await stack.json('/v1/embeddings', { key: stack.adminKey, body: { model: 'text-embedding-3-small', input, encoding_format: 'base64' } });
    expect(raw.status).toBe(200);
    const encoded = raw.body.data[0].embedding as string;
    expect(typeof encoded).toBe('string');
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes.length).toBe(1536 * 4);
    const decoded = Array.from({ length: 1536 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(floats.data[0]!.embedding);
    // The SDK's own default (base64, decoded for the caller) gives the same numbers.
    expect((await client.embeddings.create({ model: 'text-embedding-3-small', input })).data[0]!.embedding).toEqual(floats.data[0]!.embedding);
  });

  it('embeds a list of texts in order, each as if alone; texts that share words are nearer than texts that do not', async () => {
    const texts = ['replace the broken window in room 301', 'the window in room 301 is broken', 'quarterly budget spreadsheet'];
    const { data, usage } = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    expect(data.map((d) => d.index)).toEqual([0, 1, 2]);
    const alone = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts[2]! });
    expect(data[2]!.embedding).toEqual(alone.data[0]!.embedding);
    expect(cosine(data[0]!.embedding, data[1]!.embedding)).toBeGreaterThan(cosine(data[0]!.embedding, data[2]!.embedding) + 0.3);
    expect(usage.prompt_tokens).toBeGreaterThan(alone.usage.prompt_tokens);
  });

  it('embeds token ids and lists of them, counting each id as a token', async () => {
    const one = await client.embeddings.create({ model: 'text-embedding-3-small', input: [1, 2, 3, 4], encoding_format: 'float' });
    expect(one.data).toHaveLength(1);
    expect(one.usage.prompt_tokens).toBe(4);
    const two = await client.embeddings.create({ model: 'text-embedding-3-small', input: [[1, 2, 3, 4], [5, 6]], encoding_format: 'float' });
    expect(two.data).toHaveLength(2);
    expect(two.usage.prompt_tokens).toBe(6);
    expect(two.data[0]!.embedding).toEqual(one.data[0]!.embedding);
  });

  it('honours dimensions: the shortened vector is the longer one cut and normalized again; the model sets the native size', async () => {
    const input = 'floor plan of building B';
    const full = await client.embeddings.create({ model: 'text-embedding-3-large', input, encoding_format: 'float' });
    expect(full.data[0]!.embedding).toHaveLength(3072);
    const short = await client.embeddings.create({ model: 'text-embedding-3-large', input, dimensions: 256 });
    expect(short.data[0]!.embedding).toHaveLength(256);
    expect(norm(short.data[0]!.embedding)).toBeCloseTo(1, 5);
    const cut = full.data[0]!.embedding.slice(0, 256);
    short.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(cut[i]! / norm(cut), 5));
    // A catalog id mapped to an upstream model: the upstream's name and size, the caller's id in the usage record.
    const mapped = await client.embeddings.create({ model: 'embed-mapped', input, encoding_format: 'float' }).withResponse();
    expect(mapped.data.model).toBe('text-embedding-3-large');
    expect(mapped.data.data[0]!.embedding).toEqual(full.data[0]!.embedding);
    await settled(stack, mapped.response);
    const records = await stack.json(`/v1/usage?requestId=${mapped.response.headers.get('x-request-id')}`, { key: stack.adminKey });
    expect(records.body.data[0]).toMatchObject({ route: 'POST /v1/embeddings', model: 'embed-mapped' });
  });

  it('the default chat model of the catalog answers embeddings offline too (npm start with no MODELS)', async () => {
    const { data } = await client.embeddings.create({ model: 'archibot', input: 'hello' });
    expect(data[0]!.embedding).toHaveLength(1536);
  });

  it('a stream flag is not honoured: embeddings are answered whole, as JSON', async () => {
    const res = await stack.call('/v1/embeddings', { key: stack.adminKey, body: { model: 'text-embedding-3-small', input: 'x', stream: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await res.json()).object).toBe('list');
  });
});
