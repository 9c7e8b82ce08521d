import { Aws, CfnOutput, Duration, Validations } from 'aws-cdk-lib';
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
import { DELIVERY_ROLE_PREFIX } from '../lambdas/core/key-rotation';
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
 * secret whose tag names the key's own project. Another account's secret is written through
 * the role its owner grants (docs/operating.md §12): `sts:AssumeRole` on roles named
 * keywarden-delivery-* at any account's top path, and nothing else of IAM — the customer's trust
 * policy names this function's role and the project (`sts:ExternalId`), and the function checks
 * the role lies in the secret's account. Its role's ARN is an output (RotationsRoleArn): what the
 * customer's trust policy names.
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
    // Any account: the customers' accounts are known only from their keys' settings, after deploy.
    const deliveryRoles = `arn:${Aws.PARTITION}:iam::*:role/${DELIVERY_ROLE_PREFIX}*`;
    fn.addToRolePolicy(new PolicyStatement({ sid: 'AssumeCustomerDeliveryRoles', actions: ['sts:AssumeRole'], resources: [deliveryRoles] }));
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${DELIVERY_ROLE_PREFIX}*]`,
      reason: `Cross-account rotation delivery: the customers' accounts and role names are set on keys after deploy time. Only roles named ${DELIVERY_ROLE_PREFIX}* at an account's top path, each of which must trust this role with sts:ExternalId = the key's project id; the function refuses a role outside the secret's account.`,
    });
    fn.addEnvironment('KEYWARDEN_ACCOUNT_ID', Aws.ACCOUNT_ID);
    new CfnOutput(this, 'RotationsRoleArn', {
      value: fn.role!.roleArn,
      description: `The role a customer's ${DELIVERY_ROLE_PREFIX}<name> role trusts (sts:ExternalId = the project id) for rotation delivery into their account (docs/operating.md §12)`,
    });
    this.rule = new Rule(this, 'Schedule', {
      description: `Keywarden ${config.stage}: keys rotated on schedule, old keys idle past revokeWhenIdle ended, every 5 minutes`,
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject(ROTATIONS_EVENT), retryAttempts: 1, maxEventAge: Duration.minutes(5) })],
    });
  }
}
