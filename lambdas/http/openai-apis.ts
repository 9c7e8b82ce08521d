import type { TokenUsage } from '../core/model-call';
import type { CatalogModel } from '../core/models';
import type { OwnedKind, UpstreamPath } from '../core/ports';

/**
 * An id the upstream mints for an object it stores (`resp_…`, `conv_…`): what the gateway records
 * an owner for and accepts in a path or a request field. Nothing else is looked up or passed on.
 */
export const UPSTREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** An upstream object a request names or an answer carries. */
export interface OwnedRef {
  kind: OwnedKind;
  id: string;
}

/**
 * One OpenAI API the gateway serves: where it goes upstream, how the request is adjusted for the
 * upstream, and where its answers report usage. Every API shares one relay (openai-relay.ts).
 */
export interface GatewayApi {
  upstreamPath: UpstreamPath;
  /**
   * Whether `stream: true` streams. An API that never streams (embeddings) is called for a whole
   * answer whatever the body says, so its answer is always billed by the usage it reports.
   */
  streams: boolean;
  /**
   * The body the upstream receives: always serialized from the validated request (never the
   * caller's raw bytes, whose duplicate keys another parser may read otherwise), with the mapped
   * model name and whatever billing needs.
   */
  upstreamBody(request: Record<string, unknown>, model: CatalogModel, streaming: boolean): string;
  /** Usage in a complete JSON answer. */
  usageOf(answer: unknown): TokenUsage | undefined;
  /** Usage in one event of a stream (its parsed `data:`). */
  streamUsageOf(event: unknown): TokenUsage | undefined;
  /** The generated text one event of a stream carries (its deltas), for the estimate when no usage arrives. */
  streamTextOf(event: unknown): string[];
  /**
   * Stored objects of another call the request continues (`previous_response_id`, `conversation`):
   * each must be the caller's project's before the upstream is called.
   */
  namedIn?(request: Record<string, unknown>): OwnedRef[];
  /** Stored objects a whole answer carries (its response id, its conversation): recorded as the caller's project's. */
  ownedIn?(answer: unknown): OwnedRef[];
  /** The same, in one event of a stream. */
  streamOwnedIn?(event: unknown): OwnedRef[];
}

/**
 * The Responses API: usage in the `response` object, and in a stream's `response.completed` (or
 * `.incomplete`, `.failed`); generated text in its `*.delta` events.
 */
export const RESPONSES: GatewayApi = {
  upstreamPath: '/responses',
  streams: true,
  upstreamBody: (request, model) => JSON.stringify({ ...request, model: model.upstream }),
  usageOf: (answer) => responsesUsage((answer as { usage?: unknown } | undefined)?.usage),
  streamUsageOf: (event) => {
    const e = event as { type?: unknown; response?: { usage?: unknown } } | undefined;
    return typeof e?.type === 'string' && /^response\.(completed|incomplete|failed)$/.test(e.type) ? responsesUsage(e.response?.usage) : undefined;
  },
  streamTextOf: (event) => {
    const e = event as { type?: unknown; delta?: unknown } | undefined;
    return typeof e?.type === 'string' && e.type.endsWith('.delta') && typeof e.delta === 'string' ? [e.delta] : [];
  },
  namedIn: (request) => [...refs('response', request.previous_response_id), ...refs('conversation', conversationId(request.conversation))],
  ownedIn: (answer) => responseRefs(answer),
  streamOwnedIn: (event) => {
    const e = event as { type?: unknown; response?: unknown } | undefined;
    // Every lifecycle event (`response.created`, `.queued`, `.in_progress`, `.completed`, …) carries the response.
    return typeof e?.type === 'string' && e.type.startsWith('response.') && isObject(e.response) ? responseRefs(e.response) : [];
  },
};

/** A response object's own id and its conversation's, when it is one. */
function responseRefs(answer: unknown): OwnedRef[] {
  if (!isObject(answer) || answer.object !== 'response') return [];
  return [...refs('response', answer.id), ...refs('conversation', conversationId(answer.conversation))];
}

/** `conversation` is an id, or an object with one. */
function conversationId(value: unknown): unknown {
  return isObject(value) ? value.id : value;
}

function refs(kind: OwnedKind, id: unknown): OwnedRef[] {
  return typeof id === 'string' && UPSTREAM_ID_PATTERN.test(id) ? [{ kind, id }] : [];
}

/**
 * The Chat Completions API: usage in the `chat.completion`, and in a stream's usage chunk, which
 * the gateway asks for (`stream_options.include_usage`) so a stream is billed by what it used;
 * generated text in each chunk's `choices[].delta`.
 */
export const CHAT_COMPLETIONS: GatewayApi = {
  upstreamPath: '/chat/completions',
  streams: true,
  upstreamBody: (request, model, streaming) => {
    const options = request.stream_options;
    const streamOptions = streaming ? { stream_options: { ...(isObject(options) ? options : {}), include_usage: true } } : {};
    return JSON.stringify({ ...request, model: model.upstream, ...streamOptions });
  },
  usageOf: (answer) => chatUsage((answer as { usage?: unknown } | undefined)?.usage),
  streamUsageOf: (event) => chatUsage((event as { usage?: unknown } | undefined)?.usage),
  streamTextOf: (event) => {
    const choices = (event as { choices?: unknown } | undefined)?.choices;
    if (!Array.isArray(choices)) return [];
    return choices.flatMap((choice) => chatDeltaText((choice as { delta?: unknown } | undefined)?.delta));
  },
};

/**
 * The Embeddings API: never streamed, so a `stream` flag (or its options) is not sent on — the
 * upstream answers whole, as the gateway asks for; usage in the list's `usage` (`prompt_tokens`,
 * `total_tokens`: no output tokens).
 */
export const EMBEDDINGS: GatewayApi = {
  upstreamPath: '/embeddings',
  streams: false,
  upstreamBody: (request, model) => {
    const { stream: _stream, stream_options: _options, ...rest } = request;
    return JSON.stringify({ ...rest, model: model.upstream });
  },
  usageOf: (answer) => chatUsage((answer as { usage?: unknown } | undefined)?.usage),
  streamUsageOf: () => undefined,
  streamTextOf: () => [],
};

/** The text a chat delta carries: content, refusal, reasoning, and tool-call names and arguments. */
function chatDeltaText(delta: unknown): string[] {
  if (!isObject(delta)) return [];
  const texts = [delta.content, delta.refusal, delta.reasoning_content, delta.reasoning];
  const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
  for (const call of [...calls, delta.function_call]) {
    const fn = isObject(call) && isObject(call.function) ? call.function : call;
    if (isObject(fn)) texts.push(fn.name, fn.arguments);
  }
  return texts.filter((text): text is string => typeof text === 'string');
}

function responsesUsage(usage: unknown) {
  const u = usage as { input_tokens?: unknown; output_tokens?: unknown; total_tokens?: unknown; input_tokens_details?: { cached_tokens?: unknown } } | undefined;
  return usageFrom(u?.input_tokens, u?.output_tokens, u?.total_tokens, u?.input_tokens_details?.cached_tokens);
}

function chatUsage(usage: unknown) {
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } } | undefined;
  return usageFrom(u?.prompt_tokens, u?.completion_tokens, u?.total_tokens, u?.prompt_tokens_details?.cached_tokens);
}

/** Cached input tokens (part of the input; a model may price them lower) are kept only when there are some. */
function usageFrom(input: unknown, output: unknown, total: unknown, cached?: unknown): TokenUsage | undefined {
  const totalTokens = tokens(total);
  if (totalTokens === undefined) return undefined;
  const cachedInputTokens = tokens(cached);
  return { inputTokens: tokens(input) ?? 0, outputTokens: tokens(output) ?? 0, totalTokens, ...(cachedInputTokens ? { cachedInputTokens } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative whole token count, or undefined. */
export function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}
