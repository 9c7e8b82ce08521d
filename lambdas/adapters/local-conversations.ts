import { randomBytes } from 'node:crypto';
import type { ConversationCall } from '../core/ports';
import { error, itemsOf, json, page } from './local-stored-responses';

/**
 * The local model's conversations (OpenAI's Conversations API), so the official SDK's
 * `conversations.create / retrieve / update / delete` and `conversations.items.*` work offline,
 * and `responses.create({ conversation })` appends each turn (its input, then its output) to the
 * conversation it names, as OpenAI does.
 *
 * In memory and bounded: at most MAX_CONVERSATIONS (the oldest forgotten first) of at most
 * MAX_ITEMS items each (the oldest items dropped first). A forgotten conversation reads as OpenAI's
 * unknown one. Answers go through local-stored-responses.ts `json`, so through `redactKeys`.
 */
const MAX_CONVERSATIONS = 1_000;
const MAX_ITEMS = 1_000;

interface Kept {
  id: string;
  createdAt: number;
  metadata: Record<string, unknown>;
  items: Array<Record<string, unknown>>;
}

export class LocalConversations {
  private readonly kept = new Map<string, Kept>();

  /** Is this conversation kept (a response may continue it)? */
  has(id: string): boolean {
    return this.kept.has(id);
  }

  /** A turn of `POST /responses` with `conversation`: its input items, then the items it answered. */
  appendTurn(id: string, input: unknown, output: Array<Record<string, unknown>>): void {
    const kept = this.kept.get(id);
    if (kept) this.add(kept, [...itemsOf(input), ...output]);
  }

  call(call: ConversationCall): Response {
    const body = parsed(call.body);
    if (call.id === undefined) return this.create(body);
    const kept = this.kept.get(call.id);
    if (!kept) return error(404, `Conversation with id '${call.id}' not found.`);
    if (call.items === undefined) {
      if (call.method === 'GET') return json(view(kept));
      if (call.method === 'POST') {
        kept.metadata = isObject(body.metadata) ? body.metadata : {};
        return json(view(kept));
      }
      this.kept.delete(kept.id);
      return json({ id: kept.id, object: 'conversation.deleted', deleted: true });
    }
    if (call.items === true) {
      if (call.method === 'GET') return json(page(kept.items, new URLSearchParams(call.query?.map(([n, v]) => [n, v]) ?? [])));
      const added = this.add(kept, Array.isArray(body.items) ? body.items : []);
      return json({ object: 'list', data: added, first_id: added[0]?.id ?? null, last_id: added.at(-1)?.id ?? null, has_more: false });
    }
    const at = kept.items.findIndex((item) => item.id === call.items);
    if (at < 0) return error(404, `Item with id '${call.items}' not found.`);
    if (call.method === 'GET') return json(kept.items[at]);
    kept.items.splice(at, 1);
    return json(view(kept));
  }

  private create(body: Record<string, unknown>): Response {
    const kept: Kept = { id: `conv_${randomBytes(24).toString('hex')}`, createdAt: Math.floor(Date.now() / 1000), metadata: isObject(body.metadata) ? body.metadata : {}, items: [] };
    this.kept.set(kept.id, kept);
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= MAX_CONVERSATIONS) break;
      this.kept.delete(oldest);
    }
    this.add(kept, Array.isArray(body.items) ? body.items : []);
    return json(view(kept));
  }

  /** Items as a conversation holds them: each with an id, a message `completed`. */
  private add(kept: Kept, items: unknown[]): Array<Record<string, unknown>> {
    const added = itemsOf(items).map((item) => (item.type === 'message' && item.status === undefined ? { ...item, status: 'completed' } : item));
    kept.items.push(...added);
    if (kept.items.length > MAX_ITEMS) kept.items.splice(0, kept.items.length - MAX_ITEMS);
    return added;
  }
}

function view(kept: Kept): Record<string, unknown> {
  return { id: kept.id, object: 'conversation', created_at: kept.createdAt, metadata: kept.metadata };
}

/** The gateway sends only validated JSON; anything else reads as an empty body, never a throw. */
function parsed(body: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = body === undefined ? {} : JSON.parse(body);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
