import type { ServerResponse } from 'node:http';
import { fixedResponse, startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * A stand-in deployment that keeps what it stores, as OpenAI does: responses (a background one
 * stays `in_progress` until cancelled), their input items, and conversations. Its ids carry its
 * own name (`resp_<name>_1`, `conv_<name>_1`), so a test sees at once which deployment minted an
 * id, and an id it did not mint is its 404 — a deployment that never stored a response cannot
 * serve it. `fail` makes it answer every call with that status (429, 500) until cleared.
 */
export interface StoringUpstream extends StandInUpstream {
  name: string;
  fail: number | undefined;
  /** Requests whose path or body named `id`. */
  askedAbout(id: string): UpstreamRequest[];
}

interface Kept {
  response: Record<string, unknown>;
  input: string;
}

export async function startStoringUpstream(name: string): Promise<StoringUpstream> {
  const responses = new Map<string, Kept>();
  const conversations = new Map<string, { metadata: unknown; items: unknown[] }>();
  let minted = 0;
  // Read on every request: a test sets `fail` on the returned object.
  let self: StoringUpstream | undefined;

  const handler = (req: UpstreamRequest, res: ServerResponse): void => {
    if (self?.fail) return send(res, self.fail, { error: { message: `${name} failed`, type: 'server_error', code: null, param: null } });
    const path = req.url.split('?')[0]!.replace(/^\/v1/, '');
    const body = req.body.length > 0 ? (JSON.parse(req.body.toString()) as Record<string, unknown>) : {};
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'responses' && parts.length === 1 && req.method === 'POST') return createResponse(body, res);
    if (parts[0] === 'responses') {
      const kept = responses.get(parts[1]!);
      if (!kept) return send(res, 404, { error: { message: `Response with id '${parts[1]}' not found.`, type: 'invalid_request_error', code: null, param: null } });
      if (parts[2] === 'input_items') {
        const item = { id: `msg_${name}_in`, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: kept.input }] };
        return send(res, 200, { object: 'list', data: [item], first_id: item.id, last_id: item.id, has_more: false });
      }
      if (parts[2] === 'cancel') {
        kept.response = { ...kept.response, status: 'cancelled', usage: usage(100, 10) };
        return send(res, 200, kept.response);
      }
      if (req.method === 'DELETE') {
        responses.delete(parts[1]!);
        return send(res, 200, { id: parts[1], object: 'response.deleted', deleted: true });
      }
      return send(res, 200, kept.response);
    }
    if (parts[0] === 'conversations' && parts.length === 1) {
      const id = `conv_${name}_${++minted}`;
      conversations.set(id, { metadata: body.metadata ?? {}, items: [] });
      return send(res, 200, { id, object: 'conversation', created_at: 1_735_689_600, metadata: body.metadata ?? {} });
    }
    if (parts[0] === 'conversations') {
      const conversation = conversations.get(parts[1]!);
      if (!conversation) return send(res, 404, { error: { message: `Conversation with id '${parts[1]}' not found.`, type: 'invalid_request_error', code: null, param: null } });
      if (parts[2] === 'items') return send(res, 200, { object: 'list', data: conversation.items, first_id: null, last_id: null, has_more: false });
      if (req.method === 'POST') conversation.metadata = body.metadata ?? conversation.metadata;
      return send(res, 200, { id: parts[1], object: 'conversation', created_at: 1_735_689_600, metadata: conversation.metadata });
    }
    send(res, 404, { error: { message: 'no such route', type: 'invalid_request_error', code: null, param: null } });
  };

  function createResponse(body: Record<string, unknown>, res: ServerResponse): void {
    const previous = body.previous_response_id;
    if (typeof previous === 'string' && !responses.has(previous)) {
      return send(res, 400, { error: { message: `Previous response with id '${previous}' not found.`, type: 'invalid_request_error', code: null, param: 'previous_response_id' } });
    }
    const conversationId = typeof body.conversation === 'string' ? body.conversation : undefined;
    const conversation = conversationId ? conversations.get(conversationId) : undefined;
    if (conversationId && !conversation) {
      return send(res, 404, { error: { message: `Conversation with id '${conversationId}' not found.`, type: 'invalid_request_error', code: null, param: null } });
    }
    const input = typeof body.input === 'string' ? body.input : JSON.stringify(body.input);
    const id = `resp_${name}_${++minted}`;
    const base = { ...fixedResponse({ text: `from ${name}` }), id, ...(conversationId ? { conversation: { id: conversationId } } : {}) };
    conversation?.items.push({ id: `msg_${name}_${minted}`, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] });
    const response = body.background === true ? { ...base, status: 'in_progress', output: [], usage: null, background: true } : { ...base, usage: usage(1000, 500) };
    responses.set(id, { response, input });
    send(res, 200, response);
  }

  const upstream = await startStandInUpstream(handler);
  self = Object.assign(upstream, {
    name,
    fail: undefined,
    askedAbout: (id: string) => upstream.requests.filter((r) => r.url.includes(id) || r.body.toString().includes(id)),
  }) as StoringUpstream;
  return self;
}

function usage(input: number, output: number) {
  return { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
