import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../lambdas/config';
import { Billing } from '../../../lambdas/core/billing';

/**
 * MODEL_PRICES (issue 24 point 4), read at start: JSON naming catalog models, checked against the
 * catalog; a mistake is one line naming the model and the field, and `npm start` exits on it.
 */
const env = { TABLE_NAME: 't', MODELS: 'large=gpt-large,mini' };
const load = (prices: string) => loadConfig({ ...env, MODEL_PRICES: prices });

describe('MODEL_PRICES', () => {
  it('attaches each model’s prices to its catalog entry; a model not named keeps none (the global prices)', () => {
    const config = load('{"large":{"input":2,"output":8,"cachedInput":0.5,"perRequest":3,"reserve":5}}');
    expect(config.models).toEqual([
      { id: 'large', upstream: 'gpt-large', prices: { input: 2, output: 8, cachedInput: 0.5, perRequest: 3, reserve: 5 } },
      { id: 'mini', upstream: 'mini' },
    ]);
    expect(loadConfig(env).models.every((m) => m.prices === undefined)).toBe(true);
    expect(load(' ').models.every((m) => m.prices === undefined)).toBe(true);
  });

  it.each([
    ['{"large":{"input":2,"output":-1}}', /^invalid configuration: MODEL_PRICES: large\.output: not a non-negative number$/],
    ['{"large":{"input":2}}', /^invalid configuration: MODEL_PRICES: large\.output: missing$/],
    ['{"large":{"input":1e200,"output":1}}', /^invalid configuration: MODEL_PRICES: large\.input: more than 1,000,000 credits$/],
    ['{"large":{"input":"2","output":1}}', /^invalid configuration: MODEL_PRICES: large\.input: not a number$/],
    ['{"large":{"input":2,"output":1,"cached":1}}', /^invalid configuration: MODEL_PRICES: large: unknown field cached$/],
    ['{"larg":{"input":2,"output":1}}', /^invalid configuration: MODEL_PRICES: larg: not a model in the catalog$/],
    ['{"large":{"input":2,"output":1}', /^invalid configuration: MODEL_PRICES: not JSON/],
    ['[1]', /^invalid configuration: MODEL_PRICES: not an object of model prices$/],
  ])('%s is refused in one line naming what is wrong', (prices, message) => {
    expect(() => load(prices)).toThrow(ConfigError);
    expect(() => load(prices)).toThrow(message);
  });

  it('billing: the model’s reserve and per-request price, else the global ones; its token prices apart', () => {
    const billing = new Billing({ perRequest: 1, per1kTokens: 0.5, reserve: 1 });
    const [large, mini] = load('{"large":{"input":2,"output":8,"cachedInput":0.5,"perRequest":3,"reserve":5},"mini":{"input":0.1,"output":0.4}}').models;
    expect(billing.reserveAmount(large!.prices)).toBe(5);
    expect(billing.reserveAmount(mini!.prices)).toBe(1);
    expect(billing.reserveAmount()).toBe(1);
    expect(billing.priceOf(undefined, large!.prices)).toBe(3);
    expect(billing.priceOf(undefined, mini!.prices)).toBe(1);
    // Cached tokens are part of the input: never more of them than the input counts.
    expect(billing.priceOf({ inputTokens: 10, outputTokens: 0, totalTokens: 10, cachedInputTokens: 50 }, large!.prices)).toBe(0.005);
    // A total with no breakdown is priced as output (the dearer kind), never as nothing.
    expect(billing.priceOf({ inputTokens: 0, outputTokens: 0, totalTokens: 1000 }, large!.prices)).toBe(8);
    expect(billing.priceOf({ totalTokens: 1000 })).toBe(0.5);
  });
});

describe('npm start with a bad MODEL_PRICES', () => {
  const root = mkdtempSync(join(tmpdir(), 'keywarden-prices-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exits 1 with one line naming the model and the field, and creates nothing', async () => {
    const dataDir = join(root, 'data');
    const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/local-server.ts'], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: '', MODELS: 'archibot,archibot-mini', MODEL_PRICES: '{"archibot-mini":{"input":0.1,"output":"cheap"}}' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: unknown; stderr: string }) => ({ code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr }),
    );
    expect(out.code, out.stderr).toBe(1);
    expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
    expect(out.stderr.trim()).toBe('error: invalid configuration: MODEL_PRICES: archibot-mini.output: not a number');
    expect(existsSync(dataDir)).toBe(false);
  });
});
