import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalModel, LOCAL_MODEL_LABEL } from '../../lambdas/adapters/local-model';
import { findKeysInText } from '../../lambdas/core/key-scan';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * The offline local model (no UPSTREAM_BASE_URL): it echoes the question, and nothing it echoes
 * may carry a key (SPEC §4); and no request, however deeply nested, makes it throw.
 */
describe('local model', () => {
  let stack: TestStack;
  let submitted: { key: string; start: string };

  beforeAll(async () => {
    stack = await startTestStack();
    submitted = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'pasted into a prompt' } })).body;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const ask = async (body: Record<string, unknown>) => {
    const res = await stack.call('/v1/responses', { key: stack.adminKey, body: { model: 'archibot', ...body } });
    return { status: res.status, text: await res.text() };
  };
  /** The answer text of an SSE stream: the deltas joined. */
  const streamedAnswer = (sse: string) =>
    sse
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string })
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('');

  describe('never echoes a submitted key', () => {
    it('in the answer, streamed or not, with the key as text, in a message part, or in echoed fields', async () => {
      const inputs = [
        `is this right? ${submitted.key}`,
        [{ role: 'user', content: [{ type: 'input_text', text: `key: ${submitted.key}` }] }],
      ];
      for (const input of inputs) {
        for (const stream of [false, true]) {
          const { status, text } = await ask({ input, stream, instructions: `never say ${submitted.key}`, metadata: { leaked: submitted.key } });
          expect(status).toBe(200);
          expect(findKeysInText(text)).toEqual([]);
          expect(text).not.toContain(submitted.key);
          const answer = stream ? streamedAnswer(text) : (JSON.parse(text) as { output_text: string }).output_text;
          expect(answer).toContain(LOCAL_MODEL_LABEL);
          expect(answer).toContain(`${submitted.start}…`);
        }
      }
    });

    it('nor a key disguised by a zero-width character, a line break or italics', async () => {
      const k = submitted.key;
      for (const input of [`is ${k.slice(0, 12)}\u200b${k.slice(12)} right?`, `is ${k.slice(0, 12)}\n${k.slice(12)} right?`, `is _${k}_ right?`]) {
        const { status, text } = await ask({ input });
        expect(status).toBe(200);
        expect(findKeysInText(text), JSON.stringify(input)).toEqual([]);
        expect(text).not.toContain(k.slice(12));
        expect((JSON.parse(text) as { output_text: string }).output_text).toContain(`${submitted.start}…`);
      }
    });

    it('not even most of a key cut off at the 2,000-character limit', async () => {
      // Cut first and redact after, and the 30 characters before the cut fail the checksum: kept.
      const { status, text } = await ask({ input: `${'x'.repeat(1969)} ${submitted.key}` });
      expect(status).toBe(200);
      expect(text).toContain('x'.repeat(1969)); // the question was echoed, up to the cut
      expect(text).not.toContain(submitted.key.slice(0, 30));
    });
  });

  describe('structured answers and tool calls never echo a key either', () => {
    it('from a schema\'s names, values or defaults, or a function\'s name, streamed or not, through both APIs', async () => {
      const k = submitted.key;
      const schema = { type: 'object', properties: { [k]: { type: 'string' }, pick: { type: 'string', enum: [k] }, given: { type: 'string', default: `say ${k}` } } };
      const requests: [string, Record<string, unknown>][] = [
        ['/v1/chat/completions', { messages: [{ role: 'user', content: k }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }],
        ['/v1/chat/completions', { messages: [{ role: 'user', content: k }], tools: [{ type: 'function', function: { name: k, parameters: schema } }], tool_choice: 'required' }],
        ['/v1/responses', { input: k, text: { format: { type: 'json_schema', name: 'x', schema } } }],
        ['/v1/responses', { input: k, tools: [{ type: 'function', name: k, parameters: schema }], tool_choice: 'required' }],
      ];
      for (const [path, body] of requests) {
        for (const stream of [false, true]) {
          const res = await stack.call(path, { key: stack.adminKey, body: { model: 'archibot', ...body, stream } });
          expect(res.status).toBe(200);
          const text = await res.text();
          expect(findKeysInText(text)).toEqual([]);
          expect(text).not.toContain(k);
          expect(text).toContain(`${submitted.start}…`);
        }
      }
    });
  });

  describe('deeply nested requests', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;

    it('5,000 levels over HTTP are a 4xx, never a 5xx', async () => {
      for (const stream of [false, true]) {
        const res = await stack.call('/v1/responses', {
          key: stack.adminKey,
          body: `{"model":"archibot","stream":${stream},"input":${deep(5000)},"metadata":{"a":${deep(5000)}}}`,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await res.text();
      }
    });

    // The router refuses such bodies before any upstream; the model must not rely on it (it is
    // an Upstream like any other, and a body that reaches it is answered, never thrown on).
    it('the model itself answers 5,000 levels in input and in every echoed field, streamed or not', async () => {
      const model = new LocalModel('archibot');
      const fields = ['input', 'instructions', 'metadata', 'tools', 'text', 'reasoning', 'tool_choice', 'user'];
      for (const stream of [false, true]) {
        const body = `{"model":"archibot","stream":${stream},${fields.map((f) => `"${f}":${deep(5000)}`).join(',')}}`;
        const res = await model.forward("/responses", body);
        expect(res.status).toBe(200);
        const text = await res.text();
        const final = stream ? JSON.parse(text.trim().split('\n').at(-1)!.slice(6)).response : JSON.parse(text);
        expect(final).toMatchObject({ status: 'completed', metadata: {}, tools: [], instructions: null });
        expect(final.output_text).toContain('(no text input)');
      }
      // A schema or a function's parameters 5,000 levels deep: answered too, cut at the sampling depth.
      const deepSchema = `${'{"type":"object","properties":{"a":'.repeat(5000)}{"type":"string"}${'}}'.repeat(5000)}`;
      for (const [path, extra] of [
        ['/responses', `"text":{"format":{"type":"json_schema","name":"x","schema":${deepSchema}}}`],
        ['/chat/completions', `"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema}}}],"tool_choice":"required"`],
      ] as const) {
        const res = await model.forward(path, `{"model":"archibot","input":"hi","messages":[{"role":"user","content":"hi"}],${extra}}`);
        expect(res.status).toBe(200);
        expect(JSON.parse(await res.text())).toBeTruthy();
      }
      // A field within the bound is still echoed as sent.
      const shallow = JSON.parse(deep(10));
      const res = await model.forward("/responses", JSON.stringify({ model: 'archibot', input: 'hi', metadata: { nested: shallow } }));
      expect(((await res.json()) as { metadata: unknown }).metadata).toEqual({ nested: shallow });
    });
  });
});
