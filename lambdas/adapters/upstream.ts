import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { upstreamUrlProblem } from '../core/models';
import type { ConversationCall, SecretsProvider, StoredResponseCall, Upstream, UpstreamPath } from '../core/ports';

/** Where an upstream's key comes from, asked on every call (the source caches): undefined sends none. */
export type ApiKeySource = () => Promise<string | undefined>;

/** The upstream sent no status line and headers within the attempt's first-byte time. */
export class FirstByteTimeout extends Error {
  override name = 'FirstByteTimeout';
}

/** Options of one call: a stream asked for; how long its first byte (the headers) may take. */
export interface ForwardOptions {
  stream?: boolean;
  /** Unset: as long as the call's signal allows. */
  firstByteMs?: number;
}

/**
 * Calls the upstream over `node:http(s)` with a keep-alive agent (connections reused across
 * requests and Lambda invocations), and hands the answer back as a web `Response`: streaming as
 * the upstream sends it when a stream was asked for, else read whole over the node stream first
 * (a web stream costs more CPU than the answer it carries). A test may pass its own `fetch` instead.
 * Its base URL passes the one upstream URL check (upstreamUrlProblem) or it is not built: the
 * single upstream and every deployment of a model (upstream-deployments.ts) are built here.
 * Its key: the platform's `upstream` secret, or a deployment's own source.
 */
export class OpenAiCompatibleUpstream implements Upstream {
  readonly label = 'upstream';
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly apiKey: ApiKeySource;

  constructor(
    baseUrl: string,
    key: SecretsProvider | ApiKeySource,
    private readonly fetchImpl?: typeof fetch,
  ) {
    const problem = upstreamUrlProblem(baseUrl);
    if (problem) throw new Error(`upstream base URL: ${problem}`);
    this.base = new URL(baseUrl.replace(/\/+$/, ''));
    this.apiKey = typeof key === 'function' ? key : async () => (await key.get<{ apiKey?: string }>('upstream')).apiKey;
    const options = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const };
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  forward(path: UpstreamPath, body: string, signal: AbortSignal, options: ForwardOptions = {}): Promise<Response> {
    return this.send('POST', path, body, signal, options.stream === true, options.firstByteMs);
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

  /** OpenAI's Conversations API: `/conversations[/<id>[/items[/<item>]]]`; ids validated by the caller, encoded again here. */
  conversations(call: ConversationCall, signal: AbortSignal): Promise<Response> {
    const parts = ['conversations', call.id, call.items === undefined ? undefined : 'items', typeof call.items === 'string' ? call.items : undefined];
    const path = `/${parts.filter((p): p is string => p !== undefined).map(encodeURIComponent).join('/')}`;
    const query = new URLSearchParams(call.query?.map(([name, value]) => [name, value]) ?? []).toString();
    return this.send(call.method, query ? `${path}?${query}` : path, call.body, signal, false);
  }

  private async send(method: 'GET' | 'POST' | 'DELETE', path: string, body: string | undefined, signal: AbortSignal, stream: boolean, firstByteMs?: number): Promise<Response> {
    const apiKey = await this.apiKey();
    const headers: Record<string, string> = {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      accept: 'application/json, text/event-stream',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
    const url = `${this.base.href}${path}`;
    if (this.fetchImpl) return this.fetchFirstByte(url, { method, headers, ...(body === undefined ? {} : { body }) }, signal, firstByteMs);
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const length = body === undefined ? (method === 'GET' ? {} : { 'content-length': '0' }) : { 'content-length': String(Buffer.byteLength(body)) };
      // No status line within the first-byte time: the attempt is over (the caller may try another deployment).
      const firstByte = firstByteMs === undefined ? undefined : setTimeout(() => req.destroy(new FirstByteTimeout()), firstByteMs);
      const req = send(url, { method, agent: this.agent, headers: { ...headers, ...length }, signal }, (res: IncomingMessage) => {
        clearTimeout(firstByte);
        const answer: Array<[string, string]> = [];
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answer.push([name, Array.isArray(value) ? value.join(', ') : value]);
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
          res.once('end', () => resolve(new ReadAnswer(Buffer.concat(chunks), { status, headers: answer })));
          res.once('error', reject);
          res.once('aborted', () => reject(new Error('The upstream closed the answer early.')));
        }
      });
      req.once('error', (err) => {
        clearTimeout(firstByte);
        reject(err);
      });
      req.end(body);
    });
  }

  /** A test's `fetch`, with the same first-byte bound (fetch resolves at the headers). */
  private async fetchFirstByte(url: string, init: RequestInit, signal: AbortSignal, firstByteMs: number | undefined): Promise<Response> {
    if (firstByteMs === undefined) return this.fetchImpl!(url, { ...init, signal });
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(new FirstByteTimeout()), firstByteMs);
    try {
      return await this.fetchImpl!(url, { ...init, signal: AbortSignal.any([signal, attempt.signal]) });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A whole answer already read off the socket, as a `Response`: its body methods answer from the
 * bytes held, and a web stream is made only if `body` itself is asked for. Built the ordinary way
 * (`new Response(bytes)`), every answer paid for a web stream and a copy of its bytes, and its
 * `text()` for reading that stream back: ≈ 80 µs of the main thread per model call, profiled,
 * against ≈ 8 µs. One read, as for any Response: a second is a TypeError.
 */
export class ReadAnswer extends Response {
  #bytes: Buffer | undefined;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;

  constructor(bytes: Buffer, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream === null && this.#bytes !== undefined) {
      const bytes = this.#taken();
      this.#stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        start(controller) {
          if (bytes.length > 0) controller.enqueue(new Uint8Array(bytes));
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  override get bodyUsed(): boolean {
    return this.#bytes === undefined;
  }

  override async text(): Promise<string> {
    return this.#taken().toString('utf8');
  }

  override async json(): Promise<unknown> {
    return JSON.parse(this.#taken().toString('utf8'));
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#taken();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(this.#taken());
  }

  override async blob(): Promise<Blob> {
    return new Blob([new Uint8Array(this.#taken())], { type: this.headers.get('content-type') ?? '' });
  }

  /** Rare enough for the general path: an ordinary Response over the same bytes. */
  override async formData(): Promise<FormData> {
    return new Response(new Uint8Array(this.#taken()), { headers: this.headers }).formData();
  }

  override clone(): Response {
    if (this.#bytes === undefined) throw new TypeError('Response.clone: Body has already been consumed.');
    return new ReadAnswer(Buffer.from(this.#bytes), { status: this.status, statusText: this.statusText, headers: this.headers });
  }

  #taken(): Buffer {
    const bytes = this.#bytes;
    if (bytes === undefined) throw new TypeError('Body is unusable: Body has already been read');
    this.#bytes = undefined;
    return bytes;
  }
}
