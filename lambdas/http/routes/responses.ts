import { CONTRACT } from '../contract';
import { forward, tokens, type GatewayApi } from '../gateway';
import { defineRoute, type Route } from '../router';

/** The Responses API: usage in the `response` object, and in a stream's `response.completed` (or `.incomplete`, `.failed`). */
const RESPONSES: GatewayApi = {
  upstreamPath: '/responses',
  upstreamBody: (request, model, _streaming, raw) => (model.upstream === request.model ? raw : JSON.stringify({ ...request, model: model.upstream })),
  usageOf: (answer) => responsesUsage((answer as { usage?: unknown } | undefined)?.usage),
  streamUsageOf: (event) => {
    const e = event as { type?: unknown; response?: { usage?: unknown } } | undefined;
    return typeof e?.type === 'string' && /^response\.(completed|incomplete|failed)$/.test(e.type) ? responsesUsage(e.response?.usage) : undefined;
  },
};

/**
 * The Chat Completions API: usage in the `chat.completion`, and in a stream's usage chunk, which
 * the gateway asks for (`stream_options.include_usage`) so a stream is billed by what it used.
 */
const CHAT_COMPLETIONS: GatewayApi = {
  upstreamPath: '/chat/completions',
  upstreamBody: (request, model, streaming, raw) => {
    if (!streaming && model.upstream === request.model) return raw;
    const options = request.stream_options;
    const streamOptions = streaming ? { stream_options: { ...(isObject(options) ? options : {}), include_usage: true } } : {};
    return JSON.stringify({ ...request, model: model.upstream, ...streamOptions });
  },
  usageOf: (answer) => chatUsage((answer as { usage?: unknown } | undefined)?.usage),
  streamUsageOf: (event) => chatUsage((event as { usage?: unknown } | undefined)?.usage),
};

/** The OpenAI-compatible model calls: one gateway pipeline (gateway.ts), two API shapes. */
export const responseRoutes: Route[] = [
  defineRoute(CONTRACT.createResponse, (ctx) => forward(ctx, RESPONSES)),
  defineRoute(CONTRACT.createChatCompletion, (ctx) => forward(ctx, CHAT_COMPLETIONS)),
];

function responsesUsage(usage: unknown) {
  const u = usage as { input_tokens?: unknown; output_tokens?: unknown; total_tokens?: unknown } | undefined;
  return usageFrom(u?.input_tokens, u?.output_tokens, u?.total_tokens);
}

function chatUsage(usage: unknown) {
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } | undefined;
  return usageFrom(u?.prompt_tokens, u?.completion_tokens, u?.total_tokens);
}

function usageFrom(input: unknown, output: unknown, total: unknown) {
  const totalTokens = tokens(total);
  if (totalTokens === undefined) return undefined;
  return { inputTokens: tokens(input) ?? 0, outputTokens: tokens(output) ?? 0, totalTokens };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
