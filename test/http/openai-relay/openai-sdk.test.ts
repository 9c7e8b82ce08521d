import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../../lambdas/adapters/local-model';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { balance, createKey, credits, revokeKey, settled } from './stack-helpers';

/**
 * The official `openai` SDK against the real local stack (dynalite, the shipped handlers) with no
 * upstream configured: the clearly labelled local model answers.
 */
let stack: TestStack;
let client: OpenAI;

function sdk(apiKey: string): OpenAI {
  // No retries: a 401/429 must surface as the error the caller sees, not be retried away.
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });
}

beforeAll(async () => {
  stack = await startTestStack();
  const { key } = await createKey(stack, { name: 'sdk integration', type: 'viewer' });
  client = sdk(key);
});

afterAll(async () => {
  await stack?.stop();
});

describe('OpenAI SDK, happy path', () => {
  it('models.list() discovers the platform model and draws no credits', async () => {
    const before = await balance(stack);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['archibot']);
    expect(await balance(stack)).toBe(before);
  });

  it('responses.create() answers from the local model and is billed by usage', async () => {
    const before = await balance(stack);
    const { data, response } = await client.responses
      .create({ model: 'archibot', input: 'Summarize this Archibus request queue export.' })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toContain(LOCAL_MODEL_LABEL);
    expect(data.output_text).toContain('Summarize this Archibus request queue export.');
    const price = credits((data.usage!.total_tokens * 0.5) / 1000);
    expect(response.headers.get('x-archibot-request-id')).toMatch(/^req_/);
    expect(Number(response.headers.get('x-archibot-credits-charged'))).toBe(price);
    expect(Number(response.headers.get('x-archibot-credits-remaining'))).toBe(credits(before - price));
    await settled(stack, response);
    expect(await balance(stack)).toBe(credits(before - price));
    expect(response.headers.get('x-ratelimit-limit')).toBe('600');
  });

  it('responses.create({ stream: true }) yields the events in order, billing evidence only in headers', async () => {
    const before = await balance(stack);
    const { data: stream, response } = await client.responses
      .create({ model: 'archibot', input: 'Draft a short work plan for this Archibus data cleanup.', stream: true })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-archibot-credits-charged')).toBe('1');
    expect(Number(response.headers.get('x-archibot-credits-remaining'))).toBe(credits(before - 1));

    const types: string[] = [];
    let text = '';
    let sequence = -1;
    let lastCompleted: Extract<OpenAI.Responses.ResponseStreamEvent, { type: 'response.completed' }> | undefined;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).toBe(sequence + 1);
      sequence = event.sequence_number;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') lastCompleted = event;
      expect(JSON.stringify(event)).not.toMatch(/credits|x-archibot/i);
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.delta');
    expect(text).toContain('Draft a short work plan');
    // The headers stated the reservation; the usage in response.completed settled it.
    await settled(stack, response);
    expect(await balance(stack)).toBe(credits(before - credits((lastCompleted!.response.usage!.total_tokens * 0.5) / 1000)));
  });

  it('responses.stream() delivers text deltas and a finalResponse()', async () => {
    const deltas: string[] = [];
    const stream = client.responses.stream({
      model: 'archibot',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Which rooms are free on floor 3?' }] }],
    });
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toContain('Which rooms are free on floor 3?');
    expect(deltas.join('')).toBe(final.output_text);
  });
});

describe('OpenAI SDK, structured output and tool calls, offline', () => {
  const WorkOrder = z.object({
    title: z.string(),
    priority: z.enum(['low', 'high']),
    estimateHours: z.number().min(1).max(40),
    tags: z.array(z.string()).min(1),
    due: z.iso.date().nullable(),
  });
  const weather = {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'], additionalProperties: false },
    strict: true,
  };

  it('chat.completions.parse() and responses.parse() get JSON that fits the schema, saying what made it', async () => {
    const chat = await client.chat.completions.parse({
      model: 'archibot',
      messages: [{ role: 'user', content: 'Open a work order for the broken lift.' }],
      response_format: zodResponseFormat(WorkOrder, 'work_order'),
    });
    const parsed = chat.choices[0]!.message.parsed!;
    expect(WorkOrder.parse(parsed)).toEqual(parsed);
    expect(parsed.title).toContain(LOCAL_MODEL_LABEL);
    expect(parsed.title).toContain('broken lift');
    expect(parsed.priority).toBe('low');
    const response = await client.responses.parse({ model: 'archibot', input: 'The same, through Responses.', text: { format: zodTextFormat(WorkOrder, 'work_order') } });
    expect(WorkOrder.parse(response.output_parsed)).toEqual(response.output_parsed);
    expect(response.output_parsed!.title).toContain('through Responses');
    // json_object: any JSON object, still labelled.
    const loose = await client.chat.completions.create({ model: 'archibot', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(loose.choices[0]!.message.content!).answer).toContain(LOCAL_MODEL_LABEL);
  });

  it('a forced function call (tool_choice required or named) comes back as a call with fitting arguments, streamed or not', async () => {
    const chatTool = { type: 'function' as const, function: { name: weather.name, description: weather.description, parameters: weather.parameters, strict: true } };
    const messages = [{ role: 'user' as const, content: 'Weather in Oslo?' }];
    const plain = await client.chat.completions.create({ model: 'archibot', messages, tools: [chatTool], tool_choice: 'required' });
    expect(plain.choices[0]!.finish_reason).toBe('tool_calls');
    const call = plain.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(JSON.parse(call.type === 'function' ? call.function.arguments : '{}')).toMatchObject({ unit: 'c' });
    const streamed = await client.chat.completions
      .stream({ model: 'archibot', messages, tools: [chatTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } })
      .finalChatCompletion();
    const streamedCall = streamed.choices[0]!.message.tool_calls![0]!;
    expect(streamedCall.type === 'function' && JSON.parse(streamedCall.function.arguments)).toMatchObject({ unit: 'c' });
    // Tools offered but not forced: the model answers in words.
    const auto = await client.chat.completions.create({ model: 'archibot', messages, tools: [chatTool] });
    expect(auto.choices[0]!.message.content).toContain(LOCAL_MODEL_LABEL);

    const response = await client.responses.create({ model: 'archibot', input: 'Weather in Oslo?', tools: [weather], tool_choice: 'required' });
    const fc = response.output[0]!;
    expect(fc.type).toBe('function_call');
    expect(fc.type === 'function_call' && [fc.name, JSON.parse(fc.arguments).unit]).toEqual(['get_weather', 'c']);
    const stream = client.responses.stream({ model: 'archibot', input: 'Weather in Oslo?', tools: [weather], tool_choice: { type: 'function', name: 'get_weather' } });
    let argumentDeltas = '';
    stream.on('response.function_call_arguments.delta', (event) => (argumentDeltas += event.delta));
    const final = await stream.finalResponse();
    const finalCall = final.output[0]!;
    expect(finalCall.type === 'function_call' && finalCall.arguments).toBe(argumentDeltas);
    expect(JSON.parse(argumentDeltas)).toMatchObject({ unit: 'c' });
  });
});

describe('OpenAI SDK, rejected keys', () => {
  it('an invalid key surfaces as OpenAI.AuthenticationError (invalid_api_key), never echoed', async () => {
    const bogus = 'archie_thisIsNotARealKeyAtAllNotEvenClose000000';
    const error = await sdk(bogus)
      .responses.create({ model: 'archibot', input: 'hi' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const err = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
    expect(JSON.stringify(err.error)).toContain('invalid_api_key');
    expect(JSON.stringify(err.error)).not.toContain(bogus);

    await expect(sdk(bogus).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('a revoked key surfaces as OpenAI.AuthenticationError with code key_revoked', async () => {
    const created = await createKey(stack, { name: 'to be revoked', type: 'viewer' });
    const victim = sdk(created.key);
    await victim.models.list();
    await revokeKey(stack, created.id);
    const before = await balance(stack);

    for (const call of [() => victim.responses.create({ model: 'archibot', input: 'hi' }), () => victim.models.list()]) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('key_revoked');
    }
    expect(await balance(stack)).toBe(before);
  });
});

describe('OpenAI SDK, API product gate off', () => {
  it('model discovery and responses answer 403 api_access_disabled, charging nothing', async () => {
    const { operator, keys } = stack.services;
    const account = await operator.createAccount({ name: 'Gated account', apiAccess: true, credits: 10 });
    const { project } = await operator.createProject({ accountId: account.id, name: 'Gated project', actor: 'test' });
    const issued = await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'gated', type: 'viewer' });
    await operator.setApiAccess(account.id, false);
    const gated = sdk(issued.secret);

    for (const call of [
      () => gated.models.list(),
      () => gated.models.retrieve('archibot'),
      () => gated.responses.create({ model: 'archibot', input: 'hi' }),
    ]) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      const err = error as InstanceType<typeof OpenAI.PermissionDeniedError>;
      expect(err.code).toBe('api_access_disabled');
      expect(err.message).toContain('API access is not enabled for this account.');
    }
    expect(await balance(stack, account.id)).toBe(10);
  });
});

describe('OpenAI SDK, answers no retry can change', () => {
  it('carry x-should-retry: false, so the SDK with its default retries asks once for out-of-credits and bad keys', async () => {
    const { operator, keys } = stack.services;
    const account = await operator.createAccount({ name: 'Broke account', apiAccess: true, credits: 0 });
    const { project } = await operator.createProject({ accountId: account.id, name: 'Broke project', actor: 'test' });
    const issued = await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'broke', type: 'viewer' });
    let sent = 0;
    const counting: typeof fetch = (input, init) => {
      sent++;
      return fetch(input, init);
    };
    // The SDK's defaults (2 retries, with backoff) apart from the counting transport.
    const retrying = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, fetch: counting });

    const quota = await retrying(issued.secret).responses.create({ model: 'archibot', input: 'hi' }).then(() => undefined, (e: unknown) => e);
    expect(quota).toBeInstanceOf(OpenAI.RateLimitError);
    expect((quota as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    expect((quota as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('x-should-retry')).toBe('false');
    expect(sent).toBe(1);

    sent = 0;
    const denied = await retrying('archie_nonsense').models.list().then(() => undefined, (e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(sent).toBe(1);
  });
});
