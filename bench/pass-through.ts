import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor of any gateway: a minimal Node pass-through proxy on 127.0.0.1 (no auth, no storage,
 * no billing) in front of the same upstream. Measured side by side with Keywarden in one run, its
 * added latency says what HTTP hop alone costs on this machine (issue 10's yardstick).
 */
export async function startPassThrough(upstreamBase: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstreamBase);
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: `${target.pathname.replace(/\/$/, '')}${req.url}`, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
