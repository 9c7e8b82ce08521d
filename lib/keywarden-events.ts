import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { partition, TABLE_SCHEMA } from '../lambdas/adapters/store/table';
import type { SecretName } from '../lambdas/config';
import { createKeywardenFunction } from './keywarden-function';
import type { StageConfig } from './stage-config';

/** What the schedules send the relay (lambdas/handlers/events.ts). */
export const RELAY_EVENT = { keywarden: 'relay' } as const;
export const SWEEP_EVENT = { keywarden: 'sweep' } as const;

const outboxItem = { [TABLE_SCHEMA.gsi2.partitionKey]: { S: [partition.outbox] } };

/**
 * The stream records that invoke the relay: an event item written ready (thresholds, expiry,
 * a change confirmed in the same write), or one turning from pending to ready (its writer
 * confirmed it). The relay's own progress writes on a ready event match neither, so a pass does
 * not invoke the next; every other item of the table (keys, usage, …) is dropped by the filter
 * before Lambda is invoked, at no cost.
 */
export const OUTBOX_STREAM_FILTERS = [
  { eventName: ['INSERT'], dynamodb: { NewImage: { state: { S: ['ready'] }, ...outboxItem } } },
  { eventName: ['MODIFY'], dynamodb: { OldImage: { state: { S: ['pending'] } }, NewImage: { state: { S: ['ready'] }, ...outboxItem } } },
] as const;

export interface KeywardenEventsProps {
  readonly config: StageConfig;
  readonly table: ITable;
  readonly indexArns: readonly string[];
  readonly tableKey: IKey | undefined;
  readonly logsKey: IKey;
  readonly secrets: Readonly<Record<SecretName, ISecret>>;
  /** The platform's bus; without one the relay delivers to webhooks only. */
  readonly eventBus?: IEventBus;
  /** Where the relay's error alarm goes; no alarm without one. */
  readonly alarmTopic?: ITopic;
}

/**
 * The lifecycle events relay (issue 22 point 3; docs/events.md): one function that takes due
 * events from the outbox and delivers them to the bus and to webhooks, invoked three ways —
 *
 * - every minute (`{ "keywarden": "relay" }`): retries, and pending events whose writer died;
 * - every 5 minutes (`{ "keywarden": "sweep" }`): finds keys expiring, budgets crossing 80 % and
 *   100 %, accounts low on credits, then relays;
 * - from the table's stream, when an event item becomes ready: delivery within seconds.
 *
 * The outbox is the truth and the stream only a nudge: a stream batch that keeps failing is
 * given up after two retries (its events stay in the outbox for the next scheduled pass), so no
 * on-failure destination is needed. Outbound HTTPS to webhooks goes straight out (no VPC, like
 * every Keywarden function), guarded by the sender's address checks at connect time.
 */
export class KeywardenEvents extends Construct {
  readonly function: NodejsFunction;
  readonly relayRule: Rule;
  readonly sweepRule: Rule;

  constructor(scope: Construct, id: string, props: KeywardenEventsProps) {
    super(scope, id);
    const { config } = props;
    const fn = createKeywardenFunction(this, 'events', {
      config,
      publicBaseUrl: '',
      table: props.table,
      indexArns: props.indexArns,
      tableKey: props.tableKey,
      logsKey: props.logsKey,
      secrets: props.secrets,
    });
    this.function = fn;
    // An overlapping scheduled run is harmless (claims), but one older than the next is useless.
    fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.minutes(2) });

    if (props.eventBus) {
      fn.addEnvironment('EVENT_BUS_NAME', props.eventBus.eventBusName);
      fn.addToRolePolicy(new PolicyStatement({ sid: 'PutLifecycleEvents', actions: ['events:PutEvents'], resources: [props.eventBus.eventBusArn] }));
    }

    this.relayRule = new Rule(this, 'Relay', {
      description: `Keywarden ${config.stage}: lifecycle events relay pass (retries, unconfirmed events), every minute`,
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject(RELAY_EVENT), retryAttempts: 1, maxEventAge: Duration.minutes(2) })],
    });
    this.sweepRule = new Rule(this, 'Sweep', {
      description: `Keywarden ${config.stage}: lifecycle events sweep (keys expiring, budget thresholds, credits low), every 5 minutes`,
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject(SWEEP_EVENT), retryAttempts: 1, maxEventAge: Duration.minutes(5) })],
    });

    const streamArn = props.table.tableStreamArn;
    if (streamArn) {
      // What Lambda's poller needs: reading records on this table's stream only.
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'ReadOutboxStream',
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [streamArn],
        }),
      );
      fn.addToRolePolicy(new PolicyStatement({ sid: 'ListStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] }));
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams (which Lambda stream event sources need) supports no resource-level permission; it lists stream ARNs, not records. Reading records is granted on this table’s stream only.',
      });
      fn.addEventSourceMapping('OutboxStream', {
        eventSourceArn: streamArn,
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        retryAttempts: 2,
        bisectBatchOnError: true,
        maxRecordAge: Duration.minutes(5),
        filters: OUTBOX_STREAM_FILTERS.map((pattern) => ({ pattern: JSON.stringify(pattern) })),
      });
    }

    if (props.alarmTopic) {
      const alarm = new Alarm(this, 'RelayErrors', {
        alarmDescription: 'The events relay failed (3 or more errors in 15 minutes): events wait in the outbox.',
        metric: fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(props.alarmTopic));
    }
  }
}
