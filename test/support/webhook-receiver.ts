import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * A webhook endpoint on 127.0.0.1 (the stand-in for a customer's receiver): records every
 * request, answers `answer(n)` to the n-th (0-based; default 204).
 */
export async function startReceiver(answer: (n: number) => number = () => 204, options: { location?: string } = {}) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(received.length);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, options.location ? { location: options.location } : {});
      res.end(status >= 400 ? 'no' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    /** The events received (verified with `secret` per the Standard Webhooks specification), first delivery of each id. */
    verified(secret: string): Array<{ id: string; type: string; timestamp: string; data: any }> {
      const wh = new Webhook(secret);
      const seen = new Set<string>();
      const out: Array<{ id: string; type: string; timestamp: string; data: any }> = [];
      for (const r of received) {
        if (r.status >= 300) continue;
        const event = wh.verify(r.body, r.headers as Record<string, string>) as { id: string; type: string; timestamp: string; data: any };
        if (!seen.has(event.id)) out.push(event);
        seen.add(event.id);
      }
      return out;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
