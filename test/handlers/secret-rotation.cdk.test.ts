import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asArray,
  type CfnResource,
  type CfnTemplate,
  functionLogicalId,
  functionRole,
  onlyResourceOfType,
  roleStatements,
  type SynthesizedStage,
  synthStage,
} from '../lib/synth-app';

/**
 * The rotation function as deployed (lib/keywarden-secret-rotation.ts, in the events stack):
 * synthesized as `cdk synth` does, cdk-nag included (an unacknowledged finding throws). What it
 * may touch is the contract docs/operating.md gives customers: tagged secrets of this account,
 * the four rotation calls, its rotator secret — no table, no service secret, no other key.
 */
let s: SynthesizedStage;
let events: CfnTemplate;
beforeAll(() => {
  s = synthStage('production');
  events = s.assembly.getStackArtifact(s.stacks.events.artifactId).template as CfnTemplate;
}, 180_000);
afterAll(() => s?.cleanup());

const props = <T>(r: CfnResource | undefined) => r?.Properties as T;
const fnId = () => functionLogicalId(events, s.config, 'secret-rotation');
const rotatorId = () => onlyResourceOfType(events, 'AWS::SecretsManager::Secret')[0];

describe('the secret rotation function (events stack)', () => {
  it('runs lambdas/handlers/secret-rotation.ts on arm64 with the API URL, its rotator secret and the overlap, and nothing of the service', () => {
    const fn = props<{ Runtime: string; Architectures: string[]; Environment: { Variables: Record<string, unknown> }; VpcConfig?: unknown }>(events.Resources[fnId()]);
    expect(fn.Architectures).toEqual(['arm64']);
    expect(Number(/^nodejs(\d+)\.x$/.exec(fn.Runtime)?.[1])).toBeGreaterThanOrEqual(22);
    const vars = fn.Environment.Variables;
    expect(vars.KEYWARDEN_API_URL).toBeDefined();
    // The API stack's public base URL, read from that stack.
    expect(JSON.stringify(vars.KEYWARDEN_API_URL)).toMatch(/Keywarden-production-Api.*execute-api.*\/production/);
    expect(vars.KEYWARDEN_ROTATOR_SECRET_ARN).toEqual({ Ref: rotatorId() });
    expect(vars.KEYWARDEN_ROTATION_OVERLAP).toBe('2h');
    expect(Object.keys(vars).filter((k) => k === 'TABLE_NAME' || /^SECRET_.*_ARN$/.test(k) || k === 'UPSTREAM_BASE_URL')).toEqual([]);
  });

  it('may touch only secrets tagged keywarden-rotation=enabled (four calls) and read its rotator key: no table, no KMS, no wildcard action', () => {
    const statements = roleStatements(events, functionRole(events, fnId()));
    const actions = statements.flatMap((st) => asArray(st.Action));
    // Besides these: its own log stream, and X-Ray (production traces).
    expect(actions.filter((a) => !/^(secretsmanager|logs|xray):/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('logs:')).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const tagged = statements.find((st) => st.Sid === 'RotateTaggedSecrets')!;
    expect(asArray(tagged.Action).sort()).toEqual(
      ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'].sort(),
    );
    expect((tagged as { Condition?: unknown }).Condition).toEqual({ StringEquals: { 'secretsmanager:ResourceTag/keywarden-rotation': 'enabled' } });
    expect(JSON.stringify(tagged.Resource)).toContain(':secret:*');
    const rotator = statements.find((st) => st.Sid === 'ReadRotatorKey')!;
    expect(asArray(rotator.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect(rotator.Resource).toEqual({ Ref: rotatorId() });
    // Every other secretsmanager statement is one of these two.
    expect(statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('secretsmanager:'))).map((st) => st.Sid).sort()).toEqual(['ReadRotatorKey', 'RotateTaggedSecrets']);
    for (const a of actions) expect(a).not.toMatch(/\*$/);
  });

  it('lets Secrets Manager invoke it for this account only', () => {
    const permissions = Object.values(events.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(props<{ FunctionName: unknown }>(r).FunctionName).includes(fnId()),
    );
    expect(permissions).toHaveLength(1);
    expect(props(permissions[0])).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId(), 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('makes the rotator secret: a placeholder, tagged, rotated by the function every 30 days but not at deploy, kept in production', () => {
    const [id, secret] = onlyResourceOfType(events, 'AWS::SecretsManager::Secret');
    const p = props<{ Name: string; Tags: Array<{ Key: string; Value: string }>; GenerateSecretString: { GenerateStringKey: string } }>(secret);
    expect(p.Name).toBe('keywarden-production/secret-rotation/rotator');
    expect(p.GenerateSecretString.GenerateStringKey).toBe('apiKey');
    expect(p.Tags).toContainEqual({ Key: 'keywarden-rotation', Value: 'enabled' });
    expect(secret.DeletionPolicy).toBe('Retain');
    const [, schedule] = onlyResourceOfType(events, 'AWS::SecretsManager::RotationSchedule');
    expect(props(schedule)).toEqual({
      SecretId: { Ref: id },
      RotationLambdaARN: { 'Fn::GetAtt': [fnId(), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    const outputs = Object.values(events.Outputs ?? {}).map((o) => JSON.stringify(o.Value));
    expect(outputs).toContain(JSON.stringify({ 'Fn::GetAtt': [fnId(), 'Arn'] }));
    expect(outputs).toContain(JSON.stringify({ Ref: id }));
  });
});
