import { describe, expect, it } from 'vitest';
import { resolveStageConfig, StageConfigError } from '../../lib/stage-config';
import { functionLogicalId, functionRole, roleStatements, synthStage } from './synth-app';

/**
 * More than one upstream in AWS (issue 24 point 5): the stage's `modelUpstreams` context (an
 * object in cdk.json, or JSON with `-c`) reaches the service functions as MODEL_UPSTREAMS, a bad
 * deployment fails synth with the check the service runs at start, and the responses function —
 * the one that calls upstreams — may read each deployment's key secret and no other.
 */
const reader = (context: Record<string, unknown>) => (key: string) => context[key];
const MODELS = 'large=gpt-large,mini=gpt-mini';
const COMPLETE_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keywarden/upstream-west-AbC123';
const UPSTREAMS = {
  large: [
    { name: 'east', baseUrl: 'https://east.example.com/v1', secret: 'keywarden/upstream-east', model: 'gpt-large' },
    { name: 'west', baseUrl: 'https://west.example.com/openai/v1', secret: COMPLETE_ARN, model: 'gpt-large-2024', prices: { input: 2, output: 8 } },
  ],
  mini: [{ name: 'platform', baseUrl: 'https://api.example.com/v1' }],
};

describe('modelUpstreams (CDK context)', () => {
  it('takes the object from cdk.json or its JSON text from -c', () => {
    expect(resolveStageConfig(reader({ models: MODELS, modelUpstreams: UPSTREAMS })).modelUpstreams).toEqual(UPSTREAMS);
    expect(resolveStageConfig(reader({ models: MODELS, modelUpstreams: JSON.stringify(UPSTREAMS) })).modelUpstreams).toEqual(UPSTREAMS);
    expect(resolveStageConfig(reader({})).modelUpstreams).toBeUndefined();
  });

  const one = (deployment: Record<string, unknown>) => ({ models: MODELS, modelUpstreams: { large: [{ name: 'east', baseUrl: 'https://east.example.com/v1', ...deployment }] } });
  it.each([
    [one({ baseUrl: 'ftp://east.example.com/v1' }), /modelUpstreams \(large\.0\.baseUrl: not an http\(s\) URL\)/],
    [one({ baseUrl: 'https://user:pass@east.example.com/v1' }), /large\.0\.baseUrl: carries credentials/],
    [one({ baseUrl: 'https://east.example.com/v1?api-version=1' }), /large\.0\.baseUrl: has a query or fragment/],
    [one({ name: 'east west' }), /large\.0\.name: not a deployment name/],
    [one({ secret: 'arn:aws:s3:::bucket' }), /east: secret "arn:aws:s3:::bucket" is not a Secrets Manager secret ARN/],
    [one({ secert: 'x' }), /large\.0: unknown field secert/],
    [{ models: MODELS, modelUpstreams: { large: [] } }, /large: lists no deployment/],
    [{ models: MODELS, modelUpstreams: { archibot: UPSTREAMS.large } }, /archibot: not a model in the catalog/],
    [{ models: MODELS, modelUpstreams: { large: [UPSTREAMS.large[0], UPSTREAMS.large[0]] } }, /large: deployment listed twice: east/],
    [{ models: MODELS, modelUpstreams: { ...UPSTREAMS, mini: [{ ...UPSTREAMS.large[0], baseUrl: 'https://elsewhere.example.com/v1' }] } }, /mini: deployment east names another URL or secret/],
    [{ models: MODELS, modelUpstreams: '{"large":' }, /context "modelUpstreams" must be JSON/],
    [{ upstreamBaseUrl: 'https://key:secret@api.example.com/v1' }, /upstreamBaseUrl "https:\/\/key:secret@api\.example\.com\/v1" \(carries credentials/],
  ])('refuses a bad deployment at synth: %j', (context, message) => {
    expect(() => resolveStageConfig(reader(context))).toThrow(StageConfigError);
    expect(() => resolveStageConfig(reader(context))).toThrow(message);
    expect(() => synthStage('development', context)).toThrow(message);
  });

  // Synthesis of both stacks takes a while on a busy machine.
  it('reaches the service functions as MODEL_UPSTREAMS; the responses function reads exactly the deployments’ secrets', { timeout: 180_000 }, () => {
    const s = synthStage('development', { models: MODELS, modelUpstreams: JSON.stringify(UPSTREAMS), 'aws:cdk:bundling-stacks': [] });
    try {
      const responses = functionLogicalId(s.statelessJson, s.config, 'responses');
      const vars = (s.statelessJson.Resources[responses]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(JSON.parse(vars.MODEL_UPSTREAMS as string)).toEqual(UPSTREAMS);
      const statements = roleStatements(s.statelessJson, functionRole(s.statelessJson, responses));
      const read = statements.filter((st) => st.Sid === 'ReadUpstreamDeploymentKeys');
      expect(read).toHaveLength(1);
      expect(read[0]!.Action).toBe('secretsmanager:GetSecretValue');
      const resources = JSON.stringify(read[0]!.Resource);
      // The named secret by its ARN and 6-character suffix; the complete ARN as given; nothing else.
      expect((read[0]!.Resource as unknown[]).length).toBe(2);
      expect(resources).toContain(':secret:keywarden/upstream-east-??????');
      expect(resources).toContain(COMPLETE_ARN);
      expect(resources).not.toContain('*');
      // The API function calls no upstream: no deployment secret for it.
      const api = functionLogicalId(s.statelessJson, s.config, 'api');
      expect(roleStatements(s.statelessJson, functionRole(s.statelessJson, api)).some((st) => st.Sid === 'ReadUpstreamDeploymentKeys')).toBe(false);
    } finally {
      s.cleanup();
    }
  });
});
