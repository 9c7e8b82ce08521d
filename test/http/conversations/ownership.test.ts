import OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey } from '../openai-relay/stack-helpers';
import { fixedResponse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * Issue 24 point 3: a conversation belongs to the project whose call created it. Project A's
 * conversation id is 404 for project B on every conversations route and in `responses.create({
 * conversation })`, the upstream never called and nothing charged; an unknown id reads the same.
 * Real parts: the local stack on dynalite, the official SDK, a stand-in upstream on 127.0.0.1
 * that counts every request it receives.
 */
let stack: TestStack;
let upstream: StandInUpstream;
let a: OpenAI;
let b: OpenAI;
let bAccount: string;
let conversation: string;
let minted = 0;

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });

function answer(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The stand-in: OpenAI's conversation calls, each answered in OpenAI's shape; a response names its conversation. */
function conversationsUpstream(req: UpstreamRequest, res: ServerResponse) {
  const path = req.url.split('?')[0]!;
  const conv = (id: string) => ({ id, object: 'conversation', created_at: 1, metadata: {} });
  const item = { id: 'msg_1', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
  if (req.method === 'POST' && path === '/v1/responses') {
    const body = JSON.parse(req.body.toString('utf8')) as { conversation?: unknown };
    return answer(res, 200, { ...fixedResponse(), id: `resp_c${++minted}`, ...(body.conversation ? { conversation: { id: conversation } } : {}) });
  }
  if (req.method === 'POST' && path === '/v1/conversations') return answer(res, 200, conv(`conv_mint${++minted}`));
  const match = /^\/v1\/conversations\/([^/]+)(\/items)?(?:\/([^/]+))?$/.exec(path);
  if (!match) return answer(res, 404, { error: { message: 'no such path', type: 'invalid_request_error', param: null, code: null } });
  const id = decodeURIComponent(match[1]!);
  if (!match[2]) return answer(res, 200, req.method === 'DELETE' ? { id, object: 'conversation.deleted', deleted: true } : conv(id));
  if (match[3]) return answer(res, 200, req.method === 'DELETE' ? conv(id) : item);
  return answer(res, 200, { object: 'list', data: [item], first_id: 'msg_1', last_id: 'msg_1', has_more: false });
}

beforeAll(async () => {
  upstream = await startStandInUpstream(conversationsUpstream);
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl });
  a = sdk((await createKey(stack, { name: 'project A' })).key);
  const { operator, keys, store } = stack.services;
  const account = await operator.createAccount({ name: 'Account B', apiAccess: true, credits: 100 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Project B', actor: 'test' });
  b = sdk((await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'project B' })).secret);
  bAccount = account.id;
  // A's conversation, recorded as the gateway records one it relays (the stand-in's conversation
  // calls need the upstream adapter's `conversations`, which the relay test below uses when present).
  conversation = 'conv_of_project_a';
  const { projectId, accountId } = stack.bootstrap;
  await store.recordOwnership({ kind: 'conversation', id: conversation, projectId, accountId, keyId: 'key_a', createdAt: new Date().toISOString() });
});

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

/** B's call: 404, the upstream never called, B's balance untouched. */
async function refusedForB(call: () => Promise<unknown>): Promise<void> {
  await stack.idle();
  const seen = upstream.requests.length;
  const before = await balance(stack, bAccount);
  const error = await call().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  expect(upstream.requests.length, 'the upstream was called').toBe(seen);
  expect(await balance(stack, bAccount)).toBe(before);
}

/** Every conversations call of the SDK, and a response continuing the conversation, for one id. */
const everyCall = (client: OpenAI, id: string) => [
  () => client.conversations.retrieve(id),
  () => client.conversations.update(id, { metadata: { x: 'y' } }),
  () => client.conversations.delete(id),
  () => client.conversations.items.list(id, { limit: 5 }),
  () => client.conversations.items.create(id, { items: [{ type: 'message', role: 'user', content: 'hi' }] }),
  () => client.conversations.items.retrieve('msg_1', { conversation_id: id }),
  () => client.conversations.items.delete('msg_1', { conversation_id: id }),
  () => client.responses.create({ model: 'archibot', input: 'go on', conversation: id }),
  () => client.responses.create({ model: 'archibot', input: 'go on', conversation: { id } }),
];

describe('a conversation belongs to its project', () => {
  it('A’s conversation is 404 for B on every route and in responses.create({conversation}); the upstream never called, nothing charged', async () => {
    for (const call of everyCall(b, conversation)) await refusedForB(call);
  });

  it('an unknown conversation id is the same 404, for anyone, in OpenAI’s words', async () => {
    for (const call of everyCall(a, 'conv_nobody')) await refusedForB(call);
    const res = await stack.json('/v1/conversations/conv_nobody/items', { key: (await createKey(stack)).key });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: "Conversation with id 'conv_nobody' not found." });
  });

  it('the owner continues its conversation through POST /v1/responses, relayed with the conversation', async () => {
    const response = await a.responses.create({ model: 'archibot', input: 'go on', conversation });
    expect(response.id).toMatch(/^resp_c\d+$/);
    const sent = JSON.parse(upstream.requests.at(-1)!.body.toString('utf8')) as { conversation?: string };
    expect(sent.conversation).toBe(conversation);
  });

  it('the owner creates and uses a conversation through the upstream; each call relayed as OpenAI’s, the new id A’s only', async () => {
    const created = await a.conversations.create({ metadata: { topic: 't' } });
    expect(created.id).toMatch(/^conv_mint\d+$/);
    const from = upstream.requests.length;
    expect((await a.conversations.retrieve(created.id)).id).toBe(created.id);
    await a.conversations.items.list(created.id, { limit: 5, order: 'asc' });
    await a.conversations.items.retrieve('msg_1', { conversation_id: created.id });
    await a.conversations.delete(created.id);
    expect(upstream.requests.slice(from).map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /v1/conversations/${created.id}`,
      `GET /v1/conversations/${created.id}/items?limit=5&order=asc`,
      `GET /v1/conversations/${created.id}/items/msg_1`,
      `DELETE /v1/conversations/${created.id}`,
    ]);
    for (const r of upstream.requests.slice(from)) expect(r.headers.authorization ?? '').not.toContain('archie_');
    await refusedForB(() => b.conversations.retrieve(created.id));
  });
});
