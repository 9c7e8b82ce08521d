import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook endpoint stand-in on 127.0.0.1 (the stack must run with
 * KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK=1 to send to it): it answers 204 and keeps every request —
 * path, headers and the raw body, exactly as signed — for the test to verify and read.
 */
export interface ReceivedDelivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The body parsed: the lifecycle event (core/events.ts LifecycleEvent). */
  event: { id: string; type: string; timestamp: string; data: Record<string, any> };
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`: add a path to tell endpoints apart. */
  url: string;
  received: ReceivedDelivery[];
  /** Resolves with the first delivery (at `path`, if given) that matches, polling up to `timeoutMs`. */
  waitFor(match: (d: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let event: ReceivedDelivery['event'];
    try {
      event = JSON.parse(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    received.push({ path: req.url ?? '/', headers: flat(req.headers), body, event });
    res.writeHead(204).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async waitFor(match, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > end) throw new Error(`no matching webhook delivery within ${timeoutMs} ms (received: ${received.map((d) => `${d.path} ${d.event.type}`).join(', ') || 'none'})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
