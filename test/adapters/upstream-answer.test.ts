import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiCompatibleUpstream } from '../../lambdas/adapters/upstream';

/**
 * A whole (not streamed) upstream answer, read off the socket and handed back as a Response that
 * answers its body methods from the bytes held (upstream.ts ReadAnswer): it reads as an ordinary
 * Response would, once. Against a stand-in upstream on 127.0.0.1.
 */
let server: Server;
let base: string;
const ANSWER = JSON.stringify({ id: 'resp_1', object: 'response', output_text: 'pong — ü', usage: { input_tokens: 3, output_tokens: 1 } });

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/v1/empty') {
      res.writeHead(204).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-seen', ['a', 'b']);
    res.end(ANSWER);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const upstream = () => new OpenAiCompatibleUpstream(base, async () => 'sk-test');
const call = () => upstream().forward('/responses', '{"model":"m","input":"ping"}', new AbortController().signal);

describe('a whole upstream answer', () => {
  it('carries the status, the headers (a repeated one joined) and the body as sent', async () => {
    const answer = await call();
    expect(answer).toBeInstanceOf(Response);
    expect(answer.status).toBe(200);
    expect(answer.ok).toBe(true);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-seen')).toBe('a, b');
    expect(answer.bodyUsed).toBe(false);
    expect(await answer.text()).toBe(ANSWER);
    expect(answer.bodyUsed).toBe(true);
  });

  it('is read once, as any Response: a second read is a TypeError', async () => {
    const answer = await call();
    expect(await answer.json()).toEqual(JSON.parse(ANSWER));
    await expect(answer.text()).rejects.toBeInstanceOf(TypeError);
    await expect(answer.arrayBuffer()).rejects.toBeInstanceOf(TypeError);
  });

  it('reads the same bytes through every body method, its stream and a clone', async () => {
    const bytes = Buffer.from(ANSWER);
    expect(Buffer.from(await (await call()).arrayBuffer())).toEqual(bytes);
    expect(Buffer.from(await (await call()).bytes())).toEqual(bytes);
    const blob = await (await call()).blob();
    expect(blob.type).toBe('application/json');
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(bytes);
    const streamed = await call();
    expect(await new Response(streamed.body).text()).toBe(ANSWER);
    expect(streamed.bodyUsed).toBe(true);
    const original = await call();
    const copy = original.clone();
    expect(await original.text()).toBe(ANSWER);
    expect(await copy.text()).toBe(ANSWER);
  });

  it('an answer without a body has none', async () => {
    const empty = await new OpenAiCompatibleUpstream(base, async () => undefined).forward('/empty' as never, '{}', new AbortController().signal);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });
});
