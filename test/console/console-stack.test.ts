import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../console/build';
import { addKeywardenStage } from '../../lib/keywarden-app';
import { STAGES } from '../../lib/stage-config';
import { cdkJsonContext, quietBundling } from '../lib/synth-app';

describe('the console stack (S3 + CloudFront, /v1/* to the API on the same origin)', () => {
  it('synthesizes cdk-nag clean, with private files, the page’s CSP and /v1/* routed to the API', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'keywarden-console-cdk-'));
    try {
      const app = new App({ outdir, context: { ...cdkJsonContext(), '@aws-cdk/core:appMode': 'inmemory' } });
      const config = STAGES.production;
      const console = quietBundling(() => {
        // As bin/app.ts adds a stage: the console is one of its stacks.
        return addKeywardenStage(app, config, { console: true }).console!;
      });
      // In-memory app mode: synth throws on any unacknowledged cdk-nag finding.
      app.synth();
      const t = Template.fromStack(console);
      t.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
      });
      t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
      t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
        ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Match.objectLike({ ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true } }) },
      });
      t.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
          CacheBehaviors: [Match.objectLike({ PathPattern: '/v1/*', AllowedMethods: Match.arrayWith(['POST', 'DELETE']), ViewerProtocolPolicy: 'https-only' })],
          Origins: Match.arrayWith([Match.objectLike({ OriginPath: `/${config.apiStageName}`, CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })]),
        }),
      });
      t.resourceCountIs('Custom::CDKBucketDeployment', 1);
      expect(Object.keys(t.findOutputs('ConsoleUrl'))).toHaveLength(1);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 180_000);
});
