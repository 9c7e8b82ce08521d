import { Duration, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { FUNCTION_NAMES, type FunctionName, pascal } from './keywarden-function';
import type { StageConfig } from './stage-config';

/** The topic alarm notifications go to (the stage's alarm e-mail subscribed, if set). */
export function createAlarmTopic(scope: Construct, config: StageConfig): Topic {
  const topic = new Topic(scope, 'AlarmTopic', {
    displayName: `Keywarden ${config.stage} alarms`,
    enforceSSL: true,
  });
  Validations.of(topic).acknowledge({
    id: 'AwsSolutions-SNS2',
    reason:
      'Alarm notifications carry only alarm names and metric values, never key material; CloudWatch can only publish to an encrypted topic through a customer-managed key policy, which this topic does not need.',
  });
  if (config.alarmEmail) topic.addSubscription(new EmailSubscription(config.alarmEmail));
  return topic;
}

/** Alarms on API 5XX and p99 latency (when the API is ours), and on every function's errors and throttles. */
export function createAlarms(
  scope: Construct,
  target: { config: StageConfig; api: RestApi; functions: Readonly<Record<FunctionName, NodejsFunction>>; topic: ITopic; ownsApi: boolean },
): Alarm[] {
  const { config, api, functions, topic, ownsApi } = target;
  const alarms: Alarm[] = [];
  const period = Duration.minutes(5);
  const apiDimensions = { ApiName: api.restApiName, Stage: config.apiStageName };
  const action = new SnsAction(topic);
  const alarm = (id: string, props: ConstructorParameters<typeof Alarm>[2]) => {
    const a = new Alarm(scope, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...props });
    a.addAlarmAction(action);
    a.addOkAction(action);
    alarms.push(a);
    return a;
  };

  if (ownsApi) {
    alarm('Api5xxAlarm', {
      alarmName: `${config.resourcePrefix}-api-5xx`,
      alarmDescription: 'API Gateway answered 5XX (Lambda failures, timeouts, upstream_error, service_unavailable).',
      metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: '5XXError', dimensionsMap: apiDimensions, statistic: 'Sum', period }),
      threshold: config.alarms.api5xxPer5Minutes,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm('ApiLatencyAlarm', {
      alarmName: `${config.resourcePrefix}-api-latency-p99`,
      alarmDescription: 'API Gateway p99 latency above threshold for 15 minutes.',
      metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensionsMap: apiDimensions, statistic: 'p99', period }),
      threshold: config.alarms.apiLatencyP99Ms,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }
  for (const name of FUNCTION_NAMES) {
    const fn = functions[name];
    const id = pascal(name);
    alarm(`${id}ErrorsAlarm`, {
      alarmName: `${config.resourcePrefix}-${name}-errors`,
      alarmDescription: `The ${name} function failed (unhandled error, timeout or crash).`,
      metric: fn.metricErrors({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm(`${id}ThrottlesAlarm`, {
      alarmName: `${config.resourcePrefix}-${name}-throttles`,
      alarmDescription: `The ${name} function was throttled (account or reserved concurrency exhausted).`,
      metric: fn.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }
  return alarms;
}
