import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { SecretsProvider, StoredResponseCall, Upstream, UpstreamPath } from '../core/ports';

/**
 * Calls the upstream over `node:http(s)` with a keep-alive agent (connections reused across
 * requests and Lambda invocations), and hands the answer back as a web `Response`: streaming as
 * the upstream sends it when a stream was asked for, else read whole over the node stream first
 * (a web stream costs more CPU than the answer it carries). A test may pass its own `fetch` instead.
 */
export class OpenAiCompatibleUpstream implements Upstream {
  readonly label = 'upstream';
  private readonly base: URL;
  private readonly agent: HttpAgent;

  constructor(
    baseUrl: string,
    private readonly secrets: SecretsProvider,
    private readonly fetchImpl?: typeof fetch,
  ) {
    this.base = new URL(baseUrl.replace(/\/+$/, ''));
    const options = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const };
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  forward(path: UpstreamPath, body: string, signal: AbortSignal, options: { stream?: boolean } = {}): Promise<Response> {
    return this.send('POST', path, body, signal, options.stream === true);
  }

  /**
   * OpenAI's stored response calls: `GET|DELETE /responses/<id>`, `POST /responses/<id>/cancel`,
   * `GET /responses/<id>/input_items`. The id and the query were validated by the caller (plain
   * tokens), and are encoded again here all the same.
   */
  stored(call: StoredResponseCall, signal: AbortSignal): Promise<Response> {
    const base = `/responses/${encodeURIComponent(call.id)}`;
    const [method, path] =
      call.action === 'delete' ? (['DELETE', base] as const) : call.action === 'cancel' ? (['POST', `${base}/cancel`] as const) : (['GET', call.action === 'input_items' ? `${base}/input_items` : base] as const);
    const query = new URLSearchParams(call.query?.map(([name, value]) => [name, value]) ?? []).toString();
    return this.send(method, query ? `${path}?${query}` : path, undefined, signal, call.stream === true);
  }

  private async send(method: 'GET' | 'POST' | 'DELETE', path: string, body: string | undefined, signal: AbortSignal, stream: boolean): Promise<Response> {
    const { apiKey } = await this.secrets.get<{ apiKey?: string }>('upstream');
    const headers: Record<string, string> = {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      accept: 'application/json, text/event-stream',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
    const url = `${this.base.href}${path}`;
    if (this.fetchImpl) return this.fetchImpl(url, { method, headers, ...(body === undefined ? {} : { body }), signal });
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const length = body === undefined ? (method === 'GET' ? {} : { 'content-length': '0' }) : { 'content-length': String(Buffer.byteLength(body)) };
      const req = send(url, { method, agent: this.agent, headers: { ...headers, ...length }, signal }, (res: IncomingMessage) => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const status = res.statusCode ?? 502;
        // A status a Response cannot carry is an upstream failure, not a crash.
        if (status < 200 || status > 599) {
          res.destroy();
          resolve(new Response(null, { status: 502 }));
          return;
        }
        if (status === 204 || status === 304) {
          res.resume();
          resolve(new Response(null, { status, headers: answer }));
        } else if (stream) {
          resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers: answer }));
        } else {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => resolve(new Response(Buffer.concat(chunks), { status, headers: answer })));
          res.once('error', reject);
          res.once('aborted', () => reject(new Error('The upstream closed the answer early.')));
        }
      });
      req.once('error', reject);
      req.end(body);
    });
  }
}
