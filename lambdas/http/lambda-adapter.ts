import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Services } from '../services-core';
import type { Route } from './route';
import { mintRequestId } from '../core/ids';
import { createRouter } from './router';
import { isStreamed, type HttpRequest, type HttpResponse } from './types';

/** API Gateway REST proxy event → the edge's request. Header names are lower-cased; `now`: the services' clock. */
export function fromProxyEvent(event: APIGatewayProxyEvent, now: number = Date.now()): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
  // API Gateway keeps the last of a repeated parameter in queryStringParameters; every one is in the multi-value map.
  const queryPairs: Array<[string, string]> = [];
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) for (const value of values ?? []) queryPairs.push([name, value]);
  for (const [name, value] of Object.entries(query)) if (!queryPairs.some(([n, v]) => n === name && v === value)) queryPairs.push([name, value]);
  const body = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    query,
    queryPairs,
    headers,
    body,
    requestId: mintRequestId(arrivalOf(event) ?? now, event.requestContext?.requestId || randomUUID()),
    sourceIp: event.requestContext?.identity?.sourceIp,
  };
}

/** When API Gateway received the request (epoch ms), if the event says so sensibly. */
function arrivalOf(event: APIGatewayProxyEvent): number | undefined {
  const at = event.requestContext?.requestTimeEpoch;
  return typeof at === 'number' && Number.isFinite(at) && at > 0 ? at : undefined;
}

async function collect(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The buffered Lambda: every /v1 route (a stream, if one is asked for here, is collected). A
 * buffered Lambda cannot answer before it returns, so the response's after-work (the usage
 * record) runs first here; the gateway routes are served by the streaming function, which answers
 * first and works after.
 */
export function createApiHandler(services: Services, routes: readonly Route[]): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const api = createRouter(services, routes);
  return async (event) => {
    const response = await api(fromProxyEvent(event, services.clock.now()));
    const body = isStreamed(response) ? await collect(response.stream) : response.body;
    await response.finish?.({ completed: true });
    return { statusCode: response.status, headers: response.headers, body };
  };
}

/**
 * Writes an edge response to a Lambda response stream (prelude, then body as it arrives).
 *
 * A client that stops reading (its receive window held shut) would hold the stream, the upstream
 * behind it and the call's settlement for as long as it likes — in Lambda until the function's
 * timeout kills the invocation, settlement unrun. A client that accepts nothing for `stalledMs` is
 * treated as gone: the connection is closed and the call settles as for any client that left
 * (openai-relay.ts reads the upstream on for its usage). The bound is the upstream's idle bound
 * (UPSTREAM_TIMEOUT_MS): a reader is given as long to take a chunk as the upstream to send one.
 */
export async function writeToResponseStream(response: HttpResponse, responseStream: Writable, stalledMs: number): Promise<void> {
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: response.status, headers: response.headers });
  if (!isStreamed(response)) {
    // Answer first; settlement and the usage record run after the body is on its way.
    out.end(response.body);
    await response.finish?.({ completed: true });
    return;
  }
  let gone = false;
  let finished: Promise<unknown> | undefined;
  const finish = (completed: boolean) => (finished ??= response.finish?.({ completed }) ?? Promise.resolve());
  // The client went away: tell the route now, not at the upstream's next chunk. Its finish reads
  // the upstream on for the call's usage (bounded, openai-relay.ts): leaving never lowers the price.
  // The invocation lasts until it is done, so the function's timeout must leave room for it.
  const markGone = () => {
    gone = true;
    void finish(false);
  };
  out.once('close', markGone);
  out.once('error', markGone);
  let completed = false;
  try {
    for await (const chunk of response.stream) {
      if (gone) break;
      if (!out.write(chunk) && (await drained(out, stalledMs)) === 'stalled') {
        out.destroy();
        markGone();
        break;
      }
    }
    completed = !gone;
  } catch {
    completed = false;
  } finally {
    if (!gone) out.end();
    await finish(completed);
  }
}

/** Waits until the client has taken what was written ('drain'), went away ('close'), or took nothing for `ms`. */
async function drained(out: Writable, ms: number): Promise<'drain' | 'close' | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      once(out, 'drain').then(() => 'drain' as const),
      once(out, 'close').then(() => 'close' as const),
      new Promise<'stalled'>((resolve) => (timer = setTimeout(resolve, ms, 'stalled'))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The streaming Lambda (REST API `STREAM` mode): `awslambda.streamifyResponse` around the same router. */
export function createStreamingHandler(services: Services, routes: readonly Route[]): awslambda.StreamingHandler<APIGatewayProxyEvent> {
  const api = createRouter(services, routes);
  return awslambda.streamifyResponse<APIGatewayProxyEvent>(async (event: APIGatewayProxyEvent, responseStream: Writable, _context: Context) => {
    await writeToResponseStream(await api(fromProxyEvent(event, services.clock.now())), responseStream, services.config.upstreamTimeoutMs);
  });
}
