import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../lambdas/adapters/local-model';
import { startTestStack, type TestStack } from '../support/local-stack';
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
