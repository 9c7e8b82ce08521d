import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { OpenAiCompatibleUpstream } from '../../../lambdas/adapters/upstream';
import { stopBackgroundWatches, watchBackground } from '../../../lambdas/http/background-watch';
import { RESPONSES } from '../../../lambdas/http/openai-apis';
import { fixedResponse, startStandInUpstream, type StandInUpstream } from '../openai-relay/stand-in-upstream';

/**
 * The watch of a background response at its bounds, against a stand-in upstream over HTTP: one
 * that never finishes is cancelled at the bound and read for the usage the cancellation reports;
 * one deleted meanwhile ends the watch with no usage (the per-request price).
 */
const logger = { info() {}, warn() {}, error() {}, debug() {} };
let upstream: StandInUpstream;
let adapter: OpenAiCompatibleUpstream;

beforeAll(async () => {
  upstream = await startStandInUpstream();
  adapter = new OpenAiCompatibleUpstream(upstream.baseUrl, new StaticSecretsProvider({ upstream: { apiKey: 'sk-platform' } }));
});
afterAll(async () => upstream?.close());

const send = (res: ServerResponse, status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('watching a background response', () => {
  it('one still running at the bound is cancelled, and charged the usage the cancellation reports', async () => {
    const from = upstream.requests.length;
    upstream.handle((req, res) => {
      const base = { ...fixedResponse({ usage: { input_tokens: 10, output_tokens: 90 } }), id: 'resp_slow' };
      if (req.method === 'POST' && req.url.endsWith('/cancel')) return send(res, 200, { ...base, status: 'cancelled' });
      return send(res, 200, { ...base, status: 'in_progress', usage: null });
    });
    const outcome = await watchBackground(adapter, 'resp_slow', RESPONSES.usageOf, logger as never, { maxMs: 300, firstMs: 40 });
    expect(outcome).toEqual({ status: 'watch_ended', usage: { inputTokens: 10, outputTokens: 90, totalTokens: 100 } });
    const calls = upstream.requests.slice(from).map((r) => `${r.method} ${r.url}`);
    expect(calls.at(-1)).toBe('POST /v1/responses/resp_slow/cancel');
    expect(calls.slice(0, -1).every((c) => c === 'GET /v1/responses/resp_slow')).toBe(true);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-platform');
  });

  it('one deleted meanwhile ends the watch with no usage', async () => {
    upstream.handle((_req, res) => send(res, 404, { error: { message: "Response with id 'resp_gone' not found.", type: 'invalid_request_error', param: null, code: null } }));
    expect(await watchBackground(adapter, 'resp_gone', RESPONSES.usageOf, logger as never, { maxMs: 5_000, firstMs: 10 })).toEqual({ status: 'gone', usage: undefined });
  });

  it('a stopping server ends a watch at once: cancelled at the upstream, charged what the cancellation reports', async () => {
    upstream.handle((req, res) => {
      const base = { ...fixedResponse({ usage: { input_tokens: 5, output_tokens: 5 } }), id: 'resp_stop' };
      if (req.url.endsWith('/cancel')) return send(res, 200, { ...base, status: 'cancelled' });
      return send(res, 200, { ...base, status: 'in_progress', usage: null });
    });
    const started = Date.now();
    const watched = watchBackground(adapter, 'resp_stop', RESPONSES.usageOf, logger as never, { maxMs: 60_000, firstMs: 20 });
    await new Promise((r) => setTimeout(r, 100));
    stopBackgroundWatches();
    expect(await watched).toEqual({ status: 'watch_ended', usage: { inputTokens: 5, outputTokens: 5, totalTokens: 10 } });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
