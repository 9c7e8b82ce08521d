import { fixedResponse, sse } from './stand-in-upstream';

/**
 * Recorded streams of both APIs for cut-point checks (test/http/openai-relay/money.test.ts and
 * bench/hostile-money.ts): 8 text deltas, then the usage — INPUT_TOKENS in, OUTPUT_TOKENS out,
 * split evenly over the deltas, so the usage of any prefix a client received is known.
 */
export const INPUT_TOKENS = 100_000;
export const OUTPUT_TOKENS = 100_000;
export const DELTAS = 8;
const PER_DELTA = OUTPUT_TOKENS / DELTAS;

/** One recorded event of a stream and the output tokens it carries (what a client that got it used). */
export interface Recorded {
  wire: string;
  outputTokens: number;
}

export interface RecordedApi {
  name: string;
  path: string;
  body: Record<string, unknown>;
  events: Recorded[];
}

/** The tokens a client that received `events` used: the whole input, and the output of the deltas it got. */
export function tokensReceived(events: Recorded[]): number {
  return INPUT_TOKENS + events.reduce((sum, e) => sum + e.outputTokens, 0);
}

/** A recorded Chat Completions stream: role, 8 content deltas, the stop chunk, the usage chunk, [DONE]. */
export function chatStream(): Recorded[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    wire: `data: ${JSON.stringify({ id: 'chatcmpl-standin', object: 'chat.completion.chunk', created: 1_735_689_600, model: 'archibot', choices, ...extra })}\n\n`,
    outputTokens: 0,
  });
  return [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    ...Array.from({ length: DELTAS }, (_, i) => ({ ...chunk([{ index: 0, delta: { content: `part ${i} ` }, finish_reason: null }]), outputTokens: PER_DELTA })),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chunk([], { usage: { prompt_tokens: INPUT_TOKENS, completion_tokens: OUTPUT_TOKENS, total_tokens: INPUT_TOKENS + OUTPUT_TOKENS } }),
    { wire: 'data: [DONE]\n\n', outputTokens: 0 },
  ];
}

/** A recorded Responses stream: created, in progress, the item and part, 8 deltas, the text done, completed with usage. */
export function responsesStream(): Recorded[] {
  const text = Array.from({ length: DELTAS }, (_, i) => `part ${i} `);
  const done = fixedResponse({ text: text.join(''), usage: { input_tokens: INPUT_TOKENS, output_tokens: OUTPUT_TOKENS } });
  const inProgress = { ...done, status: 'in_progress', output: [], usage: null };
  const item = { id: 'msg_standin0001', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  const at = { item_id: 'msg_standin0001', output_index: 0, content_index: 0 };
  const events: Array<{ event: Record<string, unknown> & { type: string }; outputTokens: number }> = [
    { event: { type: 'response.created', response: inProgress }, outputTokens: 0 },
    { event: { type: 'response.in_progress', response: inProgress }, outputTokens: 0 },
    { event: { type: 'response.output_item.added', output_index: 0, item }, outputTokens: 0 },
    { event: { type: 'response.content_part.added', ...at, part: { type: 'output_text', text: '', annotations: [] } }, outputTokens: 0 },
    ...text.map((delta) => ({ event: { type: 'response.output_text.delta', ...at, delta, logprobs: [] }, outputTokens: PER_DELTA })),
    { event: { type: 'response.output_text.done', ...at, text: text.join(''), logprobs: [] }, outputTokens: 0 },
    { event: { type: 'response.content_part.done', ...at, part: { type: 'output_text', text: text.join(''), annotations: [] } }, outputTokens: 0 },
    { event: { type: 'response.output_item.done', output_index: 0, item: done.output[0] }, outputTokens: 0 },
    { event: { type: 'response.completed', response: done }, outputTokens: 0 },
  ];
  return events.map(({ event, outputTokens }, sequence_number) => ({ wire: sse({ ...event, sequence_number }), outputTokens }));
}

/** Both APIs, each with its streamed request body and its recorded stream. */
export function recordedApis(): RecordedApi[] {
  return [
    { name: '/v1/chat/completions', path: '/v1/chat/completions', body: { model: 'archibot', messages: [{ role: 'user', content: 'long answer' }], stream: true }, events: chatStream() },
    { name: '/v1/responses', path: '/v1/responses', body: { model: 'archibot', input: 'long answer', stream: true }, events: responsesStream() },
  ];
}

/** Reads a streamed answer until `events` whole server-sent events have arrived; returns how many did. */
export async function readEvents(res: Response, events: number): Promise<number> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let seen = 0;
  while (seen < events) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    seen = text.split('\n\n').length - 1;
  }
  return seen;
}
