import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { periodEnd } from '../../../lambdas/core/budget';
import { SLOT_LEASE_MS } from '../../../lambdas/core/ports';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { credits, setBalance } from './stack-helpers';
import { fixedResponse, sse, startStandInUpstream, type StandInUpstream } from './stand-in-upstream';

/**
 * Issue 21, points 3–5 from the outside: a key's budget, token limit and concurrency cap on
 * /v1/responses, exact under 200 concurrent calls, across a budget period's boundary (moved with
 * the clock port), and after an instance holding slots is killed with SIGKILL. Outcomes are
 * checked by counting, never by timing.
 */
let upstream: StandInUpstream;
let stack: TestStack;

/** No usage reported: each call costs exactly the per-request price (1 credit), which is also the reservation. */
const PER_REQUEST_BODY = JSON.stringify(fixedResponse({ usage: null }));
const answerPerRequest = (_req: unknown, res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(PER_REQUEST_BODY);

/**
 * Upstream answers held until `release()`: calls stay in flight (at the upstream) as long as a test
 * needs. `start` runs as each request arrives (a stream's status and first event), `finish` when
 * it is released (or at once, after the release).
 */
function holdAnswers(finish: (res: ServerResponse) => void = (res) => answerPerRequest(undefined, res), start: (res: ServerResponse) => void = () => undefined) {
  const waiting: ServerResponse[] = [];
  let open = true;
  upstream.handle((_req, res) => {
    start(res);
    if (open) waiting.push(res);
    else finish(res);
  });
  return {
    get count() {
      return waiting.length;
    },
    release() {
      open = false;
      for (const res of waiting.splice(0)) finish(res);
    },
  };
}

beforeAll(async () => {
  upstream = await startStandInUpstream(answerPerRequest);
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const WIDE = { limit: 6000, windowSeconds: 60 };

async function keyWith(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'limited', scopes: ['responses:write', 'models:read'], rateLimit: WIDE, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

interface Outcome {
  status: number;
  headers: Headers;
  code?: string;
  message?: string;
}

async function respond(key: string, body: Record<string, unknown> = {}): Promise<Outcome> {
  const res = await fetch(`${stack.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'archibot', input: 'limits', ...body }),
  });
  const text = await res.text();
  const error = res.ok || !text.startsWith('{') ? undefined : (JSON.parse(text) as { error: { code: string; message: string } }).error;
  return { status: res.status, headers: res.headers, code: error?.code, message: error?.message };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`never: ${what}`);
}

const keyState = async (id: string) => (await stack.json(`/v1/keys/${id}`, { key: stack.adminKey })).body;

describe('per-key budgets', () => {
  it('are exact under 200 concurrent calls across a period boundary: 5 credits a day is 5 calls each day, whatever races', async () => {
    await setBalance(stack, 1000);
    const { id, key } = await keyWith({ budget: { credits: 5, period: 'day' } });
    // Ten minutes before the next UTC midnight (room for a busy machine: the clock runs on meanwhile).
    const midnight = periodEnd('day', stack.clock.now());
    stack.clock.advance(midnight - 600_000 - stack.clock.now());
    const held = holdAnswers();
    let answered = 0;
    const before = Array.from({ length: 100 }, () => respond(key).finally(() => answered++));
    // Every call of the first day has been decided: five at the upstream, the rest refused.
    await until(() => held.count >= 5 && answered >= 95, 'the first day’s calls decided');
    // The first day's five are still in flight when the next day begins.
    stack.clock.advance(601_000);
    const after = Array.from({ length: 100 }, () => respond(key));
    await until(() => held.count >= 10, 'five calls of the next day reach the upstream');
    held.release();
    const [first, second] = [await Promise.all(before), await Promise.all(after)];

    for (const [day, outcomes] of [['first', first], ['second', second]] as const) {
      const ok = outcomes.filter((o) => o.status === 200);
      const refused = outcomes.filter((o) => o.status !== 200);
      expect(ok, `${day} day`).toHaveLength(5);
      expect(new Set(refused.map((o) => `${o.status} ${o.code}`))).toEqual(new Set(['429 budget_exceeded']));
      for (const o of refused) {
        expect(o.headers.get('x-archibot-budget-limit')).toBe('5');
        expect(o.headers.get('x-archibot-budget-remaining')).toBe('0');
        expect(o.headers.get('x-should-retry')).toBeNull();
      }
    }
    // A refusal of the first day is told to come back at midnight; the second day's, the midnight after.
    const retry = (o: Outcome) => Number(o.headers.get('retry-after'));
    expect(Math.max(...first.filter((o) => o.status === 429).map(retry))).toBeLessThanOrEqual(600);
    expect(second.find((o) => o.status === 429)!.headers.get('x-archibot-budget-reset')).toBe(new Date(midnight + 86_400_000).toISOString());
    expect(Math.min(...second.filter((o) => o.status === 429).map(retry))).toBeGreaterThan(86_000);
    for (const o of second.filter((o) => o.status === 200)) expect(o.headers.get('x-archibot-budget-reset')).toBe(new Date(midnight + 86_400_000).toISOString());

    await stack.idle();
    // Ten calls charged one credit each; the second day's budget is spent, the first day's closed.
    // Counted on the usage records, each call's own: on a loaded machine the account balance can
    // also move by a reservation the transport retried after its answer was lost (issue 23).
    expect((await keyState(id)).budget).toMatchObject({ credits: 5, period: 'day', spent: 5, remaining: 0 });
    const usage = (await stack.json(`/v1/usage?keyId=${id}&limit=200`, { key: stack.adminKey })).body;
    expect(usage.data.filter((r: { status: number }) => r.status === 200)).toHaveLength(10);
    expect(credits(usage.totals[0].credits)).toBe(10);
  });

  it('answer the budget headers on every model call, and give back what a call did not cost', async () => {
    await setBalance(stack, 1000);
    // Priced by usage: 20 tokens at 0.5 per 1,000 is 0.01 of the 1 credit reserved.
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse())));
    const { id, key } = await keyWith({ budget: { credits: 2, period: 'month' } });
    const first = await respond(key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-archibot-budget-limit')).toBe('2');
    expect(first.headers.get('x-archibot-budget-remaining')).toBe('1.99');
    expect(first.headers.get('x-archibot-budget-reset')).toBe(new Date(periodEnd('month', stack.clock.now())).toISOString());
    await stack.idle();
    expect((await keyState(id)).budget).toMatchObject({ spent: 0.01, remaining: 1.99 });
    expect((await respond(key)).headers.get('x-archibot-budget-remaining')).toBe('1.98');
  });

  it('a spent total budget is 429 budget_exceeded with x-should-retry: false, and the openai SDK asks once', async () => {
    await setBalance(stack, 1000);
    const { key } = await keyWith({ budget: { credits: 1, period: 'total' } });
    expect((await respond(key)).status).toBe(200);
    await stack.idle();
    const refused = await respond(key);
    expect([refused.status, refused.code, refused.headers.get('x-should-retry'), refused.headers.get('retry-after')]).toEqual([429, 'budget_exceeded', 'false', null]);
    expect(refused.headers.get('x-archibot-budget-reset')).toBeNull();
    const before = upstream.requests.length;
    const client = new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 2 });
    const error = await client.responses.create({ model: 'archibot', input: 'again' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('budget_exceeded');
    expect(upstream.requests.length).toBe(before);
  });

  it('raised by an edit, it applies to the next call; the account balance still applies on top', async () => {
    await setBalance(stack, 1000);
    const { id, key } = await keyWith({ budget: { credits: 1, period: 'week' } });
    expect((await respond(key)).status).toBe(200);
    await stack.idle();
    expect((await respond(key)).code).toBe('budget_exceeded');
    const raised = await stack.json(`/v1/keys/${id}`, { key: stack.adminKey, method: 'PATCH', body: { budget: { credits: 3, period: 'week' } } });
    expect(raised.body.budget).toMatchObject({ credits: 3, spent: 1, remaining: 2 });
    expect((await respond(key)).status).toBe(200);
    await setBalance(stack, 0);
    expect((await respond(key)).code).toBe('insufficient_quota');
    await stack.idle();
    // The refusal by the account gave the key's reservation back.
    expect((await keyState(id)).budget).toMatchObject({ spent: 2, remaining: 1 });
  });
});

describe('token limits', () => {
  it('count settled usage tokens per window: once reached, 429 rate_limit_exceeded naming tokens, with OpenAI’s token headers; the next window admits again', async () => {
    await setBalance(stack, 1000);
    // 30 tokens a call.
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse({ usage: { input_tokens: 20, output_tokens: 10 } }))));
    const { key } = await keyWith({ tokenLimit: { tokens: 50, windowSeconds: 60 } });
    const first = await respond(key);
    expect([first.status, first.headers.get('x-ratelimit-limit-tokens'), first.headers.get('x-ratelimit-remaining-tokens')]).toEqual([200, '50', '50']);
    expect(first.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(1m0s|\d{1,2}s)$/);
    await stack.idle();
    const second = await respond(key);
    expect([second.status, second.headers.get('x-ratelimit-remaining-tokens')]).toEqual([200, '20']);
    await stack.idle();
    const third = await respond(key);
    expect([third.status, third.code]).toEqual([429, 'rate_limit_exceeded']);
    expect(third.message).toContain('60 of 50 tokens');
    expect(third.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // The request window is not what refused it: it still has room.
    expect(Number(third.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    stack.clock.advance(61_000);
    const next = await respond(key);
    expect([next.status, next.headers.get('x-ratelimit-remaining-tokens')]).toEqual([200, '50']);
  });
});

describe('concurrency caps', () => {
  /** A stream that sends its first event and then waits for `release()`. */
  function holdStreams() {
    return holdAnswers(
      (res) => {
        res.write(sse({ type: 'response.completed', response: fixedResponse({ usage: null }) }));
        res.end();
      },
      (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse({ type: 'response.created', response: { ...fixedResponse({ usage: null }), status: 'in_progress', output: [] } }));
      },
    );
  }

  async function stream(key: string, signal?: AbortSignal): Promise<Outcome & { body?: Promise<string> }> {
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'archibot', input: 'stream', stream: true }),
      signal,
    });
    if (res.ok) return { status: 200, headers: res.headers, body: res.text().catch(() => '') };
    const error = ((await res.json()) as { error: { code: string } }).error;
    return { status: res.status, headers: res.headers, code: error.code };
  }

  it('allow exactly the cap in flight under 200 concurrent streams; the rest are 429 concurrency_limit_exceeded with Retry-After: 1; slots come back as calls end', async () => {
    await setBalance(stack, 1000);
    const { key } = await keyWith({ maxConcurrent: 4 });
    const held = holdStreams();
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => stream(key)));
    const ok = outcomes.filter((o) => o.status === 200);
    expect(ok).toHaveLength(4);
    expect(held.count).toBe(4);
    const refused = outcomes.filter((o) => o.status !== 200);
    expect(new Set(refused.map((o) => `${o.status} ${o.code} ${o.headers.get('retry-after')}`))).toEqual(new Set(['429 concurrency_limit_exceeded 1']));
    held.release();
    await Promise.all(ok.map((o) => o.body));
    await stack.idle();
    // The four slots are free again: four more in flight, no more.
    const again = holdStreams();
    const next = await Promise.all(Array.from({ length: 20 }, () => stream(key)));
    expect(next.filter((o) => o.status === 200)).toHaveLength(4);
    again.release();
    await Promise.all(next.map((o) => o.body));
    await stack.idle();
  });

  it('a client that goes away frees its slot once the call is over at the upstream, and a failed call frees it at once', async () => {
    await setBalance(stack, 1000);
    const { key } = await keyWith({ maxConcurrent: 1 });
    const held = holdStreams();
    const leaving = new AbortController();
    const first = await stream(key, leaving.signal);
    expect(first.status).toBe(200);
    expect((await stream(key)).code).toBe('concurrency_limit_exceeded');
    leaving.abort();
    held.release();
    await stack.idle();
    upstream.handle((_req, res) => res.writeHead(500).end('{"error":{"message":"boom"}}'));
    expect((await respond(key)).status).toBe(502);
    upstream.reset();
    expect((await respond(key)).status).toBe(200);
  });

  it(`a slot held by an instance killed with SIGKILL frees itself within ${SLOT_LEASE_MS / 1000} s`, async () => {
    await setBalance(stack, 1000);
    const { key } = await keyWith({ maxConcurrent: 2 });
    const held = holdStreams();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/slot-holder.ts', stack.dataDir.path, upstream.baseUrl, String(stack.clock.now() - Date.now()), '2'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(key);
    const said = await new Promise<string>((resolve) => child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString())));
    expect(said.trim()).toBe('holding 2');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    held.release();
    // Its two slots are still leased: nothing gave them back.
    expect((await respond(key)).code).toBe('concurrency_limit_exceeded');
    stack.clock.advance(SLOT_LEASE_MS - 5000);
    expect((await respond(key)).code).toBe('concurrency_limit_exceeded');
    stack.clock.advance(6000);
    expect((await respond(key)).status).toBe(200);
  });
});
