import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_TAG, ROTATIONS_EVENT } from '../../lib/keywarden-rotation-schedule';
import { asArray, type CfnResource, type CfnTemplate, functionLogicalId, functionRole, resourcesOfType, roleStatements, type SynthesizedStage, synthStage } from '../lib/synth-app';

/**
 * The scheduled rotation function as deployed (lib/keywarden-rotation-schedule.ts, events stack),
 * synthesized with cdk-nag (an unacknowledged finding throws): it runs the handler on its
 * schedule, and besides the table and the hashing secret it may make one Secrets Manager call,
 * PutSecretValue, on secrets of this account tagged for delivery — what docs/operating.md tells
 * customers to grant.
 */
let s: SynthesizedStage;
let events: CfnTemplate;
beforeAll(() => {
  s = synthStage('production');
  events = s.assembly.getStackArtifact(s.stacks.events.artifactId).template as CfnTemplate;
}, 180_000);
afterAll(() => s?.cleanup());

const props = <T>(r: CfnResource | undefined) => r?.Properties as T;

describe('the scheduled rotation function (events stack)', () => {
  it('is invoked every 5 minutes with {"keywarden":"rotations"} and knows the public API base', () => {
    const fnId = functionLogicalId(events, s.config, 'rotations');
    const vars = props<{ Environment: { Variables: Record<string, unknown> } }>(events.Resources[fnId]).Environment.Variables;
    expect(vars.TABLE_NAME).toBeDefined();
    expect(JSON.stringify(vars.PUBLIC_BASE_URL)).toMatch(/execute-api/);
    const rules = resourcesOfType(events, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r).includes(fnId));
    expect(rules).toHaveLength(1);
    const rule = props<{ ScheduleExpression: string; Targets: Array<{ Input: string }> }>(rules[0]![1]);
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(JSON.parse(rule.Targets[0]!.Input)).toEqual(ROTATIONS_EVENT);
  });

  it('may put secret values (and read their tags) only in tagged secrets of this account, and nothing else of Secrets Manager but its hashing secret', () => {
    const fnId = functionLogicalId(events, s.config, 'rotations');
    const statements = roleStatements(events, functionRole(events, fnId));
    const sm = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('secretsmanager:')));
    expect(sm.map((st) => st.Sid).sort()).toEqual(['DeliverToTaggedSecrets', 'ReadOwnSecrets']);
    const deliver = sm.find((st) => st.Sid === 'DeliverToTaggedSecrets')!;
    expect(asArray(deliver.Action).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue']);
    expect((deliver as { Condition?: unknown }).Condition).toEqual({ StringLike: { [`secretsmanager:ResourceTag/${DELIVERY_TAG.key}`]: DELIVERY_TAG.value } });
    expect(JSON.stringify(deliver.Resource)).toContain(':secret:*');
    expect(JSON.stringify(deliver.Resource)).toContain('AWS::AccountId');
    expect(asArray(sm.find((st) => st.Sid === 'ReadOwnSecrets')!.Action)).toEqual(['secretsmanager:GetSecretValue']);
    for (const a of statements.flatMap((st) => asArray(st.Action))) expect(a).not.toMatch(/\*$/);
  });

  it("may assume only customers' keywarden-delivery-* roles (cross-account delivery), knows its own account, and outputs its role's ARN", () => {
    const fnId = functionLogicalId(events, s.config, 'rotations');
    const statements = roleStatements(events, functionRole(events, fnId));
    const sts = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('sts:') || a.startsWith('iam:')));
    expect(sts.map((st) => st.Sid)).toEqual(['AssumeCustomerDeliveryRoles']);
    expect(asArray(sts[0]!.Action)).toEqual(['sts:AssumeRole']);
    expect(JSON.stringify(sts[0]!.Resource)).toMatch(/^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::\*:role\/keywarden-delivery-\*"\]\]\}$/);
    expect((sts[0] as { Condition?: unknown }).Condition).toBeUndefined();
    const vars = props<{ Environment: { Variables: Record<string, unknown> } }>(events.Resources[fnId]).Environment.Variables;
    expect(vars.KEYWARDEN_ACCOUNT_ID).toEqual({ Ref: 'AWS::AccountId' });
    const outputs = Object.entries((events as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {}).filter(([id]) => id.includes('RotationsRoleArn'));
    expect(outputs).toHaveLength(1);
    expect(JSON.stringify(outputs[0]![1].Value)).toContain(functionRole(events, fnId));
  });
});
