import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A DynamoDB fault proxy on 127.0.0.1: forwards JSON-protocol requests (`X-Amz-Target`) to an
 * upstream endpoint, and per request does what a policy picks — the failures a real store cannot
 * be made to show on cue (issue 23 point 4):
 *
 *   forward      pass the request on, the answer back
 *   drop-answer  pass it on, let the write land (the upstream's whole answer is read), then never
 *                deliver the answer: the client's socket is destroyed (`drop: 'reset'`, default)
 *                or left open and silent until the client gives up (`drop: 'silence'`) — what a
 *                client sees when a network path dies after DynamoDB applied its write
 *   fail-before  answer 500 InternalServerError without forwarding: nothing landed
 *   throttle     answer 400 ThrottlingException without forwarding, as DynamoDB does when a
 *                partition is over its limits: nothing landed
 *
 * The policy sees the target's operation name (`PutItem`, from `DynamoDB_20120810.PutItem`), the
 * request's JSON text and `n`, this operation's 1-based count. `counts` keeps, per operation, how
 * many requests came in and what became of them — `forwarded` is how often the store saw it.
 */
export type FaultDecision = 'forward' | 'drop-answer' | 'fail-before' | 'throttle';
export type FaultPolicy = (target: string, body: string, n: number) => FaultDecision;

export interface FaultCounts {
  received: number;
  forwarded: number;
  dropped: number;
  failed: number;
}

export interface DynamoFaultProxy {
  endpoint: string;
  /** Per operation (`PutItem`, `UpdateItem` …). */
  counts: Record<string, FaultCounts>;
  /** Replaces the policy (tests change it between phases). */
  setPolicy(policy: FaultPolicy): void;
  close(): Promise<void>;
}

export const forwardAll: FaultPolicy = () => 'forward';

/** How long the proxy waits on its upstream before giving the client a 500 (never forever). */
const UPSTREAM_TIMEOUT_MS = 10_000;

export async function startDynamoFaultProxy(options: { upstream: string; policy?: FaultPolicy; drop?: 'reset' | 'silence' }): Promise<DynamoFaultProxy> {
  const upstream = new URL(options.upstream);
  let policy = options.policy ?? forwardAll;
  const counts: Record<string, FaultCounts> = {};
  const countsFor = (target: string) => (counts[target] ??= { received: 0, forwarded: 0, dropped: 0, failed: 0 });

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const target = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const count = countsFor(target);
      count.received += 1;
      const decision = policy(target, body.toString('utf8'), count.received);
      if (decision === 'fail-before' || decision === 'throttle') {
        count.failed += 1;
        return decision === 'throttle'
          ? answerError(res, 400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException', 'Rate of requests exceeds the allowed throughput.')
          : answerError(res, 500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error (injected).');
      }
      forward(req, body, (status, headers, answer) => {
        count.forwarded += 1;
        if (decision === 'drop-answer') {
          count.dropped += 1;
          // The write has landed: the upstream answered in full. The client learns nothing of it.
          if ((options.drop ?? 'reset') === 'reset') req.socket.destroy();
          return;
        }
        res.writeHead(status, headers);
        res.end(answer);
      }, () => answerError(res, 500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'The upstream store did not answer.'));
    });
  });

  /** Sends the request upstream and reads its whole answer before `done` decides what the client gets. */
  function forward(req: IncomingMessage, body: Buffer, done: (status: number, headers: Record<string, string | string[] | undefined>, answer: Buffer) => void, failed: () => void) {
    const out = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, timeout: UPSTREAM_TIMEOUT_MS },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => done(answer.statusCode ?? 500, answer.headers, Buffer.concat(chunks)));
        answer.on('error', failed);
      },
    );
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', failed);
    out.end(body);
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    setPolicy(next) {
      policy = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** An error in DynamoDB's JSON-protocol shape, which the SDK reads into its named exception. */
function answerError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'fault-proxy' });
  res.end(body);
}
