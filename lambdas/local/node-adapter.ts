import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { PRELUDE_DELIMITER } from '../handlers/streaming-runtime';

/**
 * node:http ⇄ Lambda: the local server hands requests to the very handlers that ship, as API
 * Gateway REST proxy events, and plays Lambda's response-stream protocol back onto the socket.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let kept = 0;
  // Keep at most one byte past the limit, so the router can answer 413 without holding an
  // unbounded body; the rest is read and dropped (breaking out would tear down the socket).
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    if (kept > limit) continue;
    const slice = buf.subarray(0, limit + 1 - kept);
    parts.push(slice);
    kept += slice.length;
  }
  return parts.length === 0 ? undefined : Buffer.concat(parts).toString('utf8');
}

export function toProxyEvent(req: IncomingMessage, body: string | undefined): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    resource: url.pathname,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      identity: { sourceIp: req.socket?.remoteAddress ?? '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

export function writeProxyResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  res.writeHead(result.statusCode, result.headers as Record<string, string>);
  res.end(result.body);
}

/**
 * A Lambda response stream backed by a node response: buffers the JSON prelude up to its 8-NUL
 * delimiter, writes the status line and headers from it, then passes body bytes straight through.
 */
export function responseStreamFor(res: ServerResponse): Writable {
  let head: Buffer | undefined = Buffer.alloc(0);
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (head === undefined) {
        res.write(chunk, () => done());
        return;
      }
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf(PRELUDE_DELIMITER);
      if (at < 0) return done();
      const prelude = JSON.parse(head.subarray(0, at).toString('utf8')) as { statusCode: number; headers?: Record<string, string> };
      const rest = head.subarray(at + PRELUDE_DELIMITER.length);
      head = undefined;
      res.writeHead(prelude.statusCode, prelude.headers ?? {});
      res.flushHeaders();
      if (rest.length > 0) res.write(rest, () => done());
      else done();
    },
    final(done) {
      res.end(() => done());
    },
  });
  // The client went away: the handler sees the stream close and stops relaying.
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  return stream;
}
