import { describe, expect, it } from 'vitest';
import { MAX_LOCAL_EMBEDDING_VALUES, nativeDimensions } from '../../../lambdas/adapters/local-embeddings';
import { LocalModel } from '../../../lambdas/adapters/local-model';

/**
 * The local model's /embeddings on its own (no stack): whatever reaches it, it answers OpenAI's
 * shape or OpenAI's error shape, never throws; its vectors do not depend on the process.
 */
const model = new LocalModel('archibot');
const ask = async (body: unknown) => {
  const res = await model.forward('/embeddings', typeof body === 'string' ? body : JSON.stringify(body));
  return { status: res.status, body: (await res.json()) as any };
};

describe('local model embeddings', () => {
  it('the same input gives the same vector in every instance; another model gives another', async () => {
    const a = await ask({ model: 'text-embedding-3-small', input: 'same words', encoding_format: 'float' });
    const b = await (await new LocalModel('other').forward('/embeddings', JSON.stringify({ model: 'text-embedding-3-small', input: 'same words', encoding_format: 'float' }))).json();
    expect(b.data[0].embedding).toEqual(a.body.data[0].embedding);
    const other = await ask({ model: 'text-embedding-3-large', input: 'same words', dimensions: 1536, encoding_format: 'float' });
    expect(other.body.data[0].embedding).not.toEqual(a.body.data[0].embedding);
  });

  it('a fixed vector: its first values are pinned, so a change of the hashing is a deliberate one', async () => {
    const { body } = await ask({ model: 'text-embedding-3-small', input: 'Keywarden', dimensions: 4, encoding_format: 'float' });
    const values = body.data[0].embedding as number[];
    expect(values.reduce((sum, x) => sum + x * x, 0)).toBeCloseTo(1, 6);
    // Float32 values: each survives a round trip through a Float32Array unchanged.
    expect(Array.from(new Float32Array(values))).toEqual(values);
    expect(body.usage).toEqual({ prompt_tokens: 1, total_tokens: 1 });
    expect(values).toEqual([-0.5625677704811096, 0.5841540694236755, 0.579710841178894, 0.07884704321622849]);
  });

  it('base64 is the float answer as little-endian float32 bytes', async () => {
    const floats = await ask({ model: 'm', input: ['a b', 'c'], dimensions: 8, encoding_format: 'float' });
    const packed = await ask({ model: 'm', input: ['a b', 'c'], dimensions: 8, encoding_format: 'base64' });
    packed.body.data.forEach((item: { embedding: string }, i: number) => {
      const bytes = Buffer.from(item.embedding, 'base64');
      expect(Array.from({ length: 8 }, (_, j) => bytes.readFloatLE(j * 4))).toEqual(floats.body.data[i].embedding);
    });
  });

  it('knows OpenAI’s native sizes', () => {
    expect([nativeDimensions('text-embedding-3-large'), nativeDimensions('text-embedding-3-small'), nativeDimensions('text-embedding-ada-002'), nativeDimensions('archibot')]).toEqual([
      3072, 1536, 1536, 1536,
    ]);
  });

  it('text without words (punctuation, emoji) still embeds, as itself', async () => {
    const { status, body } = await ask({ model: 'm', input: ['?!', '🙂'], dimensions: 16, encoding_format: 'float' });
    expect(status).toBe(200);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);
  });

  it.each([
    ['not JSON', '{'],
    ['a list body', '[]'],
    ['no input', { model: 'm' }],
    ['an empty string', { model: 'm', input: '' }],
    ['mixed input', { model: 'm', input: ['a', 1] }],
    ['nested too deep', { model: 'm', input: [[[1]]] }],
    ['bad dimensions', { model: 'm', input: 'x', dimensions: -1 }],
    ['bad encoding', { model: 'm', input: 'x', encoding_format: 'hex' }],
    ['too many values', { model: 'm', input: Array.from({ length: 2048 }, () => 'x'), dimensions: Math.floor(MAX_LOCAL_EMBEDDING_VALUES / 2048) + 1 }],
  ])('%s: a 400 in OpenAI’s error shape', async (_what, body) => {
    const { status, body: answer } = await ask(body);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
  });
});
