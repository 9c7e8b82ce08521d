import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import { resolveStageConfig, StageConfigError } from '../../lib/stage-config';
import { startTestStack, type TestStack } from '../support/local-stack';

/** In AWS the console is not beside the API: CONSOLE_URL (stage `consoleUrl`) is where sign-in links point. */
const ADMIN = 'slack:T1:UADMIN';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN, CONSOLE_URL: 'https://console.example.com' });
});
afterAll(async () => stack?.stop());

describe('CONSOLE_URL', () => {
  it('a chat sign-in link points at the configured console, not the API host', async () => {
    const viewerKey = stack.secrets.botViewerKeys!.slack;
    const kid = (await stack.json('/v1/me', { key: viewerKey })).body.id;
    const headers = { [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub: ADMIN, bot: 'slack', kid }, stack.clock.now()) };
    const res = await stack.json('/v1/console/links', { key: viewerKey, body: {}, headers });
    expect(res.status).toBe(201);
    expect(res.body.url).toMatch(/^https:\/\/console\.example\.com\/console\/#link=/);
  });

  it('the stage takes -c consoleUrl=https://… and refuses anything else', () => {
    const read = (values: Record<string, string>) => (key: string) => values[key];
    expect(resolveStageConfig(read({ stage: 'production', consoleUrl: 'https://d123.cloudfront.net' })).consoleUrl).toBe('https://d123.cloudfront.net');
    expect(() => resolveStageConfig(read({ consoleUrl: 'http://d123.cloudfront.net' }))).toThrow(StageConfigError);
    expect(() => resolveStageConfig(read({ consoleUrl: 'https:// spaced.example' }))).toThrow(/consoleUrl/);
    // The stack's ConsoleUrl output (with its /console path) works as it is: only the origin counts.
    expect(resolveStageConfig(read({ consoleUrl: 'https://d123.cloudfront.net/console' })).consoleUrl).toBe('https://d123.cloudfront.net/console');
  });
});
