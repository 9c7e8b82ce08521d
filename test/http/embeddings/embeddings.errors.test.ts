import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, setBalance, settled } from '../openai-relay/stack-helpers';

/**
 * POST /v1/embeddings refused: bad bodies (400 in the documented shape, never a 5xx), a model
 * outside the catalog or the key's own list (404), a key without the scope (403), and the key's
 * and account's limits (429) — each before the upstream, nothing charged, as on /v1/responses.
 */
let stack: TestStack;
let key: string;

const WIDE = { limit: 6000, windowSeconds: 60 };
const embed = (apiKey: string, body: unknown) => stack.json('/v1/embeddings', { key: apiKey, body });
const sdk = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });

async function keyWith(body: Record<string, unknown>): Promise<string> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'limited', scopes: ['responses:write', 'models:read'], rateLimit: WIDE, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.key;
}

beforeAll(async () => {
  stack = await startTestStack({ MODELS: 'archibot,text-embedding-3-small' });
  key = (await createKey(stack, { name: 'embeddings errors', type: 'viewer', rateLimit: WIDE })).key;
});

afterAll(async () => {
  await stack?.stop();
});

describe('bad bodies are 400 invalid_request_error, naming the field, charging nothing', () => {
  const model = 'text-embedding-3-small';
  const cases: [string, unknown, string | null][] = [
    ['no model', { input: 'x' }, 'model'],
    ['an empty model', { model: '', input: 'x' }, 'model'],
    ['no input', { model }, 'input'],
    ['an empty string', { model, input: '' }, 'input'],
    ['an empty list', { model, input: [] }, 'input'],
    ['an empty string in a list', { model, input: ['a', ''] }, 'input'],
    ['strings and numbers mixed', { model, input: ['a', 1] }, 'input'],
    ['a token id that is not a whole number', { model, input: [1, 2.5] }, 'input'],
    ['a negative token id', { model, input: [[1], [-1]] }, 'input'],
    ['an empty token list', { model, input: [[1], []] }, 'input'],
    ['an object', { model, input: { text: 'x' } }, 'input'],
    ['more than 2048 inputs', { model, input: Array.from({ length: 2049 }, () => 'x') }, 'input'],
    ['an unknown encoding_format', { model, input: 'x', encoding_format: 'hex' }, 'encoding_format'],
    ['dimensions 0', { model, input: 'x', dimensions: 0 }, 'dimensions'],
    ['fractional dimensions', { model, input: 'x', dimensions: 1.5 }, 'dimensions'],
    ['dimensions as text', { model, input: 'x', dimensions: '256' }, 'dimensions'],
    ['too many dimensions', { model, input: 'x', dimensions: 8193 }, 'dimensions'],
    ['a user that is not text', { model, input: 'x', user: 5 }, 'user'],
    ['a JSON array body', [{ model, input: 'x' }], null],
  ];

  it.each(cases)('%s', async (_what, body, param) => {
    const before = await balance(stack);
    const res = await embed(key, body);
    expectApiError(res, 400, 'invalid_request_error');
    // A list's bad item is named by its place (input.1).
    if (param === 'input') expect(res.body.error.param).toMatch(/^input(\.\d+)*$/);
    else expect(res.body.error.param).toBe(param);
    expect(res.body.error.message).not.toMatch(/^Invalid \S+: Invalid input$/);
    expect(res.headers.get('x-archibot-credits-charged')).toBe('0');
    expect(await balance(stack)).toBe(before);
  });

  it('a body that is not JSON is a 400, and a bad body with an unknown key is a 401 first', async () => {
    const res = await stack.call('/v1/embeddings', { key, body: '{"model":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expectApiError(await embed(`${key.slice(0, -4)}AAAA`, { model: 'text-embedding-3-small', input: '' }), 401, 'invalid_api_key');
  });

  it('the SDK surfaces a 400 as BadRequestError', async () => {
    await expect(sdk(key).embeddings.create({ model: 'text-embedding-3-small', input: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('model, scope and key limits', () => {
  it('a model outside the catalog is 404 model_not_found, nothing charged', async () => {
    const before = await balance(stack);
    const res = await embed(key, { model: 'text-embedding-ada-002', input: 'x' });
    expectApiError(res, 404, 'model_not_found');
    expect(res.body.error.param).toBe('model');
    expect(await balance(stack)).toBe(before);
    await expect(sdk(key).embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('a key whose own model list lacks the model gets the same 404; the model it lists answers', async () => {
    const chatOnly = await keyWith({ models: ['archibot'] });
    const res = await embed(chatOnly, { model: 'text-embedding-3-small', input: 'x' });
    expectApiError(res, 404, 'model_not_found');
    expect(res.body.error.message).toContain('text-embedding-3-small');
    expect((await embed(chatOnly, { model: 'archibot', input: 'x' })).status).toBe(200);
  });

  it('a key without responses:write is 403 insufficient_permissions (PermissionDeniedError), nothing charged', async () => {
    const reader = (await createKey(stack, { name: 'models only', type: 'viewer', scopes: ['models:read'] })).key;
    const before = await balance(stack);
    expectApiError(await embed(reader, { model: 'text-embedding-3-small', input: 'x' }), 403, 'insufficient_permissions');
    await expect(sdk(reader).embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(await balance(stack)).toBe(before);
  });

  it('the key rate limit: a call past it is 429 rate_limit_exceeded with Retry-After', async () => {
    const once = await keyWith({ rateLimit: { limit: 1, windowSeconds: 3600 } });
    expect((await embed(once, { model: 'text-embedding-3-small', input: 'x' })).status).toBe(200);
    const refused = await embed(once, { model: 'text-embedding-3-small', input: 'x' });
    expectApiError(refused, 429, 'rate_limit_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a spent budget is 429 budget_exceeded; the budget was charged by the embeddings’ usage', async () => {
    const budgeted = await keyWith({ budget: { credits: 1, period: 'total' } });
    const first = await embed(budgeted, { model: 'text-embedding-3-small', input: 'one two three' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-archibot-budget-limit')).toBe('1');
    await settled(stack, first);
    // One credit is reserved per call: what the first call left (1 − 0.0015) cannot cover another.
    const refused = await embed(budgeted, { model: 'text-embedding-3-small', input: 'four' });
    expectApiError(refused, 429, 'budget_exceeded');
    expect(refused.headers.get('x-should-retry')).toBe('false');
  });

  it('a used-up token window is 429 rate_limit_exceeded, counted by the embeddings’ total_tokens', async () => {
    const tokens = await keyWith({ tokenLimit: { tokens: 5, windowSeconds: 3600 } });
    const first = await embed(tokens, { model: 'text-embedding-3-small', input: 'one two three four five six' });
    expect(first.status).toBe(200);
    expect(first.body.usage.total_tokens).toBe(6);
    await settled(stack, first);
    const refused = await embed(tokens, { model: 'text-embedding-3-small', input: 'seven' });
    expectApiError(refused, 429, 'rate_limit_exceeded');
    expect(refused.body.error.message).toMatch(/token limit/i);
  });

  it('an account out of credits is 429 insufficient_quota, x-should-retry: false', async () => {
    const kept = await balance(stack);
    await setBalance(stack, 0);
    try {
      const refused = await embed(key, { model: 'text-embedding-3-small', input: 'x' });
      expectApiError(refused, 429, 'insufficient_quota');
      expect(refused.headers.get('x-should-retry')).toBe('false');
      expect(refused.headers.get('x-archibot-credits-remaining')).toBe('0');
    } finally {
      await setBalance(stack, kept);
    }
  });
});
