import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/adapters/eventbridge-bus';
import { secretArnVariable } from '../../lambdas/config';
import {
  asArray,
  type CfnResource,
  type CfnTemplate,
  functionLogicalId,
  functionRole,
  onlyResourceOfType,
  referencedStatefulResource,
  resourcesOfType,
  roleStatements,
  type SynthesizedStage,
  synthStage,
} from './synth-app';

/**
 * Lifecycle events infrastructure (issue 22 point 3): the bus in the stateful stack, and the
 * relay in its own stack — its schedules, the table stream that nudges it (filtered to event
 * items becoming ready), and a role that may put events on that one bus and nothing else.
 * Synthesized as `cdk synth` does (cdk-nag included: an unacknowledged finding throws).
 */
let s: SynthesizedStage;
let events: CfnTemplate;
beforeAll(() => {
  s = synthStage('production');
  events = s.assembly.getStackArtifact(s.stacks.events.artifactId).template as CfnTemplate;
}, 180_000);
afterAll(() => s?.cleanup());

const props = <T>(r: CfnResource) => r.Properties as T;
const relayId = () => functionLogicalId(events, s.config, 'events');
const statements = () => roleStatements(events, functionRole(events, relayId()));

describe('the bus (stateful stack)', () => {
  it('is a custom bus named after the stage, archived for replay, and named in an output', () => {
    const [busId, bus] = onlyResourceOfType(s.statefulJson, 'AWS::Events::EventBus');
    expect(props<{ Name: string }>(bus).Name).toBe('keywarden-production-events');
    expect(bus.DeletionPolicy).toBe('Retain');
    const [, archive] = onlyResourceOfType(s.statefulJson, 'AWS::Events::Archive');
    expect(props<{ SourceArn: unknown; EventPattern: unknown; RetentionDays: number }>(archive)).toMatchObject({
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 30,
    });
    expect(s.statefulJson.Outputs?.EventBusName?.Value).toEqual({ Ref: busId });
  });

  it('the table streams new and old images (the relay tells pending → ready apart from its own writes)', () => {
    const [, table] = onlyResourceOfType(s.statefulJson, 'AWS::DynamoDB::Table');
    expect(props<{ StreamSpecification: unknown }>(table).StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });
});

describe('the relay (events stack)', () => {
  it('runs lambdas/handlers/events.ts for 2 minutes, with the table, the bus and the hashing secret, outside a VPC', () => {
    const fn = props<{ Timeout: number; Environment: { Variables: Record<string, unknown> }; VpcConfig?: unknown }>(events.Resources[relayId()]!);
    expect(fn.Timeout).toBe(120);
    expect(fn.VpcConfig).toBeUndefined();
    const env = fn.Environment.Variables;
    expect(referencedStatefulResource(env.TABLE_NAME, s.statefulJson)).toBe(onlyResourceOfType(s.statefulJson, 'AWS::DynamoDB::Table')[0]);
    expect(referencedStatefulResource(env.EVENT_BUS_NAME, s.statefulJson)).toBe(onlyResourceOfType(s.statefulJson, 'AWS::Events::EventBus')[0]);
    expect(env[secretArnVariable('hashing')]).toBeDefined();
    expect(Object.keys(env).filter((k) => k.startsWith('SECRET_'))).toEqual([secretArnVariable('hashing')]);
    expect(env.PUBLIC_BASE_URL).toBeUndefined();
    expect(env.UPSTREAM_BASE_URL).toBeUndefined();
  });

  it('may put events on that one bus only, and reads records of that one table stream', () => {
    const all = statements();
    const put = all.filter((st) => asArray(st.Action).some((a) => a.startsWith('events:')));
    expect(put).toHaveLength(1);
    expect(asArray(put[0]!.Action)).toEqual(['events:PutEvents']);
    expect(asArray(put[0]!.Resource).map((r) => referencedStatefulResource(r, s.statefulJson))).toEqual([
      onlyResourceOfType(s.statefulJson, 'AWS::Events::EventBus')[0],
    ]);
    const stream = all.find((st) => st.Sid === 'ReadOutboxStream')!;
    expect(asArray(stream.Action).sort()).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
    expect(asArray(stream.Resource)).toHaveLength(1);
    expect(JSON.stringify(stream.Resource)).not.toContain('"*"');
    // Table items: no Scan, no batch writes, no table-level action.
    const items = all.find((st) => st.Sid === 'TableItems')!;
    expect(asArray(items.Action).sort()).toEqual(
      ['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].map((a) => `dynamodb:${a}`),
    );
    // The only wildcard resource is ListStreams (no resource-level permission), acknowledged.
    const wildcard = all.filter((st) => asArray(st.Resource).includes('*'));
    expect(wildcard.flatMap((st) => asArray(st.Action)).sort()).toEqual(['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('is invoked every minute to relay and every 5 minutes to sweep', () => {
    // The relay's rules (the stack's other schedule, the rotation function's, is test/rotation/rotation-schedule.cdk.test.ts's).
    const rules = resourcesOfType(events, 'AWS::Events::Rule')
      .map(([, r]) => props<{ ScheduleExpression: string; Targets: Array<{ Arn: unknown; Input: string; RetryPolicy: unknown }> }>(r))
      .filter((r) => JSON.stringify(r.Targets[0]?.Arn) === JSON.stringify({ 'Fn::GetAtt': [relayId(), 'Arn'] }));
    expect(rules.map((r) => [r.ScheduleExpression, JSON.parse(r.Targets[0]!.Input)]).sort()).toEqual([
      ['rate(1 minute)', { keywarden: 'relay' }],
      ['rate(5 minutes)', { keywarden: 'sweep' }],
    ]);
    for (const r of rules) {
      expect(r.Targets).toHaveLength(1);
      expect(r.Targets[0]!.Arn).toEqual({ 'Fn::GetAtt': [relayId(), 'Arn'] });
    }
  });

  it('is nudged by the table stream only for event items that become ready in the outbox, in small bounded batches', () => {
    const [, mapping] = onlyResourceOfType(events, 'AWS::Lambda::EventSourceMapping');
    const m = props<{
      FunctionName: unknown;
      EventSourceArn: unknown;
      BatchSize: number;
      MaximumRetryAttempts: number;
      BisectBatchOnFunctionError: boolean;
      MaximumRecordAgeInSeconds: number;
      StartingPosition: string;
      FilterCriteria: { Filters: Array<{ Pattern: string }> };
    }>(mapping);
    expect(m.FunctionName).toEqual({ Ref: relayId() });
    expect(JSON.stringify(m.EventSourceArn)).toContain('StreamArn');
    expect(m).toMatchObject({ BatchSize: 10, MaximumRetryAttempts: 2, BisectBatchOnFunctionError: true, MaximumRecordAgeInSeconds: 300, StartingPosition: 'LATEST' });
    const patterns = m.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as Record<string, unknown>);
    expect(patterns).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { state: { S: ['ready'] }, gsi2pk: { S: ['OUTBOX'] } } } },
      { eventName: ['MODIFY'], dynamodb: { OldImage: { state: { S: ['pending'] } }, NewImage: { state: { S: ['ready'] }, gsi2pk: { S: ['OUTBOX'] } } } },
    ]);
  });

  it('raises an alarm on the API stack’s topic when the relay keeps failing', () => {
    const [, alarm] = onlyResourceOfType(events, 'AWS::CloudWatch::Alarm');
    const a = props<{ MetricName: string; Dimensions: Array<{ Value: unknown }>; AlarmActions: unknown[] }>(alarm);
    expect(a.MetricName).toBe('Errors');
    expect(a.Dimensions[0]!.Value).toEqual({ Ref: relayId() });
    expect(a.AlarmActions).toHaveLength(1);
  });
});
