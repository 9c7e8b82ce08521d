import { once } from 'node:events';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance, settled } from './stack-helpers';
import { fixedResponse, sse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from './stand-in-upstream';

/**
 * The gateway in front of a stand-in OpenAI-compatible upstream on 127.0.0.1: what reaches the
 * upstream, how streams are relayed, and what is charged for every upstream outcome.
 */
const UPSTREAM_KEY = 'up-secret';
const TIMEOUT_MS = 1500;

let upstream: StandInUpstream;
let stack: TestStack;
let callerKey: string;

beforeAll(async () => {
  upstream = await startStandInUpstream();
  stack = await startTestStack({
    UPSTREAM_BASE_URL: upstream.baseUrl,
    UPSTREAM_API_KEY: UPSTREAM_KEY,
    UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  callerKey = (await createKey(stack, { name: 'relay caller', type: 'viewer' })).key;
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

function sdk(options: { fetch?: typeof fetch } = {}): OpenAI {
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: callerKey, maxRetries: 0, ...options });
}

function post(body: unknown, init: { signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(`${stack.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${callerKey}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

function nextRequest(): Promise<UpstreamRequest> {
  return once(upstream.events, 'request').then(([r]) => r as UpstreamRequest);
}

function expectEvidence(res: Response, charged: number, remaining: number): void {
  expect(res.headers.get('x-archibot-request-id')).toMatch(/^req_/);
  expect(Number(res.headers.get('x-archibot-credits-charged'))).toBe(charged);
  expect(Number(res.headers.get('x-archibot-credits-remaining'))).toBe(remaining);
}

/** A Responses event stream: created, text deltas, completed (with sequence numbers). */
function streamEvents(text: string[]): string[] {
  const done = fixedResponse({ text: text.join('') });
  const inProgress = { ...done, status: 'in_progress', output: [], usage: null };
  const events = [
    { type: 'response.created', response: inProgress },
    ...text.map((delta) => ({ type: 'response.output_text.delta', item_id: 'msg_standin0001', output_index: 0, content_index: 0, delta, logprobs: [] })),
    { type: 'response.completed', response: done },
  ];
  return events.map((e, sequence_number) => sse({ ...e, sequence_number }));
}

/** A gate the test opens: the upstream holds until then. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('what reaches the upstream', () => {
  it('forwards the body as validated (every field, unicode and escapes kept), with the upstream key and never the caller key', async () => {
    // Odd spacing, key order, unicode and escapes: the upstream gets the same JSON value, serialized by us.
    const body =
      '{ "model":"archibot",  "input":[{"role":"user","content":[{"type":"input_text","text":"Räume in Gebäude 3 \\u2014 frei? 🏢"},' +
      '{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}],\n' +
      '  "tools":[{"type":"function","name":"find_rooms","description":"Find rooms","parameters":{"type":"object","properties":{"floor":{"type":"integer"}},"required":["floor"]},"strict":true}],' +
      '"tool_choice":{"type":"function","name":"find_rooms"},"reasoning":{"effort":"low","summary":"auto"},' +
      '"metadata":{"ticket":"WO-1234","zeta":"1","alpha":"2"},"temperature":0.25,"store":false,"x_vendor_field":[1,2.50,1e3]}';
    const seen = nextRequest();
    const res = await post(body);
    expect(res.status).toBe(200);
    const req = await seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/responses');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(JSON.parse(body));
    expect(req.body.toString('utf8')).toContain('Räume in Gebäude 3 — frei? 🏢');
    expect(req.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    for (const value of Object.values(req.headers)) expect(String(value)).not.toContain(callerKey);
    expect(JSON.stringify(req.headers)).not.toContain(callerKey.slice(0, 16));
    await res.text();
  });

  it('forwards what the SDK sends (tools, tool_choice, reasoning, metadata, structured input) unchanged', async () => {
    let sent: string | undefined;
    const capture: typeof fetch = async (url, init) => {
      sent = String(init?.body);
      return fetch(url, init);
    };
    const seen = nextRequest();
    const response = await sdk({ fetch: capture }).responses.create({
      model: 'archibot',
      instructions: 'Answer as a facilities assistant.',
      input: [
        { role: 'developer', content: 'Prefer metric units.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Book room 3.14 for Friday.' }] },
      ],
      tools: [
        {
          type: 'function',
          name: 'book_room',
          description: 'Books a room',
          parameters: { type: 'object', properties: { room: { type: 'string' } }, required: ['room'], additionalProperties: false },
          strict: true,
        },
      ],
      tool_choice: 'required',
      reasoning: { effort: 'medium' },
      metadata: { integration: 'sdk-test' },
      max_output_tokens: 256,
    });
    const req = await seen;
    expect(sent).toBeDefined();
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(JSON.parse(sent!));
    expect(JSON.parse(req.body.toString('utf8'))).toMatchObject({ tool_choice: 'required', reasoning: { effort: 'medium' }, metadata: { integration: 'sdk-test' } });
    expect(req.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(response.output_text).toBe('Stand-in upstream answer.');
  });
});

describe('a body with two "model" keys (issue 19 hardening)', () => {
  // Our parser keeps the last "model"; an upstream parser may keep the first. What goes upstream is
  // serialized from what was validated, so both sides read one model — never the other one.
  for (const [path, rest] of [
    ['/v1/responses', '"input":"x"'],
    ['/v1/chat/completions', '"messages":[{"role":"user","content":"x"}]'],
  ] as const) {
    for (const stream of [false, true]) {
      it(`${path}${stream ? ' (stream)' : ''}: the upstream receives the validated model, once`, async () => {
        const raw = `{"model":"o1-pro-expensive",${rest},"stream":${stream},"model":"archibot"}`;
        const seen = nextRequest();
        const res = await fetch(`${stack.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${callerKey}`, 'content-type': 'application/json' },
          body: raw,
        });
        expect(res.status).toBeLessThan(500);
        await res.text();
        const sent = (await seen).body.toString('utf8');
        expect(sent.match(/"model"/g)).toHaveLength(1);
        expect(sent).not.toContain('o1-pro-expensive');
        expect(JSON.parse(sent).model).toBe('archibot');
      });
    }
  }
});

describe('streaming relay', () => {
  it('relays the first event while the upstream is still holding the stream open', async () => {
    const events = streamEvents(['Hello ', 'from ', 'upstream.']);
    const hold = gate();
    let upstreamEnded = false;
    upstream.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events[0]);
      await hold.opened;
      for (const e of events.slice(1)) res.write(e);
      upstreamEnded = true;
      res.end();
    });

    const before = await balance(stack);
    const { data: stream, response } = await sdk()
      .responses.create({ model: 'archibot', input: 'stream please', stream: true })
      .withResponse();
    // Billing evidence is in the headers, which arrived before any event.
    expectEvidence(response, 1, credits(before - 1));
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value?.type).toBe('response.created');
    expect(upstreamEnded).toBe(false);

    hold.open();
    const rest: string[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value.type);
    expect(upstreamEnded).toBe(true);
    expect(rest).toEqual(['response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta', 'response.completed']);
    // Settled from the usage the stream reported when it ended (20 tokens × 0.5 / 1000).
    await settled(stack, response);
    expect(await balance(stack)).toBe(credits(before - 0.01));
  });

  it('passes event bytes through unchanged: no billing fields injected into chunks', async () => {
    const events = streamEvents(['a', 'b']);
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) res.write(e);
      res.end();
    });
    const res = await post({ model: 'archibot', input: 'x', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-archibot-credits-charged')).toBe('1');
    expect(await res.text()).toBe(events.join(''));
  });

  it('a client that aborts mid-stream is charged the usage the stream reports afterwards, exactly once (the upstream is read on, not cancelled)', async () => {
    const events = streamEvents(['one ', 'two ', 'three']);
    const hold = gate();
    const upstreamDone = new Promise<boolean>((resolve) => {
      upstream.handle(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(events[0]);
        await hold.opened;
        // A model still thinking after the client left, then the rest of the stream and its usage.
        for (let i = 0; i < 5 && !res.destroyed; i++) {
          res.write(': keep-alive\n\n');
          await new Promise((r) => setTimeout(r, 5));
        }
        for (const e of events.slice(1)) if (!res.destroyed) res.write(e);
        resolve(!res.destroyed);
        res.end();
      });
    });

    const before = await balance(stack);
    const abort = new AbortController();
    const res = await post({ model: 'archibot', input: 'long answer', stream: true }, { signal: abort.signal });
    expect(res.status).toBe(200);
    expectEvidence(res, 1, credits(before - 1));
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('response.created');
    abort.abort();
    hold.open();
    expect(await upstreamDone).toBe(true); // the gateway was still reading when the usage came
    await settled(stack, res);

    // fixedResponse's usage: 20 tokens × 0.5 / 1k.
    const after = await balance(stack);
    expect(after).toBe(credits(before - 0.01));
    // Nothing settles later either: the next request's evidence starts from the same balance.
    upstream.reset();
    const probe = await post({ model: 'archibot', input: 'probe' });
    expect(probe.status).toBe(200);
    const probeCharged = Number(probe.headers.get('x-archibot-credits-charged'));
    expect(Number(probe.headers.get('x-archibot-credits-remaining'))).toBe(credits(after - probeCharged));
    await probe.text();
    await settled(stack, probe);
    expect(await balance(stack)).toBe(credits(after - probeCharged));
  });
});

/**
 * The upstream sends its first event and then nothing more, ever (a model thinking forever): only
 * the gateway hanging up ends its connection. Resolves when it does.
 */
function silentAfterFirstEvent(): Promise<void> {
  const [first] = streamEvents(['the first and last event']);
  return new Promise<void>((resolve) => {
    upstream.handle((_req, res) => {
      res.once('close', () => resolve());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(first);
    });
  });
}

describe('a stream whose upstream goes silent', () => {
  it('is read on after the client goes away, cancelled after UPSTREAM_TIMEOUT_MS of silence, and charged its estimate (the reservation) once', async () => {
    const upstreamClosed = silentAfterFirstEvent();
    const before = await balance(stack);
    const abort = new AbortController();
    const res = await post({ model: 'archibot', input: 'think hard', stream: true }, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('response.created');
    abort.abort();
    await upstreamClosed;
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - 1));
  });

  it('ends after UPSTREAM_TIMEOUT_MS without a byte, closes the upstream, and stays charged once', async () => {
    const upstreamClosed = silentAfterFirstEvent();
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'stall', stream: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('response.created');
    await upstreamClosed;
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - 1));
  });
});

describe('a client that stops reading', () => {
  it('is let go after UPSTREAM_TIMEOUT_MS without taking a byte, and the call is settled: it never holds the stream, the upstream or the charge', async () => {
    // An upstream with far more to say than the socket buffers between the gateway and the client hold.
    const delta = sse({ type: 'response.output_text.delta', delta: 'x'.repeat(16 * 1024) });
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    upstream.handle(async (_req, res) => {
      res.once('close', () => upstreamClosed());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 2_500 && !res.destroyed; i++) if (!res.write(delta)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      res.end(sse({ type: 'response.completed', response: { usage: { input_tokens: 10, output_tokens: 10_000_000, total_tokens: 10_000_010 } } }));
    });
    const before = await balance(stack);
    const socket = connect(Number(new URL(stack.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const body = JSON.stringify({ model: 'archibot', input: 'read slowly', stream: true });
    socket.write(
      `POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${callerKey}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // The first bytes (status line, request id), then the client stops reading.
    const [head] = (await once(socket, 'data')) as [Buffer];
    socket.pause();
    const requestId = /x-request-id: (\S+)/i.exec(head.toString('latin1'))?.[1];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
    expect(requestId).toBeDefined();
    // The server gives up on it: the upstream is let go, the call settles, and the connection is
    // closed (seen once the client reads what its buffers still hold).
    await closed;
    await settled(stack, { headers: { 'x-request-id': requestId! } });
    socket.resume();
    await once(socket, 'close');
    const charged = credits(before - (await balance(stack)));
    // More than the reservation: the text the gateway relayed is charged (here by its estimate).
    expect(charged).toBeGreaterThan(1);
    expect(charged).toBeLessThanOrEqual(credits((10_000_010 / 1000) * 0.5));
    await setBalance(stack, before); // the debt it ran up is not the next test's
  });
});

describe('charging by upstream outcome', () => {
  it('a success is charged by reported usage: total_tokens × PRICE_PER_1K_TOKENS / 1000', async () => {
    const body = JSON.stringify(fixedResponse({ usage: { input_tokens: 300, output_tokens: 100 } }));
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
    const price = credits((400 * 0.5) / 1000);
    expectEvidence(res, price, credits(before - price));
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - price));
  });

  it('usage beyond the reservation is charged in full', async () => {
    const body = JSON.stringify(fixedResponse({ usage: { input_tokens: 6000, output_tokens: 4000 } }));
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(200);
    expectEvidence(res, 5, credits(before - 5));
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - 5));
  });

  it('a success without usage is charged per request (PRICE_PER_REQUEST)', async () => {
    const body = JSON.stringify(fixedResponse({ usage: null }));
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(200);
    expectEvidence(res, 1, credits(before - 1));
    await settled(stack, res);
    expect(await balance(stack)).toBe(credits(before - 1));
  });

  it.each([false, true])('an upstream 500 charges nothing and answers 502 upstream_error (stream: %s)', async (stream) => {
    upstream.handle((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}'));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x', stream });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error.code).toBe('upstream_error');
    expect(JSON.stringify(body)).not.toContain('boom');
    expectEvidence(res, 0, before);
    await settled(stack, res);
    expect(await balance(stack)).toBe(before);
  });

  it('an upstream that does not answer in UPSTREAM_TIMEOUT_MS charges nothing and answers 504 upstream_error', async () => {
    const abandoned = new Promise<void>((resolve) => {
      upstream.handle((_req, res) => {
        res.once('close', () => resolve()); // never answers; the gateway must hang up
      });
    });
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    expectEvidence(res, 0, before);
    await settled(stack, res);
    expect(await balance(stack)).toBe(before);
    await abandoned;
  });

  it('an unreachable upstream charges nothing and answers 502 upstream_error', async () => {
    upstream.handle((_req, res) => res.destroy());
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    expectEvidence(res, 0, before);
    await settled(stack, res);
    expect(await balance(stack)).toBe(before);
  });

  it("relays the upstream's OpenAI-shaped 400 for the caller's own mistake, charging nothing", async () => {
    const error = '{"error":{"message":"Unknown parameter: \'foo\'.","type":"invalid_request_error","param":"foo","code":"unknown_parameter"}}';
    upstream.handle((_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(error));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x', foo: 1 });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(error);
    expectEvidence(res, 0, before);
    await settled(stack, res);
    expect(await balance(stack)).toBe(before);
  });

  it('an upstream 429 becomes 503 service_unavailable with Retry-After, charging nothing', async () => {
    upstream.handle((_req, res) => res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}'));
    const before = await balance(stack);
    const res = await post({ model: 'archibot', input: 'x' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    expectEvidence(res, 0, before);
  });
});

describe('X-Archibot-* headers on every /v1/responses answer', () => {
  it('carries the request id and zero charge on preflight rejections too', async () => {
    const unauthenticated = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"archibot","input":"x"}',
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('x-archibot-request-id')).toMatch(/^req_/);
    expect(unauthenticated.headers.get('x-archibot-credits-charged')).toBe('0');

    const badBody = await post('{"input":"no model"}');
    expect(badBody.status).toBe(400);
    expect(badBody.headers.get('x-archibot-request-id')).toMatch(/^req_/);
    expect(badBody.headers.get('x-archibot-credits-charged')).toBe('0');
    expect(upstream.requests.some((r) => r.body.toString().includes('no model'))).toBe(false);
  });
});
