import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in OpenAI-compatible upstream on 127.0.0.1: records every request byte for byte and
 * answers through a replaceable handler (a fixed Responses JSON by default). Tests and the bench
 * point the gateway at it with UPSTREAM_BASE_URL=<baseUrl>.
 */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** performance.now() when the body had fully arrived. */
  receivedAt: number;
}

export type UpstreamHandler = (req: UpstreamRequest, res: ServerResponse) => unknown;

export interface StandInUpstream {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  requests: UpstreamRequest[];
  /** Emits `request` (UpstreamRequest) as each request's body has arrived, `closed` as each answer's connection ends. */
  events: EventEmitter;
  /** Replaces the handler; `reset()` restores the default. */
  handle(handler: UpstreamHandler): void;
  reset(): void;
  close(): Promise<void>;
}

/** A completed Responses API object, the shape the official SDK parses. */
export function fixedResponse(options: { usage?: { input_tokens: number; output_tokens: number } | null; text?: string } = {}) {
  const text = options.text ?? 'Stand-in upstream answer.';
  const usage =
    options.usage === null
      ? undefined
      : (() => {
          const u = options.usage ?? { input_tokens: 12, output_tokens: 8 };
          return {
            input_tokens: u.input_tokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: u.output_tokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: u.input_tokens + u.output_tokens,
          };
        })();
  return {
    id: 'resp_standin0001',
    object: 'response',
    created_at: 1_735_689_600,
    status: 'completed',
    model: 'archibot',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    metadata: {},
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: null,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    user: null,
    output: [
      {
        id: 'msg_standin0001',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** One server-sent event in the Responses streaming format. */
export function sse(event: Record<string, unknown> & { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

const FIXED_BODY = JSON.stringify(fixedResponse());

export const answerFixed: UpstreamHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(FIXED_BODY) });
  res.end(FIXED_BODY);
};

/**
 * The fixed answer with a response id of its own each time, as a real upstream mints them: what
 * the benches use, since the gateway records each relayed id's owner (one item per id) — the
 * same id on every answer would make that one item the hottest in the table.
 */
let answered = 0;
export const answerUnique: UpstreamHandler = (_req, res) => {
  const body = FIXED_BODY.replace('"resp_standin0001"', `"resp_standin${(++answered).toString(36).padStart(8, '0')}"`);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

export async function startStandInUpstream(initial: UpstreamHandler = answerFixed): Promise<StandInUpstream> {
  let handler = initial;
  const requests: UpstreamRequest[] = [];
  const events = new EventEmitter();
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const recorded: UpstreamRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
        receivedAt: performance.now(),
      };
      requests.push(recorded);
      open.add(res);
      res.once('close', () => {
        open.delete(res);
        events.emit('closed', recorded);
      });
      events.emit('request', recorded);
      Promise.resolve(handler(recorded, res)).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    events,
    handle(next) {
      handler = next;
    },
    reset() {
      handler = initial;
    },
    async close() {
      for (const res of open) res.destroy();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
