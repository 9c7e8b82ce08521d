import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { errorAnswer, errorBody } from '../http/errors';
import { writeProxyResult } from './node-adapter';

/**
 * The one check for a local door that acts with no bearer key and no platform signature — today the
 * Teams endpoint in Bot Framework Emulator mode (no TEAMS_APP_ID). Such a door trusts "this
 * machine", and a browser on this machine is not this machine: any page the developer opens can
 * post to 127.0.0.1 (a `text/plain` or `no-cors` request needs no CORS preflight), and a page on a
 * DNS-rebinding name reaches it as same-origin. So before anything is read or processed, a request
 * to such a door must:
 *
 *   1. name a loopback Host (127.0.0.0/8, ::1 or localhost, with any port): a rebinding page
 *      sends its own name;
 *   2. carry neither `Origin` nor `Sec-Fetch-Site`: browsers add one or both to every request a
 *      page makes, and no page can remove them; the Bot Framework Emulator and other local tools
 *      send neither;
 *   3. be a POST with `Content-Type: application/json`: what a page can send without a preflight
 *      is text/plain, form-encoded or multipart, never JSON.
 *
 * Anything else is answered 4xx in the documented error shape and its body is never read.
 */
export function localDoorRefusal(req: Pick<IncomingMessage, 'method' | 'headers'>): { status: number; body: ReturnType<typeof errorBody> } | undefined {
  const { headers } = req;
  // Codes and types from the documented list (README, Errors); `param` names the header at fault.
  if (!isLoopbackHostHeader(headers.host)) {
    return refusal(403, 'This local endpoint answers only requests addressed to a loopback host (127.0.0.1, ::1 or localhost).', 'permission_error', 'insufficient_permissions', 'host');
  }
  if (headers.origin !== undefined || headers['sec-fetch-site'] !== undefined) {
    const param = headers.origin !== undefined ? 'origin' : 'sec-fetch-site';
    return refusal(403, 'This local endpoint does not take requests from web pages (Origin or Sec-Fetch-Site present).', 'permission_error', 'insufficient_permissions', param);
  }
  if (req.method !== 'POST') return refusal(405, `Method ${req.method} is not allowed here; this endpoint takes POST only.`, 'invalid_request_error', 'invalid_request_error');
  if (mediaType(headers['content-type']) !== 'application/json') {
    return refusal(400, 'This endpoint takes Content-Type: application/json only.', 'invalid_request_error', 'invalid_request_error', 'content-type');
  }
  return undefined;
}

/** Wraps a door's listener so every request goes through localDoorRefusal first. */
export function localOnlyDoor(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const refused = localDoorRefusal(req);
    if (!refused) return listener(req, res);
    // The body is left unread; Node discards it. `connection: close` so nothing of it is taken for a next request.
    writeProxyResult(res, errorAnswer(refused.status, refused.body, { connection: 'close' }));
  };
}

function refusal(status: number, message: string, type: string, code: string, param: string | null = null) {
  return { status, body: errorBody(message, type, code, param) };
}

function mediaType(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim().toLowerCase();
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped, `::ffff:127.…`), or the name `localhost`. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1] ?? bare;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(bare) === 6 && new URL(`http://[${bare}]/`).hostname === '[::1]';
}

/** A Host header (`name[:port]`, `[v6][:port]`) that names a loopback host, with at most a numeric port. */
export function isLoopbackHostHeader(value: string | undefined): boolean {
  if (!value) return false;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return false;
  if (match[2] !== undefined && Number(match[2]) > 65_535) return false;
  return isLoopbackHost(match[1]);
}
