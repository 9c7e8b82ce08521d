import { randomBytes } from 'node:crypto';
import { redactKeys } from '../core/redact-keys';
import { embeddingsAnswer } from './local-embeddings';
import { LocalConversations } from './local-conversations';
import { LocalStoredResponses } from './local-stored-responses';
import { sampleFromSchema, withinDepth } from './schema-sample';
import type { ConversationCall, StoredResponseCall, Upstream, UpstreamPath } from '../core/ports';

/**
 * The clearly labelled offline model used when no upstream is configured. It answers Responses API
 * requests in the exact shape and streams the events in order, with sequence_number, so the
 * official SDK's strict `responses.stream()` helper accepts it. It does not think: it says what it
 * is and echoes the question.
 *
 * What it echoes never carries a key (SPEC §4: no response echoes a submitted key): every answer
 * is serialized through `redactKeys`, and the question is redacted before it is cut into stream
 * deltas, so no key can be split across two of them. And whatever the request nests, the model
 * never throws: it walks `input` without recursion and echoes a request field (instructions,
 * metadata, tools, …) only when it nests at most MAX_ECHO_DEPTH levels, else the field's default.
 *
 * Clients that parse what a model says work offline too: asked for structured output
 * (`response_format` / `text.format`: `json_schema` or `json_object`), it answers JSON that fits the
 * schema, its strings carrying the labelled text (schema-sample.ts); made to call a function
 * (`tool_choice` `required` or a named function), it calls it with arguments that fit the
 * function's parameters. Otherwise it answers text, tools or not.
 *
 * Asked for embeddings, it answers deterministic unit vectors of the model's size, floats or
 * base64 (local-embeddings.ts), whatever model of the catalog is named.
 *
 * It keeps the responses it answers with `store` on (the default) for retrieve, delete, cancel and
 * input items, and serves `background: true` — `queued` at once, `completed` a moment later
 * (local-stored-responses.ts). It keeps conversations too, and a response that names one appends
 * its turn to it (local-conversations.ts).
 */
/** How long the local model's background responses take (a client polls and sees `in_progress` first). */
export const LOCAL_BACKGROUND_MS = 300;

export const LOCAL_MODEL_LABEL = 'Keywarden local model (offline stand-in; set UPSTREAM_BASE_URL for real answers)';

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * The last user text in a Responses `input` or a Chat Completions `messages` list (a string or a
 * list of messages / content parts).
 */
export function lastUserText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: string; content?: unknown };
    if (item?.role && item.role !== 'user') continue;
    if (typeof item?.content === 'string') return item.content;
    if (Array.isArray(item?.content)) {
      const texts = item.content
        .map((p: { type?: string; text?: unknown }) => (typeof p?.text === 'string' ? p.text : ''))
        .filter(Boolean);
      if (texts.length > 0) return texts.join('\n');
    }
  }
  return '';
}

/** Deepest request field the model echoes back; deeper ones would overflow JSON.stringify. */
export const MAX_ECHO_DEPTH = 32;

/** A request field echoed in the response: itself when present and shallow enough, else `fallback`. */
function echo(value: unknown, fallback: unknown): unknown {
  return value !== undefined && value !== null && withinDepth(value, MAX_ECHO_DEPTH) ? value : fallback;
}

/** The one serializer of everything the local model answers. */
function encode(value: unknown): string {
  return redactKeys(JSON.stringify(value));
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export class LocalModel implements Upstream {
  readonly label = 'local-model';

  private readonly storedResponses: LocalStoredResponses;
  private readonly kept = new LocalConversations();

  constructor(
    private readonly modelId: string,
    /** How long a background response takes to complete. */
    options: { backgroundMs?: number } = {},
  ) {
    this.storedResponses = new LocalStoredResponses(options.backgroundMs ?? LOCAL_BACKGROUND_MS);
  }

  async stored(call: StoredResponseCall, _signal?: AbortSignal): Promise<Response> {
    return this.storedResponses.call(call);
  }

  async conversations(call: ConversationCall, _signal?: AbortSignal): Promise<Response> {
    return this.kept.call(call);
  }

  async forward(path: UpstreamPath, body: string): Promise<Response> {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return Response.json({ error: { message: 'Invalid JSON body.', type: 'invalid_request_error', code: null, param: null } }, { status: 400 });
    }
    if (!request || typeof request !== 'object' || Array.isArray(request)) {
      return Response.json({ error: { message: 'The request body must be a JSON object.', type: 'invalid_request_error', code: null, param: null } }, { status: 400 });
    }
    if (path === '/embeddings') return embeddingsAnswer(request, this.modelId);
    // Redacted before it is cut: a key straddling the cut would otherwise leave most of itself.
    const question = redactKeys(lastUserText(path === '/chat/completions' ? request.messages : request.input)).slice(0, 2000);
    const said = `[${LOCAL_MODEL_LABEL}] You asked: ${question || '(no text input)'}`;
    const answer = answerFor(request, path, said);
    return path === '/chat/completions' ? this.chatCompletion(request, question, answer) : this.response(request, question, answer);
  }

  /** The Responses API answer (`response` object, or its event stream with sequence numbers). */
  private response(request: Record<string, unknown>, question: string, answer: Answer): Response {
    const conversation = isObject(request.conversation) ? request.conversation.id : request.conversation;
    if (conversation !== undefined && conversation !== null && (typeof conversation !== 'string' || !this.kept.has(conversation))) {
      return Response.json({ error: { message: `Conversation with id '${typeof conversation === 'string' ? redactKeys(conversation) : ''}' not found.`, type: 'invalid_request_error', param: 'conversation', code: null } }, { status: 404 });
    }
    const created = Math.floor(Date.now() / 1000);
    const respId = id('resp');
    const msgId = id('msg');
    const said = answer.kind === 'text' ? answer.text : answer.arguments;
    const usage = {
      input_tokens: words(question),
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: words(said),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: words(question) + words(said),
    };
    const base = {
      id: respId,
      object: 'response',
      created_at: created,
      model: typeof request.model === 'string' ? request.model : this.modelId,
      error: null,
      incomplete_details: null,
      instructions: echo(request.instructions, null),
      max_output_tokens: echo(request.max_output_tokens, null),
      metadata: echo(request.metadata, {}),
      parallel_tool_calls: echo(request.parallel_tool_calls, true),
      previous_response_id: echo(request.previous_response_id, null),
      reasoning: echo(request.reasoning, null),
      temperature: echo(request.temperature, 1),
      text: echo(request.text, { format: { type: 'text' } }),
      tool_choice: echo(request.tool_choice, 'auto'),
      tools: echo(request.tools, []),
      top_p: echo(request.top_p, 1),
      truncation: echo(request.truncation, 'disabled'),
      user: echo(request.user, null),
      background: request.background === true,
      store: request.store !== false,
      ...(typeof conversation === 'string' ? { conversation: { id: conversation } } : {}),
    };
    const inProgress = { ...base, status: 'in_progress', output: [], usage: null };
    let item: Record<string, unknown>;
    let itemEvents: Record<string, unknown>[];
    if (answer.kind === 'text') {
      const text = answer.text;
      const part = { type: 'output_text', text, annotations: [] as unknown[], logprobs: [] as unknown[] };
      item = { id: msgId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
      itemEvents = [
        { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
        { type: 'response.content_part.added', item_id: msgId, output_index: 0, content_index: 0, part: { ...part, text: '' } },
        ...pieces(text).map((delta) => ({ type: 'response.output_text.delta', item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] })),
        { type: 'response.output_text.done', item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] },
        { type: 'response.content_part.done', item_id: msgId, output_index: 0, content_index: 0, part },
        { type: 'response.output_item.done', output_index: 0, item },
      ];
    } else {
      const fcId = id('fc');
      item = { id: fcId, type: 'function_call', status: 'completed', call_id: id('call'), name: answer.name, arguments: answer.arguments };
      itemEvents = [
        { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } },
        ...pieces(answer.arguments).map((delta) => ({ type: 'response.function_call_arguments.delta', item_id: fcId, output_index: 0, delta })),
        { type: 'response.function_call_arguments.done', item_id: fcId, output_index: 0, name: answer.name, arguments: answer.arguments },
        { type: 'response.output_item.done', output_index: 0, item },
      ];
    }
    const completed = { ...base, status: 'completed', output: [item], output_text: answer.kind === 'text' ? answer.text : '', usage };

    const store = request.store !== false;
    if (typeof conversation === 'string') this.kept.appendTurn(conversation, request.input, [item]);
    if (request.stream !== true) {
      const answered = store ? this.storedResponses.remember(completed, request.input, request.background === true) : completed;
      return new Response(encode(answered), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    if (store) this.storedResponses.remember(completed, request.input, false);

    const events: Record<string, unknown>[] = [
      { type: 'response.created', response: inProgress },
      { type: 'response.in_progress', response: inProgress },
      ...itemEvents,
      { type: 'response.completed', response: completed },
    ];
    return eventStream(events.map((event, sequence_number) => `event: ${String(event.type)}\ndata: ${encode({ ...event, sequence_number })}\n\n`));
  }

  /**
   * The Chat Completions answer: a `chat.completion`, or `chat.completion.chunk`s ending in
   * `data: [DONE]`, with a usage chunk (empty `choices`) first when `stream_options.include_usage`.
   */
  private chatCompletion(request: Record<string, unknown>, question: string, answer: Answer): Response {
    const created = Math.floor(Date.now() / 1000);
    const base = { id: id('chatcmpl'), created, model: typeof request.model === 'string' ? request.model : this.modelId, system_fingerprint: null };
    const said = answer.kind === 'text' ? answer.text : answer.arguments;
    const usage = {
      prompt_tokens: words(question),
      completion_tokens: words(said),
      total_tokens: words(question) + words(said),
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    const finish = answer.kind === 'text' ? 'stop' : 'tool_calls';
    const call = answer.kind === 'tool_call' ? { id: id('call'), type: 'function', function: { name: answer.name, arguments: answer.arguments } } : undefined;
    if (request.stream !== true) {
      const message = { role: 'assistant', content: call ? null : said, refusal: null, annotations: [] as unknown[], ...(call ? { tool_calls: [call] } : {}) };
      const completion = { ...base, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage };
      return new Response(encode(completion), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    const options = request.stream_options as { include_usage?: unknown } | undefined;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...base, object: 'chat.completion.chunk', choices, ...extra });
    const delta = (d: Record<string, unknown>) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: null }]);
    const chunks = [
      call
        ? delta({ role: 'assistant', content: null, refusal: null, tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] })
        : delta({ role: 'assistant', content: '', refusal: null }),
      ...pieces(said).map((piece) => (call ? delta({ tool_calls: [{ index: 0, function: { arguments: piece } }] }) : delta({ content: piece }))),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]),
      ...(options?.include_usage === true ? [chunk([], { usage })] : []),
    ];
    return eventStream([...chunks.map((c) => `data: ${encode(c)}\n\n`), 'data: [DONE]\n\n']);
  }
}

/** What the model says: text (plain, or JSON when structured output was asked for), or one function call. */
type Answer = { kind: 'text'; text: string } | { kind: 'tool_call'; name: string; arguments: string };

/**
 * The answer a request asks for. Everything in it that comes from the request (the question, a
 * schema's names and values) is redacted as a whole before any stream cuts it into pieces.
 */
function answerFor(request: Record<string, unknown>, path: UpstreamPath, said: string): Answer {
  const chat = path === '/chat/completions';
  const tool = forcedTool(request.tools, request.tool_choice, chat);
  if (tool) return { kind: 'tool_call', name: tool.name, arguments: redactKeys(JSON.stringify(sampleFromSchema(tool.parameters, said))) };
  const format = chat ? request.response_format : isObject(request.text) ? request.text.format : undefined;
  if (!isObject(format)) return { kind: 'text', text: said };
  if (format.type === 'json_schema') {
    const schema = chat ? (isObject(format.json_schema) ? format.json_schema.schema : undefined) : format.schema;
    return { kind: 'text', text: redactKeys(JSON.stringify(sampleFromSchema(schema, said))) };
  }
  if (format.type === 'json_object') return { kind: 'text', text: redactKeys(JSON.stringify({ answer: said })) };
  return { kind: 'text', text: said };
}

/**
 * The function a request makes the model call: `tool_choice` `required` (the first function tool)
 * or a named function that is among the tools. Chat Completions nests a tool's name and
 * parameters under `function`; the Responses API does not.
 */
function forcedTool(tools: unknown, choice: unknown, chat: boolean): { name: string; parameters?: unknown } | undefined {
  if (!Array.isArray(tools)) return undefined;
  const functions: { name: string; parameters?: unknown }[] = [];
  for (const tool of tools) {
    if (!isObject(tool) || tool.type !== 'function') continue;
    const fn = chat ? tool.function : tool;
    if (isObject(fn) && typeof fn.name === 'string') functions.push({ name: fn.name, parameters: fn.parameters });
  }
  if (functions.length === 0) return undefined;
  if (choice === 'required') return functions[0];
  if (!isObject(choice) || choice.type !== 'function') return undefined;
  const named = chat ? (isObject(choice.function) ? choice.function.name : undefined) : choice.name;
  return functions.find((f) => f.name === named);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stream's pieces of `text` (24 characters each). */
function pieces(text: string): string[] {
  return text.match(/.{1,24}/gs) ?? [text];
}

/** Server-sent events, one frame every 2 ms (a stream a client sees arrive in pieces). */
function eventStream(frames: string[]): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const frame of frames) {
        controller.enqueue(encoder.encode(frame));
        await new Promise((r) => setTimeout(r, 2));
      }
      controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}
