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
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multi[name] ??= []).push(value);
  }
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    resource: url.pathname,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multi).length ? multi : null,
    pathParameters: null,
    stageVariables: null,
    body: body ?? null,
    isBase64Encoded: false,
    // No requestTimeEpoch: the handler stamps the request id with the services' clock (tests move
    // it), so the id's time, its usage record's key and the record's `at` are the stack's time.
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
 * delimiter, takes the status and headers from it, then passes body bytes through. Each piece
 * waits one turn of the event loop before it is written: a buffered answer's body then leaves with
 * its headers and its end in one write (with a Content-Length), while a stream's headers and
 * chunks still leave as they come.
 */
export function responseStreamFor(res: ServerResponse): Writable {
  let head: Buffer | undefined = Buffer.alloc(0);
  let pending: Buffer | undefined;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (res.writableEnded || res.destroyed) return;
    if (pending) {
      const chunk = pending;
      pending = undefined;
      res.write(chunk);
    } else if (!res.headersSent) res.flushHeaders();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  /** Holds `chunk` for the next turn, writing what was held before; waits while the client is slow. */
  const hold = (chunk: Buffer | undefined, done: () => void) => {
    if (pending && chunk) res.write(pending);
    if (chunk) pending = chunk;
    schedule();
    if (!res.writableNeedDrain) return done();
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      done();
    };
    res.on('drain', go);
    res.on('close', go);
  };
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (head === undefined) return hold(chunk, done);
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf(PRELUDE_DELIMITER);
      if (at < 0) return done();
      const prelude = JSON.parse(head.subarray(0, at).toString('utf8')) as { statusCode: number; headers?: Record<string, string> };
      const rest = head.subarray(at + PRELUDE_DELIMITER.length);
      head = undefined;
      res.statusCode = prelude.statusCode;
      for (const [name, value] of Object.entries(prelude.headers ?? {})) res.setHeader(name, value);
      hold(rest.length > 0 ? rest : undefined, done);
    },
    final(done) {
      const last = pending;
      pending = undefined;
      if (last) res.end(last, () => done());
      else res.end(() => done());
    },
    // The handler gave up on the client (it stopped reading): the connection goes too.
    destroy(err, done) {
      if (!res.writableFinished) res.destroy();
      done(err);
    },
  });
  // The client went away: the handler sees the stream close and stops relaying.
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  return stream;
}
