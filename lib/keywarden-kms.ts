import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { StageConfig } from './stage-config';

/**
 * Grants on a Keywarden key are made by AWS services for AWS resources only (DynamoDB grants
 * itself access to a table's key; nobody else needs one). Control Tower CT.KMS.PR.3 asks for
 * exactly this statement: deny `kms:CreateGrant` unless the grant is for an AWS resource or the
 * caller is an AWS service.
 */
export function denyGrantsExceptForAwsResources(key: Key): void {
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/**
 * The key that encrypts a stack's CloudWatch log groups (Control Tower CT.CLOUDWATCH.PR.3).
 * One per stack: the control accepts only a key of the same template. CloudWatch Logs of this
 * region may use it for this stage's log groups (`/<resourcePrefix>/…`) and nothing else; it
 * rotates yearly and is retained with the log groups it protects (retained log data is unreadable
 * without its key).
 */
export function createLogsKey(scope: Construct, id: string, config: StageConfig): Key {
  const key = new Key(scope, id, {
    description: `Encrypts the Keywarden ${config.stage} log groups (/${config.resourcePrefix}/*)`,
    enableKeyRotation: true,
    removalPolicy: config.removalPolicy,
  });
  const logGroups = Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `/${config.resourcePrefix}/*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchLogsForThisStage',
      principals: [new ServicePrincipal(`logs.${Aws.REGION}.${Aws.URL_SUFFIX}`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups } },
    }),
  );
  denyGrantsExceptForAwsResources(key);
  return key;
}
