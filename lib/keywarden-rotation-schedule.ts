import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SecretName } from '../lambdas/config';
import { DELIVERY_TAG_KEY } from '../lambdas/adapters/secrets-manager-rotation-delivery';
import { createKeywardenFunction } from './keywarden-function';
import type { StageConfig } from './stage-config';

/** What the schedule sends (lambdas/handlers/secret-rotation-schedule.ts). */
export const ROTATIONS_EVENT = { keywarden: 'rotations' } as const;
/**
 * The tag a customer puts on a secret Keywarden may write a scheduled rotation's value into: its
 * value is the project whose keys go there (the function checks it equals the key's project).
 */
export const DELIVERY_TAG = { key: DELIVERY_TAG_KEY, value: 'proj_*' } as const;

export interface KeywardenRotationScheduleProps {
  readonly config: StageConfig;
  /** Keywarden's public API base, written into each secret as `baseUrl` (its readers' /v1). */
  readonly apiUrl: string;
  readonly table: ITable;
  readonly indexArns: readonly string[];
  readonly tableKey: IKey | undefined;
  readonly logsKey: IKey;
  readonly secrets: Readonly<Record<SecretName, ISecret>>;
}

/**
 * Rotation on schedule (issue 25 points 2 and 4; docs/operating.md "Rotation on schedule"): a
 * worker over the table (the service core, like the events relay) run every 5 minutes — keys
 * due rotated, values delivered, old keys idle past `revokeWhenIdle` ended (which is why it runs
 * more often than daily; a run is one walk of the keys, like the events sweep).
 *
 * Least privilege: besides the table and the hashing secret (FUNCTION_SPECS' worker grants),
 * `secretsmanager:PutSecretValue` and `DescribeSecret` (its tags) on secrets of this account and
 * region tagged keywarden-delivery=proj_… — the customer's consent; the function writes only a
 * secret whose tag names the key's own project. Same-account only: a secret in another
 * account would need its resource policy and a customer-managed KMS key granting this role, which
 * this construct does not deploy (docs/operating.md says so).
 */
export class KeywardenRotationSchedule extends Construct {
  readonly function: NodejsFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: KeywardenRotationScheduleProps) {
    super(scope, id);
    const { config } = props;
    const fn = createKeywardenFunction(this, 'rotations', {
      config,
      publicBaseUrl: '',
      table: props.table,
      indexArns: props.indexArns,
      tableKey: props.tableKey,
      logsKey: props.logsKey,
      secrets: props.secrets,
    });
    this.function = fn;
    fn.addEnvironment('PUBLIC_BASE_URL', props.apiUrl);
    const secrets = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:*`;
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'DeliverToTaggedSecrets',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'],
        resources: [secrets],
        conditions: { StringLike: { [`secretsmanager:ResourceTag/${DELIVERY_TAG.key}`]: DELIVERY_TAG.value } },
      }),
    );
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*]`,
      reason: `The customers' secrets are named on their keys after deploy time: PutSecretValue and DescribeSecret (its tags: the function checks the tag names the key's project) are bounded by the condition secretsmanager:ResourceTag/${DELIVERY_TAG.key} like ${DELIVERY_TAG.value} (the customer's opt-in) and to this account and region.`,
    });
    this.rule = new Rule(this, 'Schedule', {
      description: `Keywarden ${config.stage}: keys rotated on schedule, old keys idle past revokeWhenIdle ended, every 5 minutes`,
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject(ROTATIONS_EVENT), retryAttempts: 1, maxEventAge: Duration.minutes(5) })],
    });
  }
}
