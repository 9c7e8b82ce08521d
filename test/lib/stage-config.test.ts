import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGE, resolveStageConfig, STAGE_NAMES, STAGES, StageConfigError } from '../../lib/stage-config';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('stage config', () => {
  it('defaults to development', () => {
    expect(DEFAULT_STAGE).toBe('development');
    expect(resolveStageConfig(reader({})).stage).toBe('development');
  });

  it('has development, staging and production with consistent names', () => {
    expect([...STAGE_NAMES]).toEqual(['development', 'staging', 'production']);
    for (const name of STAGE_NAMES) {
      const c = STAGES[name];
      expect(c.stage).toBe(name);
      expect(c.resourcePrefix).toBe(`keywarden-${name}`);
      expect(c.stackPrefix).toBe(`Keywarden-${name}`);
      expect(c.pointInTimeRecovery).toBe(true);
    }
  });

  it('protects production data', () => {
    const p = STAGES.production;
    expect(p.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(p.deletionProtection).toBe(true);
  });

  it('applies operator overrides from context', () => {
    const c = resolveStageConfig(
      reader({
        stage: 'staging',
        alarmEmail: 'ops@example.com',
        upstreamBaseUrl: 'https://llm.example.com/v1',
        models: 'archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano',
        domainName: 'keys.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
      }),
    );
    expect(c.alarmEmail).toBe('ops@example.com');
    expect(c.upstreamBaseUrl).toBe('https://llm.example.com/v1');
    expect(c.models).toBe('archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano');
    expect(c.customDomain).toEqual({ domainName: 'keys.example.com', certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' });
  });

  it('fails loudly on an unknown stage or a malformed override', () => {
    expect(() => resolveStageConfig(reader({ stage: 'prod' }))).toThrow(StageConfigError);
    expect(() => resolveStageConfig(reader({ stage: 'prod' }))).toThrow(/development, staging, production/);
    expect(() => resolveStageConfig(reader({ alarmEmail: 'not-an-email' }))).toThrow(/alarmEmail/);
    expect(() => resolveStageConfig(reader({ upstreamBaseUrl: 'ftp://x' }))).toThrow(/upstreamBaseUrl/);
    // slackApiUrl (GovSlack, a proxy): https, or http on loopback only; never with userinfo.
    for (const bad of ['http://slack-proxy.example/api/', 'https://u:p@slack-gov.com/api/', 'slack-gov.com/api/'])
      expect(() => resolveStageConfig(reader({ slackApiUrl: bad })), bad).toThrow(/slackApiUrl/);
    expect(resolveStageConfig(reader({ slackApiUrl: 'https://slack-gov.com/api/' })).slackApiUrl).toBe('https://slack-gov.com/api/');
    expect(resolveStageConfig(reader({ slackApiUrl: 'http://127.0.0.1:4555/api/' })).slackApiUrl).toBe('http://127.0.0.1:4555/api/');
    expect(resolveStageConfig(reader({})).slackApiUrl).toBeUndefined();
    expect(() => resolveStageConfig(reader({ models: 'archibot=gpt=4' }))).toThrow(/models/);
    expect(() => resolveStageConfig(reader({ models: 'a,a' }))).toThrow(/listed twice/);
    expect(() => resolveStageConfig(reader({ domainName: 'keys.example.com' }))).toThrow(/certificateArn/);
    expect(() => resolveStageConfig(reader({ consoleDomainName: 'console.example.com' }))).toThrow(/consoleCertificateArn/);
    // CloudFront takes its certificate from us-east-1 only.
    expect(() =>
      resolveStageConfig(reader({ consoleDomainName: 'console.example.com', consoleCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' })),
    ).toThrow(/us-east-1/);
    expect(
      resolveStageConfig(reader({ consoleDomainName: 'console.example.com', consoleCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' }))
        .consoleDomain,
    ).toEqual({ domainName: 'console.example.com', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' });
  });
});
