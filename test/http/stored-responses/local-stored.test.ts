import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../lambdas/core/key-format';
import { LocalModel } from '../../../lambdas/adapters/local-model';

/** The local model's stored responses, called as the gateway calls them (Upstream.stored). */
const signal = new AbortController().signal;

async function create(model: LocalModel, body: Record<string, unknown>) {
  return (await (await model.forward('/responses', JSON.stringify({ model: 'archibot', ...body }))).json()) as { id: string; status: string; usage: unknown };
}

describe('the local model keeps what it answered', () => {
  it('never hands a key back: input items and retrieve are redacted like every answer', async () => {
    const model = new LocalModel('archibot');
    const key = generateKey();
    const created = await create(model, { input: [{ role: 'user', content: `my key is ${key}` }] });
    for (const action of ['retrieve', 'input_items'] as const) {
      const text = await (await model.stored({ id: created.id, action }, signal)).text();
      expect(text).not.toContain(key);
    }
  });

  it('background: queued at once, completed with usage after its delay; input items paginate', async () => {
    const model = new LocalModel('archibot', { backgroundMs: 50 });
    const created = await create(model, { input: [1, 2, 3].map((n) => ({ role: 'user', content: `m${n}` })), background: true });
    expect(created).toMatchObject({ status: 'queued', usage: null });
    await new Promise((r) => setTimeout(r, 80));
    const done = (await (await model.stored({ id: created.id, action: 'retrieve' }, signal)).json()) as { status: string; usage: { total_tokens: number } };
    expect(done.status).toBe('completed');
    expect(done.usage.total_tokens).toBeGreaterThan(0);
    const page = (await (await model.stored({ id: created.id, action: 'input_items', query: [['limit', '2'], ['order', 'asc']] }, signal)).json()) as { data: Array<{ id: string }>; has_more: boolean; last_id: string };
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const next = (await (await model.stored({ id: created.id, action: 'input_items', query: [['after', page.last_id], ['order', 'asc']] }, signal)).json()) as { data: unknown[]; has_more: boolean };
    expect(next.data).toHaveLength(1);
    expect(next.has_more).toBe(false);
  });

  it('store: false keeps nothing; an unknown id is OpenAI’s 404', async () => {
    const model = new LocalModel('archibot');
    const created = await create(model, { input: 'hi', store: false });
    expect((await model.stored({ id: created.id, action: 'retrieve' }, signal)).status).toBe(404);
    const res = await model.stored({ id: 'resp_nope', action: 'delete' }, signal);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("Response with id 'resp_nope' not found.");
  });
});
