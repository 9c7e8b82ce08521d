import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../lambdas/core/types';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey, settled, type CreatedKey } from '../openai-relay/stack-helpers';
import { startStoringUpstream, type StoringUpstream } from './stored-stand-in';

/**
 * What a deployment stores is served where it lives (docs/gateway.md §3.5): the model `duo` has two
 * deployments, `one` then `two`, each a stand-in that keeps its own responses and conversations;
 * `plain` has none and goes to the default upstream (UPSTREAM_BASE_URL, a third stand-in). With
 * `one` answering 429, a background response and a conversation are created at `two`; every later
 * call on them — retrieve, input items, cancel, delete, the conversation's routes, a continuation
 * by `previous_response_id` or `conversation` — goes to `two` (and `one`, healthy again and first
 * in order, never hears of them); a pinned call `two` fails is answered with its failure. Owner
 * records without a deployment (from before, or of `plain`) go to the default upstream.
 */
let one: StoringUpstream;
let two: StoringUpstream;
let plainUp: StoringUpstream;
let stack: TestStack;
let client: OpenAI;
let caller: CreatedKey;

beforeAll(async () => {
  [one, two, plainUp] = await Promise.all([startStoringUpstream('one'), startStoringUpstream('two'), startStoringUpstream('plain')]);
  stack = await startTestStack({
    // `duo` first: the default model, where a new conversation is kept.
    MODELS: 'duo,plain',
    MODEL_UPSTREAMS: JSON.stringify({
      duo: [
        { name: 'one', baseUrl: one.baseUrl, secret: 'one' },
        { name: 'two', baseUrl: two.baseUrl, secret: 'two' },
      ],
    }),
    UPSTREAM_API_KEY_ONE: 'sk-deployment-one',
    UPSTREAM_API_KEY_TWO: 'sk-deployment-two',
    UPSTREAM_BASE_URL: plainUp.baseUrl,
    UPSTREAM_API_KEY: 'sk-default-upstream',
    UPSTREAM_TIMEOUT_MS: '5000',
    // No cool-down: which deployment a call reaches is the routing's alone.
    UPSTREAM_COOLDOWN_FAILURES: '0',
  });
  caller = await createKey(stack, { name: 'stored deployments', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
  client = new OpenAI({ apiKey: caller.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([one?.close(), two?.close(), plainUp?.close()]);
});

afterEach(() => {
  one.fail = undefined;
  two.fail = undefined;
});

async function recordOf(requestId: string): Promise<UsageRecord> {
  await settled(stack, { headers: { 'x-request-id': requestId } });
  const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 10 });
  return page.items[0]!;
}

/** The id of what `two` stored, created while `one` answered 429. */
async function createdAtTwo<T>(create: () => Promise<T>): Promise<T> {
  one.fail = 429;
  try {
    return await create();
  } finally {
    one.fail = undefined;
  }
}

describe('a background response created at deployment two', () => {
  it('is retrieved, its input items listed, cancelled and deleted at two; one never hears of it', async () => {
    const { data: created, response } = await createdAtTwo(() => client.responses.create({ model: 'duo', input: 'think in the background', background: true }).withResponse());
    expect(created.id).toMatch(/^resp_two_/);
    expect(created.status).toBe('in_progress');
    const owner = await stack.services.store.getOwnership('response', created.id);
    expect(owner).toMatchObject({ projectId: stack.bootstrap.projectId, deployment: 'two', model: 'duo' });

    const { data: polled, response: poll } = await client.responses.retrieve(created.id).withResponse();
    expect(polled.status).toBe('in_progress');
    // The poll's usage record names where it went; it charges nothing.
    expect(await recordOf(poll.headers.get('x-request-id')!)).toMatchObject({ route: 'GET /v1/responses/:id', deployment: 'two', credits: 0 });
    const items = await client.responses.inputItems.list(created.id);
    expect((items.data[0] as { content: Array<{ text: string }> }).content[0]!.text).toBe('think in the background');
    expect((await client.responses.cancel(created.id)).status).toBe('cancelled');
    // The watch settles it by the usage the cancellation reported, at two.
    expect(await recordOf(response.headers.get('x-request-id')!)).toMatchObject({ deployment: 'two', usage: { inputTokens: 100, outputTokens: 10 } });
    await client.responses.delete(created.id);
    expect(await client.responses.retrieve(created.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);

    // One was asked only to create it (and answered 429); never about the id.
    expect(one.askedAbout(created.id)).toEqual([]);
    expect(plainUp.askedAbout(created.id)).toEqual([]);
    const atTwo = two.askedAbout(created.id).map((r) => `${r.method} ${r.url.split('?')[0]}`);
    for (const call of [`GET /v1/responses/${created.id}`, `GET /v1/responses/${created.id}/input_items`, `POST /v1/responses/${created.id}/cancel`, `DELETE /v1/responses/${created.id}`]) {
      expect(atTwo).toContain(call);
    }
    // The deployment's own key, not the default upstream's.
    expect(two.askedAbout(created.id).every((r) => r.headers.authorization === 'Bearer sk-deployment-two')).toBe(true);
  });
});

describe('previous_response_id', () => {
  it('continues at the deployment that holds the response, though one is first and healthy', async () => {
    const first = await createdAtTwo(() => client.responses.create({ model: 'duo', input: 'remember 42' }));
    expect(first.id).toMatch(/^resp_two_/);
    const oneBefore = one.requests.length;
    const { data: next, response } = await client.responses.create({ model: 'duo', input: 'what number?', previous_response_id: first.id }).withResponse();
    expect(next.id).toMatch(/^resp_two_/);
    expect(next.output_text).toBe('from two');
    expect(one.requests.length).toBe(oneBefore);
    expect(await recordOf(response.headers.get('x-request-id')!)).toMatchObject({ model: 'duo', deployment: 'two' });
    // Its answer is kept at two too: it continues there in turn.
    expect(await stack.services.store.getOwnership('response', next.id)).toMatchObject({ deployment: 'two' });
  });

  it.each([
    [500, 502],
    [429, 503],
  ])('when that deployment answers %i, its failure is the answer (%i): never carried on at one, which never stored it', async (status, expected) => {
    const first = await createdAtTwo(() => client.responses.create({ model: 'duo', input: 'remember 7' }));
    const oneBefore = one.requests.length;
    two.fail = status;
    const failed = await client.responses.create({ model: 'duo', input: 'what number?', previous_response_id: first.id }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(expected);
    expect(one.requests.length).toBe(oneBefore);
  });

  it('with a model the holding deployment does not serve: 400 naming the field, no upstream called', async () => {
    const first = await createdAtTwo(() => client.responses.create({ model: 'duo', input: 'kept at two' }));
    const heard = [one.requests.length, two.requests.length, plainUp.requests.length];
    const refused = await client.responses.create({ model: 'plain', input: 'go on', previous_response_id: first.id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
    expect([one.requests.length, two.requests.length, plainUp.requests.length]).toEqual(heard);
  });
});

describe('a conversation created at deployment two', () => {
  it('is served from two: retrieved, updated, its items listed, continued by a response; one never hears of it', async () => {
    const { data: conversation, response } = await createdAtTwo(() => client.conversations.create({ metadata: { topic: 'release' } }).withResponse());
    expect(conversation.id).toMatch(/^conv_two_/);
    expect(await recordOf(response.headers.get('x-request-id')!)).toMatchObject({ route: 'POST /v1/conversations', deployment: 'two', credits: 0 });
    expect(await stack.services.store.getOwnership('conversation', conversation.id)).toMatchObject({ deployment: 'two' });

    expect((await client.conversations.retrieve(conversation.id)).metadata).toEqual({ topic: 'release' });
    expect((await client.conversations.update(conversation.id, { metadata: { topic: 'shipped' } })).metadata).toEqual({ topic: 'shipped' });
    const answer = await client.responses.create({ model: 'duo', input: 'hello there', conversation: conversation.id });
    expect(answer.id).toMatch(/^resp_two_/);
    const items = await client.conversations.items.list(conversation.id);
    expect(items.data).toHaveLength(1);
    await client.conversations.delete(conversation.id);

    expect(one.askedAbout(conversation.id)).toEqual([]);
    expect(plainUp.askedAbout(conversation.id)).toEqual([]);
    expect(two.askedAbout(conversation.id).length).toBeGreaterThanOrEqual(5);
  });
});

describe('owner records that name no deployment', () => {
  it('a response of a model without deployments is served by the default upstream', async () => {
    const created = await client.responses.create({ model: 'plain', input: 'plain one' });
    expect(created.id).toMatch(/^resp_plain_/);
    expect((await stack.services.store.getOwnership('response', created.id))?.deployment).toBeUndefined();
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    expect((await client.responses.inputItems.list(created.id)).data).toHaveLength(1);
    expect(plainUp.askedAbout(created.id).at(-1)!.headers.authorization).toBe('Bearer sk-default-upstream');
  });

  it('a record from before deployments were recorded still goes to the default upstream', async () => {
    // A response the default upstream keeps, its owner record written as records were before (no deployment).
    const kept = await client.responses.create({ model: 'plain', input: 'from before' });
    const old = { kind: 'response' as const, id: kept.id, projectId: stack.bootstrap.projectId, accountId: stack.bootstrap.accountId, keyId: caller.id, createdAt: new Date().toISOString() };
    await stack.services.store.recordOwnership(old);
    expect(await stack.services.store.getOwnership('response', kept.id)).toEqual(expect.not.objectContaining({ deployment: expect.anything() }));
    const before = [one.requests.length, two.requests.length];
    expect((await client.responses.retrieve(kept.id)).output_text).toBe('from plain');
    expect([one.requests.length, two.requests.length]).toEqual(before);
  });

  it('a record naming a deployment no longer configured is 404, and no upstream is asked', async () => {
    const gone = { kind: 'response' as const, id: 'resp_gone_1', projectId: stack.bootstrap.projectId, accountId: stack.bootstrap.accountId, keyId: caller.id, createdAt: new Date().toISOString(), deployment: 'retired' };
    await stack.services.store.recordOwnership(gone);
    const heard = [one.requests.length, two.requests.length, plainUp.requests.length];
    expect(await client.responses.retrieve(gone.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect([one.requests.length, two.requests.length, plainUp.requests.length]).toEqual(heard);
  });
});
