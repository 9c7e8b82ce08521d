/** The edge's own request/response model: one router serves Lambda proxy events and the local server. */
export interface HttpRequest {
  method: string;
  /** Path from the API root, e.g. `/v1/keys/key_…` (stage prefix removed). */
  path: string;
  query: Record<string, string | undefined>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: string | undefined;
  requestId: string;
  sourceIp?: string;
}

export interface BufferedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface StreamedResponse {
  status: number;
  headers: Record<string, string>;
  stream: AsyncIterable<Uint8Array | string>;
  /** Called once the body has been written out (or the client went away), for settlement. */
  finish?: (outcome: { completed: boolean }) => Promise<void>;
}

export type HttpResponse = BufferedResponse | StreamedResponse;

export function isStreamed(r: HttpResponse): r is StreamedResponse {
  return 'stream' in r;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): BufferedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
