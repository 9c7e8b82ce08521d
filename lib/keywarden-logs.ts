import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { suppressControl } from './control-tower';
import type { StageConfig } from './stage-config';

/** Control Tower CT.CLOUDWATCH.PR.2 asks log groups to keep at least a year. */
const GOVERNED_MINIMUM_RETENTION_DAYS = 365;

/**
 * A Keywarden log group, `/<resourcePrefix>/<name>`, with the stage's retention and removal
 * policy, encrypted with the stack's logs key (`createLogsKey`). A stage that keeps logs for less
 * than a year (development, staging) says so on the log group itself.
 */
export function createLogGroup(scope: Construct, id: string, props: { config: StageConfig; name: string; key: IKey }): LogGroup {
  const { config } = props;
  const logGroup = new LogGroup(scope, id, {
    logGroupName: `/${config.resourcePrefix}/${props.name}`,
    retention: config.logRetention,
    removalPolicy: config.removalPolicy,
    encryptionKey: props.key,
  });
  if (config.logRetention < GOVERNED_MINIMUM_RETENTION_DAYS) {
    suppressControl(
      logGroup,
      'CT.CLOUDWATCH.PR.2',
      `the ${config.stage} stage keeps its logs ${config.logRetention} days on purpose (less test data and cost); production keeps them a year (lib/stage-config.ts).`,
    );
  }
  return logGroup;
}
