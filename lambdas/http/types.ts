import type { SettlementSeen } from '../core/usage';
/** The edge's own request/response model: one router serves Lambda proxy events and the local server. */
export interface HttpRequest {
  method: string;
  /** Path from the API root, e.g. `/v1/keys/key_…` (stage prefix removed). */
  path: string;
  query: Record<string, string | undefined>;
  /**
   * Every query parameter as sent, repeated ones included (`query` keeps one value of each): what
   * an access log records, so what the key-in-URL check reads.
   */
  queryPairs?: ReadonlyArray<readonly [string, string]>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: string | undefined;
  requestId: string;
  sourceIp?: string;
}

/**
 * Work that runs once the answer has been sent (or the client went away): settlement and the
 * usage record, off the critical path. It says what the call used, for its usage record.
 */
/**
 * The route's after-answer work. `seen`: the after-answer work's watch of the call's settlement
 * (after-answer.ts), handed to a model call's settlement so it may count the call in its key's day.
 */
export type Finish = (outcome: { completed: boolean }, seen?: SettlementSeen) => Promise<CallUsage | void>;

/** What a gateway call used, as its usage record states it. */
export interface CallUsage {
  model?: string;
  /** The upstream deployment that answered (a model with deployments, MODEL_UPSTREAMS); absent otherwise. */
  deployment?: string;
  streamed?: boolean;
  usage?: { inputTokens: number; outputTokens: number; totalTokens: number };
  credits: number;
  /** A write the route's after-work left in flight (a refund); awaited beside the usage record. */
  written?: Promise<void>;
}

export interface BufferedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  finish?: Finish;
}

export interface StreamedResponse {
  status: number;
  headers: Record<string, string>;
  stream: AsyncIterable<Uint8Array | string>;
  finish?: Finish;
}

export type HttpResponse = BufferedResponse | StreamedResponse;

export function isStreamed(r: HttpResponse): r is StreamedResponse {
  return 'stream' in r;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): BufferedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
