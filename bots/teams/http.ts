import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readBodyWithin, writeJsonReply } from '../boot/node-door';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TeamsAdapter, TeamsHttpReply } from './adapter';
import type { TurnLogic } from './turn-logic';
import { requestOrigin } from './emulator-guard';

/**
 * The two doors to the one adapter: a node request listener (local server) and an API Gateway
 * REST proxy event (Lambda). Both read the raw body, hand it to TeamsAdapter.handle and write
 * back the status and, for invoke activities, the JSON body.
 */

/** Bot Framework activities are small; attachments arrive as links. */
export const MAX_ACTIVITY_BYTES = 256 * 1024;

export function teamsRequestListener(adapter: TeamsAdapter, logic: TurnLogic, onError: (err: unknown) => void): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const bytes = await readBodyWithin(req, MAX_ACTIVITY_BYTES);
      const origin = requestOrigin(req.socket.remoteAddress, req.headers);
      const body = bytes && bytes.length > 0 ? bytes.toString('utf8') : undefined;
      const reply = bytes === undefined ? { status: 413 } : await adapter.handle({ method: req.method, headers: req.headers, body, origin }, logic);
      writeJsonReply(res, reply);
    })().catch((err: unknown) => {
      onError(err);
      if (!res.headersSent) writeJsonReply(res, { status: 500 });
      else res.destroy();
    });
  };
}

export async function handleProxyEvent(
  adapter: TeamsAdapter,
  logic: TurnLogic,
  event: APIGatewayProxyEvent,
  onError: (err: unknown) => void = () => undefined,
): Promise<APIGatewayProxyResult> {
  const raw = event.body ?? undefined;
  const body = raw !== undefined && event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (body !== undefined && Buffer.byteLength(body) > MAX_ACTIVITY_BYTES) return toProxyResult({ status: 413 });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  try {
    const origin = requestOrigin(event.requestContext?.identity?.sourceIp, headers);
    return toProxyResult(await adapter.handle({ method: event.httpMethod, headers, body, origin }, logic));
  } catch (err) {
    // Errors inside a turn are answered by onTurnError; this is the transport failing around it.
    onError(err);
    return toProxyResult({ status: 500 });
  }
}

function toProxyResult(reply: TeamsHttpReply): APIGatewayProxyResult {
  if (reply.body === undefined) return { statusCode: reply.status, headers: {}, body: '' };
  return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply.body) };
}

