import { KeywardenError } from '../core/errors';
import type { HttpResponse } from './types';

/**
 * What the caller gets when the upstream answered an error, for a model call and for a stored
 * response's routes alike: the caller's own mistake (a 4xx other than 401, 403, 429, in OpenAI's
 * error shape) relayed as the upstream wrote it; the upstream's own troubles mapped — busy (429)
 * to a 503 with Retry-After, anything else to a 502 naming only its status.
 */
export function upstreamRejection(status: number, body: string): HttpResponse {
  if (status >= 400 && status < 500 && ![401, 403, 429].includes(status) && isErrorShape(body)) {
    return { status, headers: { 'content-type': 'application/json' }, body };
  }
  if (status === 429) throw new KeywardenError('service_unavailable', 'The model is busy; retry shortly.', { retryAfterSeconds: 5 });
  throw new KeywardenError('upstream_error', `The model service answered ${status}.`);
}

function isErrorShape(text: string): boolean {
  try {
    const value = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof value?.error?.message === 'string';
  } catch {
    return false;
  }
}
