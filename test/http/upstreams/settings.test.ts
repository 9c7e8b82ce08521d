import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiCompatibleUpstream } from '../../../lambdas/adapters/upstream';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { ConfigError, loadConfig } from '../../../lambdas/config';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';
import { startStandInUpstream, type StandInUpstream, type UpstreamRequest } from '../openai-relay/stand-in-upstream';

/**
 * More than one upstream (issue 24 point 5): what MODEL_UPSTREAMS may say, checked at start with
 * one line naming the model and the field; the one upstream URL check, for UPSTREAM_BASE_URL and in
 * the adapter too; a local deployment's key that is not in the environment stops the start; and
 * without UPSTREAM_ATTEMPT_TIMEOUT_MS the attempts share UPSTREAM_TIMEOUT_MS, the call never
 * waiting longer than it.
 */
const env = (upstreams: unknown, extra: Record<string, string> = {}) => ({
  TABLE_NAME: 't',
  MODELS: 'large=gpt-large,mini',
  MODEL_UPSTREAMS: typeof upstreams === 'string' ? upstreams : JSON.stringify(upstreams),
  ...extra,
});
const east = { name: 'east', baseUrl: 'https://east.example.com/v1', secret: 'east' };

describe('MODEL_UPSTREAMS at start', () => {
  it('attaches each listed model its deployments, the upstream model defaulting to the catalog mapping; unlisted models keep none', () => {
    const config = loadConfig(env({ large: [east, { name: 'west', baseUrl: 'http://127.0.0.1:9/v1', model: 'org/gpt-west', prices: { input: 1, output: 2 } }] }));
    expect(config.models).toEqual([
      {
        id: 'large',
        upstream: 'gpt-large',
        deployments: [
          { ...east, model: 'gpt-large' },
          { name: 'west', baseUrl: 'http://127.0.0.1:9/v1', model: 'org/gpt-west', prices: { input: 1, output: 2 } },
        ],
      },
      { id: 'mini', upstream: 'mini' },
    ]);
    expect(config.upstreams).toEqual({ coolDownFailures: 3, coolDownMs: 30_000, attemptTimeoutMs: undefined });
    expect(loadConfig({ TABLE_NAME: 't' }).models[0]!.deployments).toBeUndefined();
  });

  it.each([
    ['{"large":', /MODEL_UPSTREAMS: not JSON/],
    [{ large: [{ ...east, baseUrl: 'file:///etc/passwd' }] }, /MODEL_UPSTREAMS: large\.0\.baseUrl: not an http\(s\) URL/],
    [{ large: [{ ...east, baseUrl: 'https://sk-live:x@east.example.com/v1' }] }, /large\.0\.baseUrl: carries credentials/],
    [{ large: [{ ...east, baseUrl: 'not a url' }] }, /large\.0\.baseUrl: not a URL/],
    [{ large: [{ ...east, secret: 'east key' }] }, /large\.0\.secret: not a secret name or ARN/],
    [{ large: [{ ...east, prices: { input: 1 } }] }, /large\.0\.prices\.output: missing/],
    [{ large: [east, east] }, /large: deployment listed twice: east/],
    [{ large: [east], mini: [{ ...east, secret: 'other' }] }, /mini: deployment east names another URL or secret/],
    [{ nano: [east] }, /nano: not a model in the catalog/],
    [{ large: Array.from({ length: 9 }, (_, i) => ({ ...east, name: `d${i}` })) }, /large: more than 8 deployments/],
  ])('refuses %j with one line', (value, message) => {
    expect(() => loadConfig(env(value))).toThrow(ConfigError);
    expect(() => loadConfig(env(value))).toThrow(message);
  });

  it('UPSTREAM_BASE_URL goes through the same check, and so does the adapter itself', () => {
    expect(() => loadConfig({ TABLE_NAME: 't', UPSTREAM_BASE_URL: 'https://key:secret@api.example.com/v1' })).toThrow(/UPSTREAM_BASE_URL: carries credentials/);
    expect(loadConfig({ TABLE_NAME: 't', UPSTREAM_BASE_URL: 'http://127.0.0.1:8080/v1' }).upstreamBaseUrl).toBe('http://127.0.0.1:8080/v1');
    const secrets = new StaticSecretsProvider({ upstream: { apiKey: 'sk-platform' } });
    expect(() => new OpenAiCompatibleUpstream('gopher://127.0.0.1/v1', secrets)).toThrow(/not an http\(s\) URL/);
    expect(() => new OpenAiCompatibleUpstream('https://api.example.com/v1?key=1', secrets)).toThrow(/query or fragment/);
  });

  it('locally, a deployment whose key is not in the environment stops the start, naming the variable', async () => {
    const { TABLE_NAME: _table, ...local } = env({ large: [east] });
    await expect(startTestStack(local)).rejects.toThrow(/MODEL_UPSTREAMS: no key for a deployment's secret \(UPSTREAM_API_KEY_EAST;/);
  });

  it('locally, a deployment’s key may be in the data dir’s secrets.json instead (upstreams.<secret>.apiKey)', async () => {
    const { TABLE_NAME: _table, ...local } = env({ large: [east] });
    const dir = mkdtempSync(join(tmpdir(), 'keywarden-upstream-keys-'));
    try {
      // A first start writes the data dir's secrets; the deployment's key is then added to them.
      await (await startTestStack({}, {}, dir)).stop();
      const file = join(dir, 'secrets.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), upstreams: { east: { apiKey: 'sk-east-from-file' } } }), { mode: 0o600 });
      const stack = await startTestStack(local, {}, dir);
      await stack.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('time', () => {
  let silent: StandInUpstream;
  let stack: TestStack;

  beforeAll(async () => {
    // Never a byte, from either deployment.
    silent = await startStandInUpstream((_req: UpstreamRequest, _res: ServerResponse) => undefined);
    stack = await startTestStack({
      MODELS: 'slow',
      MODEL_UPSTREAMS: JSON.stringify({ slow: [{ name: 'slow-a', baseUrl: `${silent.baseUrl}/a` }, { name: 'slow-b', baseUrl: `${silent.baseUrl}/b` }] }),
      UPSTREAM_API_KEY: 'sk-platform',
      // Long enough that a loaded machine's delays (hundreds of ms) cannot blur half of it into all of it.
      UPSTREAM_TIMEOUT_MS: '2400',
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await silent?.close();
  });

  it('without UPSTREAM_ATTEMPT_TIMEOUT_MS each attempt gets its share, and the call ends at UPSTREAM_TIMEOUT_MS with the single upstream’s 504', async () => {
    const key = (await createKey(stack, { name: 'slow caller', type: 'viewer' })).key;
    const started = performance.now();
    const res = await stack.call('/v1/responses', { key, body: { model: 'slow', input: 'wait' } });
    const ms = performance.now() - started;
    expect(res.status).toBe(504);
    await res.text();
    expect(ms).toBeGreaterThanOrEqual(2_350);
    expect(ms).toBeLessThan(6_000);
    const [a, b] = [silent.requests.find((r) => r.url.startsWith('/v1/a/')), silent.requests.find((r) => r.url.startsWith('/v1/b/'))];
    // The first was given up after about half of the time (1,200 ms), not all of it (2,400), the second had the rest; both with the platform key.
    expect(b!.receivedAt - a!.receivedAt).toBeGreaterThanOrEqual(1_150);
    expect(b!.receivedAt - a!.receivedAt).toBeLessThan(2_200);
    expect(a!.headers.authorization).toBe('Bearer sk-platform');
  });
});
