import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '../lambdas/adapters/eventbridge-bus';
import { SECRET_NAMES, type SecretName } from '../lambdas/config';
import { KeywardenSecrets } from './keywarden-secrets';
import { KeywardenTable } from './keywarden-table';
import type { StageConfig } from './stage-config';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** How long the bus archive keeps lifecycle events for replay (a rule added late, a consumer's outage). */
export const EVENT_ARCHIVE_RETENTION = Duration.days(30);

/**
 * What must outlive any deployment of the code: the key table, the secrets and the lifecycle
 * events bus (consumers' rules live on it, so it must not come and go with the API). Kept apart from
 * the stateless stack so that redeploying, renaming or even deleting the API never touches the
 * data, and so that its changes are rare and reviewed on their own.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly tableKey: Key | undefined;
  readonly indexArns: string[];
  readonly secrets: Readonly<Record<SecretName, Secret>>;
  /** Where lifecycle events are put (docs/events.md): the platform's rules subscribe here. */
  readonly eventBus: EventBus;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new KeywardenTable(this, 'Keys', {
      tableName: config.resourcePrefix,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
      pointInTimeRecovery: config.pointInTimeRecovery,
      encryption: config.tableEncryption,
    });
    this.table = table.table;
    this.tableKey = table.encryptionKey;
    this.indexArns = table.indexArns;

    this.secrets = new KeywardenSecrets(this, 'Secrets', {
      namePrefix: config.resourcePrefix,
      removalPolicy: config.removalPolicy,
    }).secrets;

    // A custom bus, not the default one: the platform's rules and permissions on Keywarden's
    // events stay apart from everything else in the account. Archived so a rule added (or a
    // consumer fixed) later can replay what it missed; the table keeps each event's record too.
    this.eventBus = new EventBus(this, 'Events', {
      eventBusName: `${config.resourcePrefix}-events`,
      description: `Keywarden ${config.stage} lifecycle events (key, budget, account): docs/events.md`,
    });
    this.eventBus.applyRemovalPolicy(config.removalPolicy);
    this.eventBus.archive('EventsArchive', {
      description: `Keywarden ${config.stage} lifecycle events, for replay`,
      eventPattern: { source: [EVENT_SOURCE] },
      retention: EVENT_ARCHIVE_RETENTION,
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Keywarden table (TABLE_NAME)' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'Lifecycle events bus (EVENT_BUS_NAME): add your rules here' });
    for (const name of SECRET_NAMES) {
      new CfnOutput(this, `Secret${name.charAt(0).toUpperCase()}${name.slice(1)}Name`, {
        value: this.secrets[name].secretName,
        description: `Secrets Manager secret "${name}"`,
      });
    }
  }
}
