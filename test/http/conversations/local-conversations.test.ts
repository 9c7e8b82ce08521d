import { describe, expect, it } from 'vitest';
import { LocalModel } from '../../../lambdas/adapters/local-model';

/** The local model's conversations, called as the gateway calls them (Upstream.conversations, forward). */
const signal = new AbortController().signal;

async function call(model: LocalModel, c: Parameters<LocalModel['conversations']>[0]) {
  const res = await model.conversations(c, signal);
  return { status: res.status, body: (await res.json()) as any };
}

describe('the local model keeps conversations', () => {
  it('a response naming an unknown conversation is OpenAI’s 404 on `conversation`, and nothing is answered', async () => {
    const model = new LocalModel('archibot');
    const res = await model.forward('/responses', JSON.stringify({ model: 'archibot', input: 'hi', conversation: 'conv_unknown' }));
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toMatchObject({ param: 'conversation', message: "Conversation with id 'conv_unknown' not found." });
  });

  it('a streamed response appends its turn too, and its events name the conversation', async () => {
    const model = new LocalModel('archibot');
    const { body: conv } = await call(model, { method: 'POST', body: '{}' });
    const res = await model.forward('/responses', JSON.stringify({ model: 'archibot', input: [{ role: 'user', content: 'streamed' }], conversation: { id: conv.id }, stream: true }));
    const text = await res.text();
    expect(text).toContain(`"conversation":{"id":"${conv.id}"}`);
    const { body: items } = await call(model, { method: 'GET', id: conv.id, items: true, query: [['order', 'asc']] });
    expect(items.data.map((i: any) => i.role)).toEqual(['user', 'assistant']);
    expect(items.data.every((i: any) => typeof i.id === 'string' && i.status === 'completed')).toBe(true);
  });

  it('unknown items and deleted conversations are 404; metadata is replaced on update', async () => {
    const model = new LocalModel('archibot');
    const { body: conv } = await call(model, { method: 'POST', body: JSON.stringify({ metadata: { a: '1' }, items: [{ type: 'message', role: 'user', content: 'x' }] }) });
    expect((await call(model, { method: 'GET', id: conv.id, items: 'msg_nope' })).status).toBe(404);
    expect((await call(model, { method: 'POST', id: conv.id, body: JSON.stringify({ metadata: { b: '2' } }) })).body.metadata).toEqual({ b: '2' });
    expect((await call(model, { method: 'DELETE', id: conv.id })).body).toMatchObject({ deleted: true, object: 'conversation.deleted' });
    expect((await call(model, { method: 'GET', id: conv.id })).status).toBe(404);
    expect((await call(model, { method: 'GET', id: conv.id, items: true })).status).toBe(404);
  });
});
