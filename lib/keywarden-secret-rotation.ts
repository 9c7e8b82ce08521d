import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, Tags, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnRotationSchedule, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROTATION_TAG } from '../lambdas/handlers/secret-rotation-steps';
import { suppressControl } from './control-tower';
import { lambdaBundling, OUTSIDE_VPC_REASON } from './keywarden-function';
import { createLogGroup } from './keywarden-logs';
import type { StageConfig } from './stage-config';

export interface KeywardenSecretRotationProps {
  readonly config: StageConfig;
  /** Keywarden's public API base: where the function sends keys, and nowhere else. */
  readonly apiUrl: string;
  /** Encrypts the function's log group. */
  readonly logsKey: IKey;
  /** How long an old key keeps working after its rotation (1m–7d). @default '2h' */
  readonly overlap?: string;
  /** How often the rotator key's own secret is rotated. @default 30 days */
  readonly rotatorRotation?: Duration;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Secrets Manager rotation function for Keywarden keys that customers keep in their own
 * secrets (issue 25 point 3; lambdas/handlers/secret-rotation-steps.ts; docs/operating.md
 * "Rotating a key stored in Secrets Manager"). A customer attaches a secret by tagging it
 * `keywarden-rotation=enabled` and pointing its rotation at this function.
 *
 * Least privilege, by tag rather than by name: the role may describe, read, put and restage only
 * secrets of this account and region that carry the tag (the tag is the customer's consent, and
 * the function checks it again itself); it holds no table, no service secret, no key of its own.
 * What it may do at Keywarden is what the rotator key may do — Keywarden's authority rule bounds
 * it (SPEC §3). The rotator key lives in a secret this construct makes (a placeholder until an
 * operator puts a privileged key in it), tagged and rotated by this very function.
 *
 * Secrets Manager may invoke it only on behalf of this account (source account): no other
 * account's secret can drive it.
 */
export class KeywardenSecretRotation extends Construct {
  readonly function: NodejsFunction;
  readonly rotatorSecret: Secret;

  constructor(scope: Construct, id: string, props: KeywardenSecretRotationProps) {
    super(scope, id);
    const { config } = props;
    const name = 'secret-rotation';

    this.rotatorSecret = new Secret(this, 'RotatorSecret', {
      secretName: `${config.resourcePrefix}/${name}/rotator`,
      description:
        'The Keywarden rotator key the secret rotation function acts with: {"apiKey": "<privileged key with keys:write>"}. A placeholder until an operator puts the key (docs/operating.md).',
      removalPolicy: config.removalPolicy,
      // A random placeholder: it fails Keywarden's key format, so rotation fails closed until the real key is put.
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'apiKey', passwordLength: 32, excludePunctuation: true },
    });
    Tags.of(this.rotatorSecret).add(ROTATION_TAG.key, ROTATION_TAG.value);

    const logGroup = createLogGroup(this, 'Logs', { config, name, key: props.logsKey });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Keywarden ${config.stage} ${name} function`,
    });
    role.addToPolicy(new PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const taggedSecrets = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:*`;
    role.addToPolicy(
      new PolicyStatement({
        sid: 'RotateTaggedSecrets',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [taggedSecrets],
        conditions: { StringEquals: { [`secretsmanager:ResourceTag/${ROTATION_TAG.key}`]: ROTATION_TAG.value } },
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'ReadRotatorKey', actions: ['secretsmanager:GetSecretValue'], resources: [this.rotatorSecret.secretArn] }));
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*]`,
      reason: `The customers' secrets are not known at deploy time: the statement is bounded by the condition secretsmanager:ResourceTag/${ROTATION_TAG.key} = ${ROTATION_TAG.value} (the customer's opt-in, checked again by the function), to this account and region, and to the four calls rotation needs.`,
    });
    if (config.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
      });
    }

    this.function = new NodejsFunction(this, 'Function', {
      functionName: `${config.resourcePrefix}-${name}`,
      description: 'Keywarden: Secrets Manager rotation of Keywarden keys kept in tagged secrets (createSecret, setSecret, testSecret, finishSecret)',
      entry: `${REPO_ROOT}lambdas/handlers/secret-rotation.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // A step is a few calls to Secrets Manager and /v1; the client gives up on /v1 after 20 s.
      timeout: Duration.seconds(60),
      role,
      logGroup,
      tracing: config.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        KEYWARDEN_ENVIRONMENT: config.stage,
        POWERTOOLS_SERVICE_NAME: `keywarden-${name}`,
        KEYWARDEN_API_URL: props.apiUrl,
        KEYWARDEN_ROTATOR_SECRET_ARN: this.rotatorSecret.secretArn,
        KEYWARDEN_ROTATION_OVERLAP: props.overlap ?? '2h',
        ...(config.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
      bundling: lambdaBundling(config),
    });
    suppressControl(this.function, 'CT.LAMBDA.PR.3', OUTSIDE_VPC_REASON);
    this.function.addPermission('SecretsManagerInvoke', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
    });
    suppressControl(
      this.function.permissionsNode.findChild('SecretsManagerInvoke'),
      'CT.LAMBDA.PR.2',
      'Secrets Manager may invoke the function only for this account: SourceAccount is the deploying account, a CloudFormation reference (AWS::AccountId) because the stacks are environment-agnostic, and the control accepts only a literal string there. A SourceArn cannot name the secrets either: customers attach theirs after deployment.',
    );

    // The L1 schedule: the L2 would also grant invocation without a source account and
    // GetRandomPassword on every resource, neither of which this function needs.
    const schedule = new CfnRotationSchedule(this, 'RotatorRotation', {
      secretId: this.rotatorSecret.secretArn,
      rotationLambdaArn: this.function.functionArn,
      rotationRules: { scheduleExpression: `rate(${(props.rotatorRotation ?? Duration.days(30)).toDays()} days)` },
      // Not at deploy: the secret holds a placeholder until an operator puts the rotator key.
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager checks at once that it may invoke the function and that the role is there.
    schedule.node.addDependency(this.function);

    new CfnOutput(this, 'FunctionArn', {
      value: this.function.functionArn,
      description: 'Secrets Manager rotation function for Keywarden keys: tag a secret keywarden-rotation=enabled and rotate it with this ARN',
    });
    new CfnOutput(this, 'RotatorSecretArn', {
      value: this.rotatorSecret.secretArn,
      description: 'Put the rotator key here: {"apiKey": "<privileged key with keys:write>"}',
    });
  }
}
