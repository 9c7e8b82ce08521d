import { createOpenAI } from '@ai-sdk/openai';
import { OpenAIEmbeddings } from '@langchain/openai';
import { cosineSimilarity, embed, embedMany } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey } from '../openai-relay/stack-helpers';

/**
 * Embedding clients no one here wrote, offline against the local model: LangChain's
 * `OpenAIEmbeddings` (every RAG tutorial's) and the Vercel AI SDK's `embed` / `embedMany`.
 */
let stack: TestStack;
let key: string;

beforeAll(async () => {
  stack = await startTestStack({ MODELS: 'archibot,text-embedding-3-small' });
  key = (await createKey(stack, { name: 'embedding clients', type: 'viewer' })).key;
});

afterAll(async () => {
  await stack?.stop();
});

const langchain = (options: { dimensions?: number } = {}) =>
  new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: key, configuration: { baseURL: `${stack.url}/v1` }, maxRetries: 0, ...options });

describe('third-party embedding clients, offline', () => {
  it('LangChain OpenAIEmbeddings: embedQuery and embedDocuments agree, with the model’s size, and are charged', async () => {
    const before = await balance(stack);
    const query = await langchain().embedQuery('broken window in room 301');
    expect(query).toHaveLength(1536);
    const docs = await langchain().embedDocuments(['broken window in room 301', 'quarterly budget']);
    expect(docs).toHaveLength(2);
    expect(docs[0]).toEqual(query);
    expect(await balance(stack)).toBeLessThan(before);
    expect(await langchain({ dimensions: 64 }).embedQuery('x')).toHaveLength(64);
  });

  it('AI SDK embed and embedMany: vectors, usage, and a ranking that follows shared words', async () => {
    const model = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: key }).embedding('text-embedding-3-small');
    const { embedding, usage } = await embed({ model, value: 'replace the broken window', maxRetries: 0 });
    expect(embedding).toHaveLength(1536);
    expect(usage.tokens).toBeGreaterThan(0);
    const { embeddings } = await embedMany({ model, values: ['the window is broken', 'lunch menu for friday'], maxRetries: 0 });
    expect(cosineSimilarity(embedding, embeddings[0]!)).toBeGreaterThan(cosineSimilarity(embedding, embeddings[1]!));
  });

  it('a model outside the catalog fails the client call, charging nothing', async () => {
    const before = await balance(stack);
    await expect(new OpenAIEmbeddings({ model: 'text-embedding-ada-002', apiKey: key, configuration: { baseURL: `${stack.url}/v1` }, maxRetries: 0 }).embedQuery('x')).rejects.toThrow(
      /404|model/i,
    );
    expect(await balance(stack)).toBe(before);
  });
});
