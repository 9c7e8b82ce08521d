import { HttpError } from './errors';

/** A JSON body (a missing or blank one counts as `{}`); `__proto__` anywhere is refused. */
export function parseJsonBody(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return {};
  try {
    return JSON.parse(raw, refuseProtoKey);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'invalid_request_error', 'The request body is not valid JSON.');
  }
}

/** `__proto__` is never a field of ours; validators would silently drop it, so it is refused outright. */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new HttpError(400, 'invalid_request_error', 'The request body uses the reserved name __proto__.');
  return value;
}
