import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beforeAnswer, countRoundTrips } from '../../../bench/round-trips';
import { generateKey } from '../../../lambdas/core/key-format';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey } from '../openai-relay/stack-helpers';

/**
 * Issue 24 point 3, offline: OpenAI's Conversations API through the gateway against the local
 * model (`npm start` with no upstream), driven by the official `openai` SDK end to end — create
 * with items and metadata, retrieve, update, items list (paged) / add / get / delete, a response
 * that continues the conversation appends its turn, delete. Real parts: the local stack on
 * dynalite, the SDK.
 */
let stack: TestStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startTestStack();
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: (await createKey(stack, { name: 'conversations' })).key, maxRetries: 0 });
});
afterAll(async () => stack?.stop());

const texts = (items: Array<{ type: string; content?: unknown }>) =>
  items.flatMap((item) => (item.type === 'message' && Array.isArray(item.content) ? item.content.map((part: { text?: string }) => part.text ?? '') : []));

describe('the Conversations API offline, through the official SDK', () => {
  it('create, retrieve, update, items, a response continuing it, item delete, delete', async () => {
    const before = await balance(stack);
    const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'first question' }], metadata: { topic: 'demo' } });
    expect(conversation).toMatchObject({ object: 'conversation', metadata: { topic: 'demo' } });
    expect(conversation.id).toMatch(/^conv_[A-Za-z0-9]+$/);
    // At once, no idle wait: the owner record written after the answer is waited for, never missed.
    expect((await client.conversations.retrieve(conversation.id)).id).toBe(conversation.id);
    expect((await client.conversations.update(conversation.id, { metadata: { topic: 'changed' } })).metadata).toEqual({ topic: 'changed' });

    const response = await client.responses.create({ model: 'archibot', conversation: conversation.id, input: 'second question' });
    expect(response.output_text).toContain('second question');
    expect(response.conversation?.id).toBe(conversation.id);
    const followUp = await client.responses.create({ model: 'archibot', conversation: { id: conversation.id }, input: 'third question' });
    expect(followUp.status).toBe('completed');

    const all = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(texts(all.data).map((t) => t.replace(/^\[.*?\] /, ''))).toEqual([
      'first question',
      'second question',
      'You asked: second question',
      'third question',
      'You asked: third question',
    ]);
    // The SDK's cursor pagination: two at a time, every item once, in order.
    const paged: string[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: 'asc', limit: 2 })) paged.push(item.id!);
    expect(paged).toEqual(all.data.map((item) => item.id));

    const added = await client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'added by hand' }] });
    expect(added.data).toHaveLength(1);
    const itemId = added.data[0]!.id!;
    expect(await client.conversations.items.retrieve(itemId, { conversation_id: conversation.id })).toMatchObject({ id: itemId, type: 'message' });
    expect((await client.conversations.items.delete(itemId, { conversation_id: conversation.id })).id).toBe(conversation.id);
    await expect(client.conversations.items.retrieve(itemId, { conversation_id: conversation.id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    expect(await client.conversations.delete(conversation.id)).toMatchObject({ id: conversation.id, deleted: true, object: 'conversation.deleted' });
    await expect(client.conversations.retrieve(conversation.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.responses.create({ model: 'archibot', conversation: conversation.id, input: 'gone' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    // Conversation calls use no tokens: only the two model calls are charged.
    const charged = before - (await balance(stack));
    expect(charged).toBeGreaterThan(0);
    const usage = await stack.json('/v1/usage?limit=100', { key: stack.adminKey });
    const routes = (usage.body.data as Array<{ route: string; credits: number }>).filter((r) => r.route.includes('/v1/conversations'));
    expect(routes.length).toBeGreaterThanOrEqual(9);
    expect(routes.every((r) => r.credits === 0)).toBe(true);
  });

  it('the owner record is written after the answer: a create makes no storage call before it that a refused create does not', async () => {
    const counter = countRoundTrips(stack.services);
    const { key } = await createKey(stack, { name: 'counted' });
    const post = (body: unknown) => stack.call('/v1/conversations', { key, body }).then((r) => r.status);
    expect(await post({})).toBe(200); // warm: the key's window open, its account known to this instance
    await stack.idle();
    counter.reset();
    expect(await post({ unknown: 1 })).toBe(400); // the key admitted and counted, then refused
    await stack.idle();
    const refused = beforeAnswer(counter);
    counter.reset();
    expect(await post({ metadata: { a: 'b' } })).toBe(200);
    await stack.idle();
    expect(beforeAnswer(counter), counter.commands.join(' ')).toBe(refused);
    const writes = counter.commands.map((c, i) => ({ c, after: counter.afterAnswer[i] })).filter((w) => w.c === 'BatchWriteItem');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.after)).toBe(true);
  });

  it('a raw key in a conversation never comes back from the local model', async () => {
    const key = generateKey();
    const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: `my key is ${key}` }] });
    const text = JSON.stringify(await client.conversations.items.list(conversation.id));
    expect(text).not.toContain(key);
  });
});
