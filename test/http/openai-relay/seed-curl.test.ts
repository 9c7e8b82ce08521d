import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../../lambdas/adapters/local-model';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { SEED_HOST, SEED_MODELS, SEED_RESPONSES, SEED_STREAMED } from './seed-examples';
import { balance, createKey, credits } from './stack-helpers';

/**
 * Seed 000's three curl examples (./seed-examples.ts), run by the real `curl` binary through a
 * shell with ARCHIBOT_API_KEY in its environment, against the local stack.
 */

const run = promisify(execFile);
let stack: TestStack;
let apiKey: string;

/** Runs a seed command with the host swapped for the local stack's. Only PATH and the key are in the env. */
async function seed(command: string): Promise<string> {
  expect(command).toContain(SEED_HOST);
  const { stdout } = await run('/bin/sh', ['-c', command.replaceAll(SEED_HOST, stack.url)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARCHIBOT_API_KEY: apiKey },
    timeout: 20_000,
  });
  return stdout;
}

beforeAll(async () => {
  stack = await startTestStack();
  apiKey = (await createKey(stack, { name: 'seed curl', type: 'viewer' })).key;
});

afterAll(async () => {
  await stack?.stop();
});

describe('seed 000 curl examples against the local stack', () => {
  it('POST /v1/responses', async () => {
    const before = await balance(stack);
    const body = JSON.parse(await seed(SEED_RESPONSES)) as { object: string; status: string; output_text: string; usage: { total_tokens: number } };
    expect(body.object).toBe('response');
    expect(body.status).toBe('completed');
    expect(body.output_text).toContain(LOCAL_MODEL_LABEL);
    expect(body.output_text).toContain('Summarize this Archibus request queue export.');
    expect(await balance(stack)).toBe(credits(before - (body.usage.total_tokens * 0.5) / 1000));
  });

  it('curl -N streamed POST /v1/responses', async () => {
    const before = await balance(stack);
    const out = await seed(SEED_STREAMED);
    const events = out
      .split('\n\n')
      .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
      .filter((line): line is string => line !== undefined)
      .map((line) => JSON.parse(line.slice('data: '.length)) as { type: string; delta?: string });
    expect(events[0]?.type).toBe('response.created');
    expect(events.at(-1)?.type).toBe('response.completed');
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    expect(text).toContain('Draft a short work plan for this Archibus data cleanup.');
    expect(out).not.toMatch(/credits/i);
    // Billed by the usage the stream reported in response.completed, like the same call unstreamed.
    const usage = (events.at(-1) as unknown as { response: { usage: { total_tokens: number } } }).response.usage;
    expect(usage.total_tokens).toBeGreaterThan(0);
    expect(await balance(stack)).toBe(credits(before - credits((usage.total_tokens * 0.5) / 1000)));
  });

  it('GET /v1/models, which draws nothing', async () => {
    const before = await balance(stack);
    const body = JSON.parse(await seed(SEED_MODELS)) as { object: string; data: { id: string }[] };
    expect(body).toMatchObject({ object: 'list', data: [{ id: 'archibot', object: 'model' }] });
    expect(await balance(stack)).toBe(before);
  });

  it('curl -i shows the billing evidence and rate-limit headers on the streamed answer', async () => {
    const out = await seed(SEED_STREAMED.replace('curl -N', 'curl -N -i'));
    const head = out.slice(0, out.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toMatch(/^http\/1\.1 200/);
    for (const name of ['x-archibot-request-id', 'x-archibot-credits-charged: 1', 'x-archibot-credits-remaining', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      expect(head).toContain(name);
    }
  });
});
