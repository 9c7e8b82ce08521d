import OpenAI from 'openai';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beforeAnswer, countRoundTrips, type RoundTripCounter } from '../../../bench/round-trips';
import { itemKey, keyDayAttributes } from '../../../lambdas/adapters/store/table';
import { utcDay } from '../../../lambdas/core/usage';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey } from '../openai-relay/stack-helpers';
import { fixedResponse, sse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * Issue 24 point 2: a stored response belongs to the project whose call created it. Project A's
 * response id is 404 for project B on every route and in `previous_response_id` / `conversation`,
 * the upstream never called and nothing charged; A itself retrieves, deletes, cancels and lists
 * its input items through the official SDK. Real parts: the local stack on dynalite, the SDK, a
 * stand-in upstream on 127.0.0.1 that mints a fresh id per response and counts every request.
 */
let stack: TestStack;
let upstream: StandInUpstream;
let counter: RoundTripCounter;
let a: OpenAI;
let b: OpenAI;
let bKey: string;
let bAccount: string;
let minted = 0;

function sdk(apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });
}

function answer(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The stand-in: POST /responses mints `resp_mint<n>` (streamed or whole); the stored-response calls echo what they were asked. */
function storingUpstream(req: UpstreamRequest, res: ServerResponse) {
  const path = req.url.split('?')[0]!;
  if (req.method === 'POST' && path === '/v1/responses') {
    const body = JSON.parse(req.body.toString('utf8')) as { stream?: boolean; conversation?: unknown };
    const created = { ...fixedResponse(), id: `resp_mint${++minted}`, ...(body.conversation ? { conversation: { id: 'conv_from_upstream' } } : {}) };
    if (!body.stream) return answer(res, 200, created);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse({ type: 'response.created', sequence_number: 0, response: { ...created, status: 'in_progress', output: [], usage: null } }));
    res.end(sse({ type: 'response.completed', sequence_number: 1, response: created }));
    return;
  }
  const match = /^\/v1\/responses\/([^/]+)(\/cancel|\/input_items)?$/.exec(path);
  if (!match) return answer(res, 404, { error: { message: 'no such path', type: 'invalid_request_error', param: null, code: null } });
  const id = decodeURIComponent(match[1]!);
  if (req.method === 'DELETE') return answer(res, 200, { id, object: 'response', deleted: true });
  if (match[2] === '/input_items') return answer(res, 200, { object: 'list', data: [{ id: 'msg_in1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], first_id: 'msg_in1', last_id: 'msg_in1', has_more: false });
  if (match[2] === '/cancel') return answer(res, 200, { ...fixedResponse(), id, status: 'cancelled' });
  return answer(res, 200, { ...fixedResponse(), id });
}

/** Whether the key's item holds `attribute` (read raw: the store hands keys out without its own attributes). */
async function keyItemHas(keyId: string, attribute: string): Promise<boolean> {
  const { dynamo, config } = stack.services;
  const key = itemKey.key(keyId);
  const out = await dynamo.send(new GetItemCommand({ TableName: config.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return out.Item?.[attribute] !== undefined;
}

beforeAll(async () => {
  upstream = await startStandInUpstream(storingUpstream);
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl });
  counter = countRoundTrips(stack.services);
  a = sdk((await createKey(stack, { name: 'project A' })).key);
  const { operator, keys } = stack.services;
  const account = await operator.createAccount({ name: 'Account B', apiAccess: true, credits: 100 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Project B', actor: 'test' });
  bKey = (await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'project B' })).secret;
  bAccount = account.id;
  b = sdk(bKey);
});

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

beforeEach(() => upstream.handle(storingUpstream));

/** What B's call did upstream (nothing, when refused) and to B's balance (nothing either). */
async function refusedForB(call: () => Promise<unknown>): Promise<void> {
  await stack.idle();
  const seen = upstream.requests.length;
  const before = await balance(stack, bAccount);
  const error = await call().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  expect((error as InstanceType<typeof OpenAI.NotFoundError>).status).toBe(404);
  expect(upstream.requests.length, 'the upstream was called').toBe(seen);
  expect(await balance(stack, bAccount)).toBe(before);
}

describe('a stored response belongs to its project', () => {
  it('A’s response id is 404 for B on retrieve, delete, cancel, input items and in previous_response_id and conversation; the upstream never called, nothing charged', async () => {
    const created = await a.responses.create({ model: 'archibot', input: 'hi' });
    expect(created.id).toMatch(/^resp_mint\d+$/);
    await stack.idle();

    await refusedForB(() => b.responses.retrieve(created.id));
    await refusedForB(() => b.responses.delete(created.id));
    await refusedForB(() => b.responses.cancel(created.id));
    await refusedForB(() => b.responses.inputItems.list(created.id));
    await refusedForB(() => b.responses.create({ model: 'archibot', input: 'go on', previous_response_id: created.id }));
    await refusedForB(() => b.responses.create({ model: 'archibot', input: 'go on', conversation: 'conv_of_someone' }));
    await refusedForB(() => b.responses.create({ model: 'archibot', input: 'go on', conversation: { id: 'conv_of_someone' } }));

    // OpenAI's words for an id it does not know: a foreign id reads the same as an unknown one.
    const res = await stack.json('/v1/responses', { key: bKey, body: { model: 'archibot', input: 'x', previous_response_id: created.id } });
    expect(res.body.error).toMatchObject({ code: 'not_found', param: 'previous_response_id', message: `Previous response with id '${created.id}' not found.` });
    expect(res.headers.get('x-archibot-credits-charged')).toBe('0');
  });

  it('the owner retrieves, lists input items, cancels and deletes through the SDK, each relayed to the upstream as OpenAI’s call', async () => {
    const created = await a.responses.create({ model: 'archibot', input: 'hi' });
    await stack.idle();
    const from = upstream.requests.length;
    const before = await balance(stack);

    expect((await a.responses.retrieve(created.id)).id).toBe(created.id);
    const items = await a.responses.inputItems.list(created.id, { limit: 5, order: 'asc' });
    expect(items.data[0]).toMatchObject({ id: 'msg_in1', type: 'message' });
    expect((await a.responses.cancel(created.id)).status).toBe('cancelled');
    await a.responses.delete(created.id);

    const sent = upstream.requests.slice(from).map((r) => `${r.method} ${r.url}`);
    expect(sent).toEqual([
      `GET /v1/responses/${created.id}`,
      `GET /v1/responses/${created.id}/input_items?limit=5&order=asc`,
      `POST /v1/responses/${created.id}/cancel`,
      `DELETE /v1/responses/${created.id}`,
    ]);
    // The platform's key goes upstream, never the caller's.
    for (const r of upstream.requests.slice(from)) expect(r.headers.authorization ?? '').not.toContain('archie_');
    // Not billed: these use no tokens.
    expect(await balance(stack)).toBe(before);
  });

  it('the owner continues its own conversation with previous_response_id; the next id is recorded too', async () => {
    const first = await a.responses.create({ model: 'archibot', input: 'hi' });
    // At once, no idle wait: the record written after the first answer is waited for, never missed.
    const second = await a.responses.create({ model: 'archibot', input: 'and then?', previous_response_id: first.id });
    const third = await a.responses.create({ model: 'archibot', input: 'and then?', previous_response_id: second.id });
    expect(third.id).toMatch(/^resp_mint\d+$/);
    const sent = JSON.parse(upstream.requests.at(-1)!.body.toString('utf8')) as { previous_response_id?: string };
    expect(sent.previous_response_id).toBe(second.id);
  });

  it('a streamed response is recorded from its events; its owner record names project, key and account', async () => {
    const stream = await a.responses.create({ model: 'archibot', input: 'hi', stream: true });
    let id: string | undefined;
    for await (const event of stream) if (event.type === 'response.completed') id = event.response.id;
    expect(id).toBeDefined();
    await stack.idle();
    const owner = await stack.services.store.getOwnership('response', id!);
    expect(owner).toMatchObject({ kind: 'response', id, projectId: stack.bootstrap.projectId, accountId: stack.bootstrap.accountId, model: 'archibot' });
    expect(owner?.keyId).toMatch(/^key_/);
    await refusedForB(() => b.responses.retrieve(id!));
  });

  it('store: false records nothing; an unknown id is 404 for everyone, the upstream never called', async () => {
    const unstored = await a.responses.create({ model: 'archibot', input: 'hi', store: false });
    await stack.idle();
    expect(await stack.services.store.getOwnership('response', unstored.id)).toBeUndefined();
    const seen = upstream.requests.length;
    for (const call of [() => a.responses.retrieve('resp_never_made'), () => a.responses.create({ model: 'archibot', input: 'x', previous_response_id: 'resp_never_made' })]) {
      expect(await call().then(() => undefined, (e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    }
    expect(upstream.requests.length).toBe(seen);
  });

  it('the owner record is written after the answer, in the usage record\'s BatchWriteItem: no storage call added', async () => {
    const { id, key } = await createKey(stack, { name: 'counted' });
    const post = (path: string, body: unknown) => stack.call(path, { key, body }).then((r) => r.arrayBuffer());
    // Warm: the key's window open, its account known to this instance, its lease taken and a call
    // counted in its day by its settlement — whose after-answer work files the key's finished days
    // once a day per process, a read through the SDK the counter cannot tell from one before the answer.
    const day = keyDayAttributes(utcDay(stack.clock.now())).requests;
    upstream.handle((req, res) => answer(res, 200, { ...fixedResponse(), id: `resp_mint${++minted}`, object: req.url.includes('chat') ? 'chat.completion' : 'response' }));
    for (let i = 0; i < 10 && !(await keyItemHas(id, day)); i++) {
      await post('/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] });
      await stack.idle();
    }
    expect(await keyItemHas(id, day)).toBe(true);
    counter.reset();
    await post('/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] });
    await stack.idle();
    const withoutOwner = { before: beforeAnswer(counter), commands: [...counter.commands] };
    counter.reset();
    await post('/v1/responses', { model: 'archibot', input: 'hi' });
    await stack.idle();
    expect(beforeAnswer(counter), counter.commands.join(' ')).toBe(withoutOwner.before);
    expect(counter.commands.filter((c) => c === 'GetItem')).toEqual(withoutOwner.commands.filter((c) => c === 'GetItem'));
    const writes = counter.commands.map((c, i) => ({ c, after: counter.afterAnswer[i] })).filter((w) => w.c === 'BatchWriteItem');
    expect(counter.commands.length, `${counter.commands.join(' ')} / ${withoutOwner.commands.join(' ')}`).toBe(withoutOwner.commands.length);
    expect(writes.length).toBe(withoutOwner.commands.filter((c) => c === 'BatchWriteItem').length);
    expect(writes.every((w) => w.after)).toBe(true);
    expect(await stack.services.store.getOwnership('response', `resp_mint${minted}`)).toMatchObject({ projectId: stack.bootstrap.projectId });
  });
});

describe('hostile ids in the path', () => {
  it('too long, dots, encoded slashes, odd characters: 400 before any lookup, never 5xx, the upstream never called', async () => {
    const { key } = await createKey(stack, { name: 'hostile' });
    const seen = upstream.requests.length;
    for (const id of ['r'.repeat(129), '..', '%2e%2e', 'resp_x%2F..%2Fkeys', 'resp_x%00', 'resp%20x', '%ZZ', 'resp_x%252F']) {
      for (const [method, suffix] of [['GET', ''], ['DELETE', ''], ['POST', '/cancel'], ['GET', '/input_items']] as const) {
        const res = await stack.call(`/v1/responses/${id}${suffix}`, { key, method });
        expect(res.status, `${method} ${id}${suffix}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${id}${suffix}`).toBeLessThan(500);
      }
    }
    expect(upstream.requests.length).toBe(seen);
  });

  it('a raw API key as the id is refused as a key, never echoed, and the key is revoked', async () => {
    const { key } = await createKey(stack, { name: 'caller' });
    const leaked = await createKey(stack, { name: 'pasted into a path' });
    const res = await stack.call(`/v1/responses/${leaked.key}`, { key });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toContain(leaked.key);
    const after = await stack.call('/v1/models', { key: leaked.key });
    expect(after.status).toBe(401);
  });

  it('a raw API key as previous_response_id is refused as a key and revoked, the upstream never called', async () => {
    const { key } = await createKey(stack, { name: 'caller 2' });
    const leaked = await createKey(stack, { name: 'pasted into a field' });
    const seen = upstream.requests.length;
    const res = await stack.call('/v1/responses', { key, body: { model: 'archibot', input: 'x', previous_response_id: leaked.key } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain(leaked.key);
    expect((await stack.call('/v1/models', { key: leaked.key })).status).toBe(401);
    expect(upstream.requests.length).toBe(seen);
  });

  it('a malformed previous_response_id or conversation is 400, the upstream never called', async () => {
    const { key } = await createKey(stack, { name: 'caller 3' });
    const seen = upstream.requests.length;
    for (const body of [{ previous_response_id: '../x' }, { previous_response_id: 'r'.repeat(129) }, { conversation: 'a/b' }, { conversation: { id: 'a b' } }, { conversation: 42 }]) {
      const res = await stack.call('/v1/responses', { key, body: { model: 'archibot', input: 'x', ...body } });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(upstream.requests.length).toBe(seen);
  });
});
