import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_MAX_BYTES } from '../../../lambdas/http/openai-relay';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, setBalance, settled } from './stack-helpers';
import { chatStream, INPUT_TOKENS, OUTPUT_TOKENS, readEvents, recordedApis, tokensReceived } from './recorded-streams';
import { fixedResponse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from './stand-in-upstream';

/**
 * Issue 19, points 1 and 2: the client never chooses the price, and no usage is forgiven. A stand-in
 * upstream on 127.0.0.1 plays recorded streams; real clients (fetch, the openai SDK) cut them where
 * they like; the charge is read back from the usage record and the account balance.
 */
const PER_1K = 0.5; // PRICE_PER_1K_TOKENS
const RESERVE = 1; // max(CREDIT_RESERVE, PRICE_PER_REQUEST)

let upstream: StandInUpstream;
let stack: TestStack;
let callerKey: string;

beforeAll(async () => {
  upstream = await startStandInUpstream();
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', UPSTREAM_TIMEOUT_MS: '5000' });
  callerKey = (await createKey(stack, { name: 'money caller', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } })).key;
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const price = (tokens: number) => credits((tokens / 1000) * PER_1K);

const APIS = recordedApis();

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${callerKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** A gate the test opens: the upstream holds until then. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Waits until a slow reader has taken what was written, or has gone. */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The credits the call's usage record states, once its settlement is done. */
async function recordedCredits(res: Response): Promise<number> {
  await settled(stack, res);
  const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId: res.headers.get('x-request-id')!, limit: 1 });
  return page.items[0]!.credits;
}

describe('the client never chooses the price: a stream cut anywhere', () => {
  for (const api of APIS) {
    it(`${api.name}: at every cut point (after each event) the charge is ≥ the usage of what the client received and ≤ the full usage`, async () => {
      await setBalance(stack, 100_000);
      const full = price(INPUT_TOKENS + OUTPUT_TOKENS);
      const outcomes: string[] = [];
      for (let cut = 1; cut <= api.events.length; cut++) {
        const rest = gate();
        const hungUp = gate();
        upstream.handle(async (_req, res) => {
          res.once('close', () => hungUp.open());
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const e of api.events.slice(0, cut)) res.write(e.wire);
          await rest.opened;
          for (const e of api.events.slice(cut)) if (!res.destroyed) res.write(e.wire);
          res.end();
        });
        const before = await balance(stack);
        const abort = new AbortController();
        const res = await post(api.path, api.body, abort.signal);
        expect(res.status).toBe(200);
        const received = await readEvents(res, cut);
        expect(received).toBe(cut);
        abort.abort();
        // The rest of the stream leaves the upstream once the gateway has had time to see the
        // client go (a gateway that hangs up on the upstream then does so first): the cut is
        // really before the rest, whatever the gateway does with it. The pause only paces the
        // upstream; no assertion depends on it.
        await Promise.race([hungUp.opened, new Promise((r) => setTimeout(r, 20))]);
        rest.open();
        const charged = await recordedCredits(res);
        // What the client received: the whole input, and the output tokens of the deltas it got.
        const atLeast = price(tokensReceived(api.events.slice(0, cut)));
        if (charged < atLeast || charged > full) outcomes.push(`cut after ${cut}: charged ${charged}, bounds [${atLeast}, ${full}]`);
        // The balance moved by exactly the recorded charge (nothing forgiven, nothing twice).
        expect(credits(before - (await balance(stack)))).toBe(charged);
      }
      expect(outcomes).toEqual([]);
    });
  }

  it('a stream whose upstream never reports usage is charged its estimate, at least the reservation and the text the client received', async () => {
    await setBalance(stack, 1000);
    const long = 'x'.repeat(4000);
    const events = chatStream().filter((e) => !e.wire.includes('"usage"'));
    const deltas = events.map((e) => (e.outputTokens > 0 ? { wire: e.wire.replace(/part \d /, long), outputTokens: 0 } : e));
    const rest = gate();
    upstream.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of deltas.slice(0, 4)) res.write(e.wire);
      await rest.opened;
      for (const e of deltas.slice(4)) res.write(e.wire);
      res.end();
    });
    const abort = new AbortController();
    const res = await post('/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'no usage' }], stream: true }, abort.signal);
    await readEvents(res, 4);
    abort.abort();
    rest.open();
    const charged = await recordedCredits(res);
    // 3 deltas of 4000 bytes received: at least 3000 tokens of output; 8 sent: 8000 tokens and the request's bytes / 4.
    expect(charged).toBeGreaterThanOrEqual(Math.max(RESERVE, price(3000)));
    expect(charged).toBeGreaterThanOrEqual(price(8000));
  });

  it(`a client that leaves an upstream which never ends is charged once the drain bound (${DRAIN_MAX_BYTES} bytes) is hit, and the upstream is let go`, async () => {
    await setBalance(stack, 1000);
    const [first] = chatStream();
    const rest = gate();
    let sent = 0;
    const closed = new Promise<void>((resolve) => {
      upstream.handle(async (_req, res: ServerResponse) => {
        res.once('close', () => resolve());
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(first!.wire);
        await rest.opened;
        const comment = `: ${'.'.repeat(64 * 1024)}\n\n`;
        // Keep-alive comments, never usage, until the gateway hangs up (or 4× the bound: a failure).
        while (!res.destroyed && sent < 4 * DRAIN_MAX_BYTES) {
          sent += comment.length;
          if (!res.write(comment)) await drainOrClose(res);
        }
        res.end();
      });
    });
    const before = await balance(stack);
    const abort = new AbortController();
    const res = await post('/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'forever' }], stream: true }, abort.signal);
    await readEvents(res, 1);
    abort.abort();
    rest.open();
    await closed;
    expect(sent).toBeLessThan(4 * DRAIN_MAX_BYTES);
    const charged = await recordedCredits(res);
    expect(charged).toBeGreaterThanOrEqual(RESERVE);
    expect(credits(before - (await balance(stack)))).toBe(charged);
  });

  it('a non-streamed call whose client leaves before the answer is charged its full usage', async () => {
    await setBalance(stack, 1000);
    const answer = gate();
    const arrived = gate();
    upstream.handle(async (_req, res) => {
      arrived.open();
      await answer.opened;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse({ usage: { input_tokens: INPUT_TOKENS, output_tokens: OUTPUT_TOKENS } })));
    });
    const before = await balance(stack);
    const abort = new AbortController();
    const call = post('/v1/responses', { model: 'archibot', input: 'leave early' }, abort.signal).catch((err: unknown) => err);
    await arrived.opened;
    abort.abort();
    expect(await call).toBeInstanceOf(Error);
    answer.open();
    const record = async () => (await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, limit: 1 })).items[0];
    for (let i = 0; i < 500 && (await record())?.usage?.totalTokens !== INPUT_TOKENS + OUTPUT_TOKENS; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await record())?.credits).toBe(price(INPUT_TOKENS + OUTPUT_TOKENS));
    expect(credits(before - (await balance(stack)))).toBe(price(INPUT_TOKENS + OUTPUT_TOKENS));
  });
});

describe('no usage is forgiven: work the endpoint could not bill is not served', () => {
  // A background response is served and billed once its usage is known (test/http/stored-responses/background.test.ts);
  // streamed, it would be billed by a stream its client may leave long before it ends.
  it('a streamed background response is a 400 before any charge or upstream call', async () => {
    await setBalance(stack, 1000);
    const before = await balance(stack);
    const calls = upstream.requests.length;
    const client = new OpenAI({ apiKey: callerKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const err = await client.responses.create({ model: 'archibot', input: 'work on it later', background: true, stream: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stream');
    expect(upstream.requests).toHaveLength(calls);
    expect(await balance(stack)).toBe(before);
    // background: false is what every call is: served as usual.
    upstream.handle((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse({ usage: { input_tokens: 1, output_tokens: 1 } }))));
    expect((await client.responses.create({ model: 'archibot', input: 'now', background: false })).object).toBe('response');
  });
});

describe('no usage is forgiven: debt', () => {
  it('20 concurrent 1,000,000-token calls on 5 credits: every served token charged, the balance in debt by exactly that, then 429 until a grant repays it', async () => {
    const TOKENS = 1_000_000;
    const { key } = await createKey(stack, { name: 'debtor', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    await setBalance(stack, 5);
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0 });
    // Answers are held until 5 calls have reached the upstream (or every other call was refused):
    // all the reservations race before any settlement, as they would under load.
    const release = gate();
    let arrivals = 0;
    let refused = 0;
    const check = () => (arrivals >= 5 || arrivals + refused >= 20) && release.open();
    upstream.handle(async (req: UpstreamRequest, res) => {
      arrivals += 1;
      check();
      await release.opened;
      if (req.url.endsWith('/responses')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse({ usage: { input_tokens: TOKENS / 2, output_tokens: TOKENS / 2 } })));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'archibot', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'archibot', choices: [], usage: { prompt_tokens: TOKENS / 2, completion_tokens: TOKENS / 2, total_tokens: TOKENS } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    const one = async (i: number): Promise<{ ok: boolean; requestId?: string; code?: string }> => {
      try {
        if (i % 2 === 0) {
          const { response } = await client.responses.create({ model: 'archibot', input: 'a lot' }).withResponse();
          return { ok: true, requestId: response.headers.get('x-request-id')! };
        }
        const { data: stream, response } = await client.chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'a lot' }], stream: true }).withResponse();
        for await (const _chunk of stream) void _chunk;
        return { ok: true, requestId: response.headers.get('x-request-id')! };
      } catch (err) {
        refused += 1;
        check();
        return { ok: false, code: err instanceof OpenAI.APIError ? `${err.status} ${err.code}` : String(err) };
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => one(i)));
    const served = outcomes.filter((o) => o.ok);
    expect(served).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(15).fill('429 insufficient_quota'));

    const final = await balance(stack);
    const records = await Promise.all(
      served.map(async (o) => (await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId: o.requestId!, limit: 1 })).items[0]!),
    );
    const servedPrice = price(served.length * TOKENS);
    expect(records.map((r) => r.usage?.totalTokens)).toEqual(Array(5).fill(TOKENS));
    expect(credits(records.reduce((sum, r) => sum + r.credits, 0))).toBe(servedPrice);
    expect(credits(5 - final)).toBe(servedPrice);
    expect(final).toBe(credits(5 - servedPrice));

    // In debt: refused, and every reader says so (the header and /v1/me show the negative balance).
    upstream.reset();
    const refusedNow = await stack.call('/v1/responses', { key, body: { model: 'archibot', input: 'more' } });
    expect(refusedNow.status).toBe(429);
    expect(((await refusedNow.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    expect(Number(refusedNow.headers.get('x-archibot-credits-remaining'))).toBe(final);
    const me = await stack.json<{ account: { credits: number } }>('/v1/me', { key: stack.adminKey });
    expect(me.body.account.credits).toBe(final);

    // A grant that brings it back above the reserve lets calls through again.
    await stack.services.operator.adjustCredits(stack.bootstrap.accountId, credits(-final + 2));
    const again = await client.responses.create({ model: 'archibot', input: 'repaid' });
    expect(again.output_text).toBe('Stand-in upstream answer.');
  });
});
