import { readFileSync } from 'node:fs';
import { App, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlTowerChecks, type GuardMetadata, suppressControl, SUPPRESSIBLE_CONTROLS } from '../../lib/control-tower';
import { type CfnTemplate, cdkJsonContext, resourcesOfType, type SynthesizedStage, synthStage } from './synth-app';

/**
 * AWS Control Tower's proactive controls (cfn-guard with the bundled Control Tower rule sets,
 * the same plugin `cdk synth` runs from bin/app.ts) over the four production templates,
 * synthesized once for the whole file: cfn-guard is a child process over every template.
 */
describe('AWS Control Tower proactive controls, production (Stateful, Api, Events, Console)', () => {
  let s: SynthesizedStage;
  const checks = new ControlTowerChecks();
  const runs: Array<{ templates: string[]; violations: number }> = [];
  beforeAll(() => {
    const validate = checks.validate.bind(checks);
    checks.validate = (context) => {
      const report = validate(context);
      runs.push({ templates: context.templatePaths, violations: report.violations.length });
      return report;
    };
    // In-memory app mode: synthesis throws on any finding no reasoned suppression answers.
    s = synthStage('production', {}, { console: true, plugins: [checks] });
  }, 180_000);
  afterAll(() => s?.cleanup());

  const templates = (): Array<[string, CfnTemplate]> => [
    ['Stateful', s.statefulJson],
    ['Api', s.statelessJson],
    ['Events', s.assembly.getStackArtifact(s.stacks.events.artifactId).template as CfnTemplate],
    ['Console', s.consoleJson as CfnTemplate],
  ];
  const suppressions = () =>
    templates().flatMap(([stack, t]) =>
      Object.entries(t.Resources).flatMap(([id, r]) => {
        const guard = r.Metadata?.guard as GuardMetadata | undefined;
        return (guard?.SuppressedRules ?? []).map((rule) => ({ stack, id, type: r.Type, rule, reason: guard?.Reasons?.[rule] }));
      }),
    );

  it('has no unacknowledged cdk-nag finding either (production’s cdk-nag check lives here)', () => {
    // In-memory app mode: any cdk-nag error would have thrown from synth already; the assembly's
    // error messages are the second witness (Annotations.fromStack would synthesize again).
    for (const stack of [s.stacks.stateful, s.stacks.stateless, s.stacks.console as Stack]) {
      expect(s.assembly.getStackArtifact(stack.artifactId).messages.filter((m) => m.level === 'error')).toEqual([]);
    }
  });

  it('ran cfn-guard once over the four templates and left 0 findings', () => {
    expect(runs).toHaveLength(1);
    expect(runs[0]?.templates.map((p) => p.replace(/^.*\//, '')).sort()).toEqual(
      ['Console', 'Api', 'Events', 'Stateful'].map((n) => `Keywarden-production-${n}.template.json`).sort(),
    );
    expect(runs[0]?.violations).toBe(0);
    expect(s.consoleJson).toBeDefined();
  });

  it('meets the controls today’s design can meet: KMS grants, encrypted log groups, versioned buckets with lifecycles', () => {
    for (const [, t] of templates()) {
      for (const [id, key] of resourcesOfType(t, 'AWS::KMS::Key')) {
        const statements = (key.Properties as { KeyPolicy: { Statement: Array<Record<string, unknown>> } }).KeyPolicy.Statement;
        expect(statements, id).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
          }),
        );
        expect((key.Properties as { EnableKeyRotation: boolean }).EnableKeyRotation, id).toBe(true);
      }
      for (const [id, logGroup] of resourcesOfType(t, 'AWS::Logs::LogGroup')) {
        const kmsKeyId = (logGroup.Properties as { KmsKeyId?: { 'Fn::GetAtt': [string, string] } }).KmsKeyId;
        expect(t.Resources[kmsKeyId?.['Fn::GetAtt'][0] ?? '']?.Type, id).toBe('AWS::KMS::Key');
      }
      for (const [id, bucket] of resourcesOfType(t, 'AWS::S3::Bucket')) {
        const p = bucket.Properties as Record<string, { Status?: string; Rules?: unknown[]; EventBridgeConfiguration?: unknown }>;
        expect(p.VersioningConfiguration?.Status, id).toBe('Enabled');
        expect(p.LifecycleConfiguration?.Rules?.length, id).toBeGreaterThan(0);
        expect(p.NotificationConfiguration?.EventBridgeConfiguration, id).toEqual({ EventBridgeEnabled: true });
      }
    }
    expect(suppressions().filter((x) => x.rule === SUPPRESSIBLE_CONTROLS['CT.CLOUDWATCH.PR.2'])).toEqual([]);
  });

  it('answers every other finding on the resource itself, with its control and reason, and no suppression is stale', () => {
    const all = suppressions();
    expect(all.length).toBeGreaterThan(0);
    const controlOf = Object.fromEntries(Object.entries(SUPPRESSIBLE_CONTROLS).map(([control, rule]) => [rule, control]));
    for (const x of all) {
      expect(controlOf[x.rule], `${x.stack}/${x.id}: ${x.rule}`).toBeDefined();
      expect(x.reason, `${x.stack}/${x.id}: ${x.rule}`).toMatch(new RegExp(`^${controlOf[x.rule]?.replace(/\./g, '\\.')}: .{40,}`));
    }
    // Each suppression answered a finding of this very run, and each answered finding was suppressed here.
    const answered = checks.suppressed.map((x) => `${x.resource} ${x.rule}`).sort();
    expect([...new Set(answered)]).toEqual(all.map((x) => `${x.id} ${x.rule}`).sort());
  });

  it('documents every control it answers otherwise in docs/operating.md', () => {
    const doc = readFileSync(new URL('../../docs/operating.md', import.meta.url), 'utf8');
    const controlOf = Object.fromEntries(Object.entries(SUPPRESSIBLE_CONTROLS).map(([control, rule]) => [rule, control]));
    for (const control of new Set(suppressions().map((x) => controlOf[x.rule] as string))) expect(doc, control).toContain(control);
  });

  it('records no query string in any access log of /v1/* (API Gateway and CloudFront)', () => {
    // API Gateway: the access log format names the route template, never the request path or query.
    const [, stage] = resourcesOfType(s.statelessJson, 'AWS::ApiGateway::Stage')[0] ?? [];
    const format = (stage?.Properties as { AccessLogSetting: { Format: string } }).AccessLogSetting.Format;
    const variables = Object.values(JSON.parse(format) as Record<string, string>);
    expect(variables).toContain('$context.resourcePath');
    for (const v of variables) {
      expect(v).toMatch(/^\$context\.[A-Za-z.]+$/);
      expect(v).not.toMatch(/^\$context\.(path|requestOverride|responseOverride)|querystring|\$input|\$method/i);
    }
    // CloudFront: no standard logs (v1 always has cs-uri-query) and no v2 delivery that could.
    for (const [, t] of templates()) {
      for (const [id, d] of resourcesOfType(t, 'AWS::CloudFront::Distribution')) {
        const config = (d.Properties as { DistributionConfig: Record<string, unknown> }).DistributionConfig;
        expect(config.Logging, id).toBeUndefined();
        // The files origin gets no query string either (S3 server access logs): no origin request
        // policy, and a cache policy that leaves query strings out.
        const behavior = config.DefaultCacheBehavior as Record<string, unknown>;
        expect(behavior.OriginRequestPolicyId, id).toBeUndefined();
        expect(behavior.CachePolicyId, id).toBe('658327ea-f89d-4fab-a63d-7e88639e58f6'); // CachingOptimized: no query strings
      }
      for (const [id, delivery] of resourcesOfType(t, 'AWS::Logs::Delivery')) {
        const fields = (delivery.Properties as { RecordFields?: string[] }).RecordFields;
        expect(fields, id).toBeDefined();
        expect(fields?.filter((f) => /query|uri/i.test(f)), id).toEqual([]);
      }
    }
  });
});

describe('the Control Tower plugin fails synthesis on a finding', () => {
  it('reports what no reasoned suppression answers, and only that', () => {
    // Three stacks, one synthesis (one cfn-guard run): each has a log group without a KMS key
    // (CT.CLOUDWATCH.PR.3) and a Lambda permission for a service with no source (CT.LAMBDA.PR.2).
    const app = new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:appMode': 'inmemory' } });
    const intruder = (id: string) => {
      const stack = new Stack(app, id);
      const logGroup = new LogGroup(stack, 'Logs', { retention: RetentionDays.THIRTEEN_MONTHS });
      const permission = new CfnPermission(stack, 'Invoke', { action: 'lambda:InvokeFunction', functionName: 'f', principal: 's3.amazonaws.com' });
      return { logGroup: logGroup.node.defaultChild as CfnResource, permission };
    };
    intruder('Plain');
    const unreasoned = intruder('Unreasoned');
    // Named, but without a reason: still a finding.
    unreasoned.logGroup.addMetadata('guard', { SuppressedRules: ['cloudwatch_log_group_encrypted_check'] });
    // A reasoned suppression of another rule does not hide this one.
    suppressControl(unreasoned.permission, 'CT.LAMBDA.PR.3', 'not the rule this permission breaks, so it must still be reported.');
    const reasoned = intruder('Reasoned');
    reasoned.logGroup.addMetadata('guard', {
      SuppressedRules: ['cloudwatch_log_group_encrypted_check'],
      Reasons: { cloudwatch_log_group_encrypted_check: 'CT.CLOUDWATCH.PR.3: a test stand-in for a reasoned suppression.' },
    });
    suppressControl(reasoned.permission, 'CT.LAMBDA.PR.2', 'a test stand-in for a reasoned suppression of this rule.');
    Validations.of(app).addPlugins(new ControlTowerChecks());

    let error = '';
    try {
      app.synth();
    } catch (err) {
      error = String(err);
    }
    expect(error).toContain('CT.CLOUDWATCH.PR.3');
    expect(error).toContain('CT.LAMBDA.PR.2');
    for (const path of ['Plain/Logs', 'Plain/Invoke', 'Unreasoned/Logs', 'Unreasoned/Invoke']) expect(error).toContain(path);
    expect(error).not.toContain('Reasoned/');
  });
});
