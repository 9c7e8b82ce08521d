import { CfnOutput } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/adapters/store/table';
import type { SecretName } from '../lambdas/config';
import { createAlarms, createAlarmTopic } from './keywarden-alarms';
import { addRoutes, createRestApi, defaultPublicBaseUrl, SLACK_ROUTE, TEAMS_ROUTE } from './keywarden-api';
import { KeywardenBots } from './keywarden-bots';
import { createKeywardenFunction, FUNCTION_NAMES, type FunctionName } from './keywarden-function';
import { createLogsKey } from './keywarden-kms';
import type { StageConfig } from './stage-config';

export { API_ROUTES, SLACK_ROUTE, STREAMING_ROUTES, TEAMS_ROUTE } from './keywarden-api';
export { ESM_REQUIRE_BANNER, FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from './keywarden-function';

export interface KeywardenServiceProps {
  readonly config: StageConfig;
  /** The table created by `KeywardenTable` (or one with the same physical schema). */
  readonly table: ITable;
  /** ARNs of the table's GSIs; defaults to the indexes named in `store/table.ts`. */
  readonly tableIndexArns?: readonly string[];
  /** The table's customer-managed KMS key, if any; defaults to `table.encryptionKey`. */
  readonly tableEncryptionKey?: IKey;
  /** One secret per name in `SECRET_NAMES` (see `KeywardenSecrets`). */
  readonly secrets: Readonly<Record<SecretName, ISecret>>;
  /**
   * Mount the routes on an API you already own instead of creating one. Its stage, logging,
   * throttling and domain are then yours; Keywarden only adds `/v1`, `/slack` and `/api`.
   */
  readonly restApi?: RestApi;
  /**
   * The public base URL (without `/v1`) clients and bots use. Defaults to the custom domain, or
   * to the execute-api URL of the API's stage, built from its id so that no function depends on
   * the deployment that depends on the function.
   */
  readonly publicBaseUrl?: string;
  /** Alarm notifications; defaults to a new topic (with `config.alarmEmail` subscribed, if set). */
  readonly alarmTopic?: ITopic;
}

/**
 * The whole stateless side of Keywarden as one construct: four Lambda functions with their own
 * roles and log groups, the REST API (or routes on yours), and the alarms. A platform team embeds
 * the service in its own CDK app with a table, the secrets and a stage config (docs/operating.md).
 */
export class KeywardenService extends Construct {
  readonly api: RestApi;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly publicBaseUrl: string;
  readonly alarmTopic: ITopic;
  readonly alarms: Alarm[];

  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: KeywardenServiceProps) {
    super(scope, id);
    this.config = props.config;
    const ownsApi = props.restApi === undefined;
    // Encrypts every log group this construct creates (Control Tower CT.CLOUDWATCH.PR.3).
    const logsKey = createLogsKey(this, 'LogsKey', this.config);
    this.api = props.restApi ?? createRestApi(this, this.config, logsKey);
    this.publicBaseUrl = props.publicBaseUrl ?? defaultPublicBaseUrl(this, this.api, this.config, ownsApi);

    const indexArns =
      props.tableIndexArns ?? [TABLE_SCHEMA.gsi1.name, TABLE_SCHEMA.gsi2.name].map((n) => `${props.table.tableArn}/index/${n}`);
    const tableKey = props.tableEncryptionKey ?? props.table.encryptionKey;

    const fns = {} as Record<FunctionName, NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      fns[name] = createKeywardenFunction(this, name, {
        config: this.config,
        publicBaseUrl: this.publicBaseUrl,
        table: props.table,
        indexArns,
        tableKey,
        logsKey,
        secrets: props.secrets,
      });
    }
    this.functions = fns;

    addRoutes(this.api, this.functions, this.config);
    // The Slack function's hand-off to itself, and the daily expiry reminders (lib/keywarden-bots.ts).
    new KeywardenBots(this, 'Bots', { config: this.config, functions: this.functions });

    this.alarmTopic = props.alarmTopic ?? createAlarmTopic(this, this.config);
    this.alarms = createAlarms(this, { config: this.config, api: this.api, functions: this.functions, topic: this.alarmTopic, ownsApi });

    new CfnOutput(this, 'ApiBaseUrl', {
      value: this.publicBaseUrl,
      description: 'Public base URL; OpenAI clients use <this>/v1',
    });
    new CfnOutput(this, 'SlackRequestUrl', {
      value: `${this.publicBaseUrl}${SLACK_ROUTE}`,
      description: 'Slack app: Event Subscriptions, Interactivity and Slash Commands Request URL',
    });
    new CfnOutput(this, 'TeamsMessagingEndpoint', {
      value: `${this.publicBaseUrl}${TEAMS_ROUTE}`,
      description: 'Azure Bot: messaging endpoint',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe more alarm targets here' });
  }
}
