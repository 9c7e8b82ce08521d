import { randomBytes } from 'node:crypto';
import type { StoredResponseCall } from '../core/ports';
import { redactKeys } from '../core/redact-keys';

/**
 * What the local model keeps of the responses it stored (OpenAI's `store`, on by default), so the
 * official SDK's `responses.retrieve`, `.delete`, `.cancel` and `.inputItems.list` work offline —
 * and background mode: a background response answers at once `queued`, is `in_progress` for a
 * moment, and is `completed` (with its usage) after `backgroundMs`, unless cancelled first.
 *
 * In memory and bounded (MAX_KEPT_BYTES, oldest dropped first): the local model is a stand-in, and
 * a forgotten response reads as OpenAI's unknown one. Every answer is serialized through
 * `redactKeys`, like everything else the local model says.
 */
const MAX_KEPT_BYTES = 32 * 1024 * 1024;
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

interface Kept {
  /** The response as it is once done. */
  done: Record<string, unknown>;
  inputItems: Array<Record<string, unknown>>;
  background: boolean;
  /** Epoch ms when a background response completes. */
  readyAt: number;
  cancelled: boolean;
  bytes: number;
}

export class LocalStoredResponses {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;

  constructor(private readonly backgroundMs: number) {}

  /** Keeps a response answered with `store` on; for a background one, what its creation answers (`queued`). */
  remember(done: Record<string, unknown>, input: unknown, background: boolean): Record<string, unknown> {
    const id = String(done.id);
    const inputItems = itemsOf(input);
    const bytes = JSON.stringify(done).length + JSON.stringify(inputItems).length;
    this.kept.set(id, { done, inputItems, background, readyAt: Date.now() + (background ? this.backgroundMs : 0), cancelled: false, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.kept) {
      if (this.bytes <= MAX_KEPT_BYTES || oldest === id) break;
      this.kept.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return background ? { ...this.view(this.kept.get(id)!), status: 'queued' } : done;
  }

  call(call: StoredResponseCall): Response {
    const kept = this.kept.get(call.id);
    if (!kept) return error(404, `Response with id '${call.id}' not found.`);
    switch (call.action) {
      case 'retrieve':
        if (call.stream) return error(400, 'The local model does not replay a response’s events: retrieve it without stream.', 'stream');
        return json(this.view(kept));
      case 'delete':
        this.kept.delete(call.id);
        this.bytes -= kept.bytes;
        return json({ id: call.id, object: 'response', deleted: true });
      case 'cancel':
        if (!kept.background) return error(400, 'Only responses created with background=true can be cancelled.');
        if (!TERMINAL.has(String(this.view(kept).status))) kept.cancelled = true;
        return json(this.view(kept));
      case 'input_items':
        return json(page(kept.inputItems, new URLSearchParams(call.query?.map(([n, v]) => [n, v]) ?? [])));
    }
  }

  /** The response as it stands now. */
  private view(kept: Kept): Record<string, unknown> {
    const pending = { ...kept.done, output: [], output_text: '', usage: null };
    if (kept.cancelled) return { ...pending, status: 'cancelled' };
    if (Date.now() >= kept.readyAt) return kept.done;
    return { ...pending, status: 'in_progress' };
  }
}

/** OpenAI's input items: the request's `input` as a list of items, each with an id (local-conversations.ts keeps them too). */
export function itemsOf(input: unknown): Array<Record<string, unknown>> {
  const list = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : [];
  return list.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return [];
    const it = item as Record<string, unknown>;
    const content = typeof it.content === 'string' ? [{ type: 'input_text', text: it.content }] : it.content;
    return [{ ...it, id: typeof it.id === 'string' ? it.id : `msg_${randomBytes(12).toString('hex')}`, type: it.type ?? 'message', ...(content === undefined ? {} : { content }) }];
  });
}

/** One page of items: `order` (default desc), `after` an item id, `limit` 1–100 (default 20). */
export function page(items: Array<Record<string, unknown>>, query: URLSearchParams): Record<string, unknown> {
  const ordered = query.get('order') === 'asc' ? items : [...items].reverse();
  const after = query.get('after');
  const from = after ? ordered.findIndex((item) => item.id === after) + 1 : 0;
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const data = ordered.slice(from, from + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + limit < ordered.length };
}

export function json(value: unknown): Response {
  return new Response(redactKeys(JSON.stringify(value)), { status: 200, headers: { 'content-type': 'application/json' } });
}

export function error(status: number, message: string, param: string | null = null): Response {
  return Response.json({ error: { message, type: 'invalid_request_error', param, code: null } }, { status });
}
