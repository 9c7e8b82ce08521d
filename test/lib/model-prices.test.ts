import { describe, expect, it } from 'vitest';
import { resolveStageConfig, StageConfigError } from '../../lib/stage-config';
import { functionLogicalId, synthStage } from './synth-app';

/**
 * Prices per model in AWS (issue 24 point 4): the stage's `modelPrices` context (an object in
 * cdk.json, or JSON with `-c`) reaches the service functions as MODEL_PRICES, and a bad price
 * fails synth before any construct is created — the same check the service runs at start.
 */
const reader = (context: Record<string, unknown>) => (key: string) => context[key];
const MODELS = 'large=gpt-large,mini=gpt-mini';
const PRICES = { large: { input: 2, output: 8, cachedInput: 0.5, reserve: 5 }, mini: { input: 0.1, output: 0.4 } };

describe('modelPrices (CDK context)', () => {
  it('takes the object from cdk.json or its JSON text from -c', () => {
    expect(resolveStageConfig(reader({ models: MODELS, modelPrices: PRICES })).modelPrices).toEqual(PRICES);
    expect(resolveStageConfig(reader({ models: MODELS, modelPrices: JSON.stringify(PRICES) })).modelPrices).toEqual(PRICES);
    expect(resolveStageConfig(reader({})).modelPrices).toBeUndefined();
  });

  it.each([
    [{ models: MODELS, modelPrices: { large: { input: 2, output: -8 } } }, /modelPrices \(large\.output: not a non-negative number\)/],
    [{ models: MODELS, modelPrices: { large: { input: 2, output: 8, cahcedInput: 1 } } }, /modelPrices \(large: unknown field cahcedInput\)/],
    [{ models: MODELS, modelPrices: { archibot: { input: 2, output: 8 } } }, /modelPrices \(archibot: not a model in the catalog\)/],
    // Without `models`, the catalog is the default `archibot` alone.
    [{ modelPrices: { large: { input: 2, output: 8 } } }, /modelPrices \(large: not a model in the catalog\)/],
    [{ models: MODELS, modelPrices: '{"large":' }, /context "modelPrices" must be JSON/],
    // Valid, but more than a Lambda environment holds beside the rest.
    [
      { models: Array.from({ length: 120 }, (_, i) => `model-${i}=upstream-model-${i}`).join(','), modelPrices: Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`model-${i}`, { input: 1.25, output: 5 }])) },
      /models and modelPrices \(\d+ bytes of the Lambda environment; at most 2800/,
    ],
  ])('refuses a bad price at synth: %j', (context, message) => {
    expect(() => resolveStageConfig(reader(context))).toThrow(StageConfigError);
    expect(() => resolveStageConfig(reader(context))).toThrow(message);
    // synthStage resolves the stage exactly as bin/app.ts does: nothing is synthesized.
    expect(() => synthStage('development', context)).toThrow(message);
  });

  it('reaches the service functions as MODEL_PRICES, beside MODELS', () => {
    // Bundling skipped: only the template's environment is under test.
    const s = synthStage('development', { models: MODELS, modelPrices: JSON.stringify(PRICES), 'aws:cdk:bundling-stacks': [] });
    try {
      const fn = s.statelessJson.Resources[functionLogicalId(s.statelessJson, s.config, 'responses')]!;
      const vars = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(vars.MODELS).toBe(MODELS);
      expect(JSON.parse(vars.MODEL_PRICES as string)).toEqual(PRICES);
    } finally {
      s.cleanup();
    }
  });
});
